# The two set-up commands of the README. Both create the virtual environment and install
# the project on first use (again whenever pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARCHIVE ?= archive.db

.PHONY: install demo test test-fast test-deps serve clean-venv bench bench-deps examples-archive eval

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The ECNS crawl, offline over the recorded pages in fixtures/, into $(ARCHIVE) (updated in
# place, never deleted), then a full-text search of it.
demo: $(STAMP)
	@echo "--- crawling the recorded ECNS site (fixtures/ecns) into $(ARCHIVE). It holds pages broken on purpose"
	@echo "--- (a PDF served as HTML, a truncated page, one with no body, a 500, an empty listing, links to pages"
	@echo "--- never recorded): the WARNING and ERROR lines about them below are expected; each is counted in the run."
	$(BIN)/scrapy crawl ecns -s REPLAY_DIR=fixtures/ecns -s ARCHIVE_PATH=$(ARCHIVE) -s LOG_LEVEL=WARNING
	@echo "--- the run, as recorded in the archive's crawls table (newsarchive crawls)"
	@$(BIN)/newsarchive crawls --archive $(ARCHIVE) --limit 1
	@echo "--- archive: $(ARCHIVE)"
	@$(BIN)/sqlite-utils query $(ARCHIVE) "select (select count(*) from articles) as articles, (select count(*) from related) as related, (select count(*) from duplicates) as duplicates, (select count(*) from revisions) as revisions"
	@echo "--- sqlite-utils search $(ARCHIVE) articles Shougang"
	@$(BIN)/sqlite-utils search $(ARCHIVE) articles Shougang -c id -c title -c url -c published -c source

# The small archive the tests and the README's examples marked "(test archive)" use.
examples-archive: $(STAMP)
	$(BIN)/python -m tests.test_search_fixtures examples.db

# The project's modules are compiled first: the suite starts some 400 Python processes
# (crawls, commands, workers) that import them, and where PYTHONDONTWRITEBYTECODE is set
# none writes its bytecode, so each would compile them again (0.1-0.2 s of CPU each).
test: $(STAMP) test-deps
	$(BIN)/python -m compileall -q crawler archive tests
	$(BIN)/python -m pytest

# Everything but subprocess crawls and commands, Scrapyd, the browser, Redis and the
# benchmark guards (markers in pyproject.toml): the unit tests, in under 30 seconds. Their
# temporary files go to memory (/dev/shm) where there is one: every test archive is built
# by its migrations, and each commit's fsync would cost more than the test.
FAST := not subprocess and not scrapyd and not browser and not redis and not benchmark
FAST_TMPDIR := $(if $(wildcard /dev/shm),/dev/shm,$(or $(TMPDIR),/tmp))
test-fast: $(STAMP)
	@tmp=$$(mktemp -d $(FAST_TMPDIR)/newsarchive-test-fast.XXXXXX) && trap 'rm -rf "$$tmp"' EXIT && \
		$(BIN)/python -m pytest -q -m "$(FAST)" --basetemp="$$tmp"

# The browser tests drive Debian's headless Chromium through its chromedriver (no browser
# download); the runs over many machines need Debian's redis-server (started by the tests on
# loopback, never as a service); the import tests read WARC files written by Debian's wget.
# Installed here when missing (needs root, as on CI).
test-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/redis-server ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver redis-server; \
	fi
	@if [ ! -x /usr/bin/wget ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wget; \
	fi

# Browse and search $(ARCHIVE) in Datasette on http://127.0.0.1:8001 (PORT=... to change).
PORT ?= 8001
serve: $(STAMP)
	$(BIN)/newsarchive serve --archive $(ARCHIVE) --port $(PORT)

# Every benchmark (tests/benchmarks/run_all.py): one table of figures against their targets,
# also written to docs/benchmarks.json, and the scaling plot docs/scaling.png. Needs nginx
# and redis-server (installed here from Debian when missing, as root) and the `bench` extra. The first run
# builds its inputs under BENCH_DIR (default /tmp/newsarchive-bench/perf): a 1M-article
# archive (~20 min, ~11 GB) and a 20,000-page site; later runs reuse them.
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench-deps: $(BENCH_STAMP)
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; \
	fi
	@if [ ! -x /usr/bin/redis-server ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	fi

bench: bench-deps
	$(BIN)/python tests/benchmarks/run_all.py $(BENCH_ARGS)

# The extractor against the labelled pages of ../shared/eval (EVAL_DIR=... to point elsewhere):
# body, title, date and authors beside trafilatura alone in the same run, which figures are
# in-sample and which are not; then the credited source, related list and copyright footer,
# in-sample and cross-validated by site. Not part of `make test`: it needs the eval folder.
EVAL_DIR ?= ../shared/eval
eval: $(STAMP)
	$(BIN)/python tests/benchmarks/eval_extraction.py --eval-dir $(EVAL_DIR)
	$(BIN)/python tests/benchmarks/eval_fields.py --eval-dir $(EVAL_DIR)

clean-venv:
	rm -rf $(VENV)
