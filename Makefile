# The two set-up commands of the README. Both create the virtual environment and install
# the project on first use (again whenever pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARCHIVE ?= archive.db

.PHONY: install demo test test-deps serve clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The ECNS crawl, offline over the recorded pages in fixtures/, into $(ARCHIVE) (updated in
# place, never deleted), then a full-text search of it.
demo: $(STAMP)
	$(BIN)/scrapy crawl ecns -s REPLAY_DIR=fixtures/ecns -s ARCHIVE_PATH=$(ARCHIVE) -s LOG_LEVEL=WARNING
	@echo "--- archive: $(ARCHIVE)"
	@$(BIN)/sqlite-utils query $(ARCHIVE) "select (select count(*) from articles) as articles, (select count(*) from related) as related, (select count(*) from duplicates) as duplicates, (select count(*) from revisions) as revisions"
	@echo "--- sqlite-utils search $(ARCHIVE) articles Shougang"
	@$(BIN)/sqlite-utils search $(ARCHIVE) articles Shougang -c id -c title -c url -c published -c source

test: $(STAMP) test-deps
	$(BIN)/python -m pytest

# The browser tests drive Debian's headless Chromium through its chromedriver (no browser
# download); installed here when missing (needs root, as on CI).
test-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

# Browse and search $(ARCHIVE) in Datasette on http://127.0.0.1:8001 (PORT=... to change).
PORT ?= 8001
serve: $(STAMP)
	$(BIN)/newsarchive serve --archive $(ARCHIVE) --port $(PORT)

clean-venv:
	rm -rf $(VENV)
