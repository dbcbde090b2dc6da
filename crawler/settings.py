"""Project settings, grouped and explained; each can be overridden with `-s NAME=value`."""

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl` checks the archive path before it starts.
COMMANDS_MODULE = "crawler.commands"

# -- the archive ----------------------------------------------------------------------
# Where articles are stored. Relative paths are relative to the working directory.
ARCHIVE_PATH = "archive.db"
# Records per write transaction: a crash loses at most this many.
ARCHIVE_BATCH_SIZE = 50
# Seconds a write waits while another program (a sqlite3 shell, a backup) holds SQLite's
# write lock on the archive. Past it the crawl stops, naming the holder when the kernel
# says who, and exits non-zero (before it starts: exit status 2).
ARCHIVE_LOCK_TIMEOUT = 30

# -- every core -----------------------------------------------------------------------------
# Processes that extract pages (crawler/page_workers.py) while the crawl downloads. Unset:
# one per core this process may use; 0: in the crawl's own process.
EXTRACTION_PROCESSES = None
# Seconds one page may take in a worker; past it the worker is killed and replaced, and the
# page recorded as failed (`timeout`), retried as failed pages are.
EXTRACTION_TIMEOUT = 60

# -- incremental crawling ----------------------------------------------------------------
# Article requests (meta["article"], see crawler/spiders/base.py) for pages the archive
# already holds are not sent, unless a revisit is due. Off: every page is fetched again.
INCREMENTAL_ENABLED = True
# When to fetch an archived article again: "AGE:EVERY[,AGE:EVERY...]". An article younger
# than AGE (since its publication, or first sighting) is revisited once it was last seen
# EVERY ago; older ones never. "never" (or ""): no revisits. Units s, m, h, d, w.
INCREMENTAL_REVISIT = "2d:6h"
# An article page that gave no article (HTTP error, not an article, dropped) is retried
# this long after, then twice as long after each further failure.
INCREMENTAL_RETRY_FAILED = "6h"
# The crawl's "now" (ISO 8601) for revisit decisions and first_seen/last_seen stamps,
# instead of the clock: for tests, and for re-crawling old captures. Unset: the clock.
CRAWL_NOW = None

# -- raw captures (WARC) ------------------------------------------------------------------
# Every response (articles, listings, feeds, robots.txt, redirects, errors) with its request
# is written to WARC files; each article row points to the record it was parsed from, so
# `newsarchive reparse` can re-extract the archive offline.
CAPTURE_ENABLED = True
# Where the WARC files go. Unset: `<ARCHIVE_PATH>-warc/` beside the archive. Created if
# missing; a directory that cannot be written stops the crawl before it starts.
CAPTURE_DIR = None
# File names are <prefix>-<UTC time>-<serial>-<pid>.warc.gz. Unset: <BOT_NAME>-<spider>.
CAPTURE_FILE_PREFIX = None
# A file is closed and the next one started when it reaches this size (bytes).
CAPTURE_MAX_FILE_SIZE = 100 * 1024 * 1024

# -- crawl runs ---------------------------------------------------------------------------
# Each run holds the archive's lock (a second run on the same archive refuses to start) and
# is recorded in the `crawls` table (`newsarchive crawls`).
CRAWLS_ENABLED = True
# Seconds between rewrites of the running crawl's counts (what a killed run leaves).
CRAWLS_UPDATE_INTERVAL = 60

# -- offline replay -------------------------------------------------------------------
# A directory of recorded pages (see fixtures/README.md). When set, every request is
# answered from it and nothing goes to the network; a URL with no recording gets a 404.
REPLAY_DIR = None
# Or a directory (or file) of WARC captures made by earlier crawls: the same, from the
# captured responses (the last capture of a URL wins). Set one of the two, not both.
REPLAY_WARC = None
# Seconds each replayed response takes (a slow site: to stop a crawl midway in a test).
REPLAY_DELAY = 0

# -- many machines (README "Many machines"; `pip install 'newsarchive[distributed]'`) -----
# Set on a worker: `scrapy crawl SPIDER -s REDIS_URL=redis://:PASSWORD@host:6379/0` joins the
# run `newsarchive coordinate` started there (crawler/distributed/worker.py): the shared
# queue, the shared dupefilter, records and captures sent to the coordinator's stream, no
# archive opened here. A host that is not loopback must be given with a password.
REDIS_URL = None
# Namespace of the run's keys in Redis (several archives may share one Redis).
REDIS_PREFIX = "newsarchive"
# Seconds a worker retries (doubling pauses) while Redis is unreachable before it stops
# (reason `redis_lost`, exit status 1).
REDIS_RETRY_TIMEOUT = 60
# Seconds a worker started before the coordinator waits for the run (then exit status 2).
REDIS_WAIT_FOR_RUN = 60
# Stream entries not yet written by the coordinator past which workers wait.
STREAM_MAX_BACKLOG = 20000
# The coordinator: seconds the run must stay quiet (queue empty, no worker busy, stream
# drained) before it ends, and after which a silent worker counts as gone.
COORDINATE_SETTLE = 5
COORDINATE_WORKER_TIMEOUT = 15
ADDONS = {
    # Switches a crawl given REDIS_URL to a worker; changes nothing otherwise.
    "crawler.distributed.addon.WorkerAddon": 0,
}

# -- politeness -------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
# Who runs this crawl, for the site's operators: a URL or mailto: address, added to the
# User-Agent ("newsarchive/0.1 (news archiving for research; +https://you.example/crawler)").
# A live crawl without one logs a warning. Setting USER_AGENT itself replaces the whole string.
CONTACT = None
USER_AGENT = "newsarchive/0.1 (news archiving for research)"
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 60
# No article is this big; a page over the cap is dropped by Scrapy (and counted).
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
# A body shorter than its Content-Length arrives flagged "dataloss" instead of failing,
# so the spider can count and skip it like any other bad page.
DOWNLOAD_FAIL_ON_DATALOSS = False
RETRY_TIMES = 2
# One callback's output is handled in order: an article page's record is stored (the store
# pipeline awaits the archive's writer) before the links it yields are scheduled, so a crawl
# stopped at any point has fetched nothing a stored page led to that it did not keep
# (crawler/middlewares/frontier.py). Pages are still handled many at once. (Scrapy's default,
# 100, also cost ~100 asyncio tasks per page: 7% of an ECNS crawl's time.)
CONCURRENT_ITEMS = 1

# -- components, in flow order -------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # After the offsite filter, before robots.txt: a skipped article costs no robots fetch.
    "crawler.middlewares.incremental.IncrementalMiddleware": 75,
    # Sees each response as the downloader delivered it (before decompression, redirects,
    # retries), below the HTTP cache so cached answers are captured too.
    "crawler.middlewares.capture.CaptureMiddleware": 920,
    # Last before the network: everything above it (robots.txt, retries, stats) runs as live.
    "crawler.middlewares.replay.ReplayMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    # Sees the requests that survived the depth and URL-length limits (800, 900).
    "crawler.middlewares.frontier.FrontierMiddleware": 600,
}
ITEM_PIPELINES = {
    "crawler.pipelines.validation.ValidatePipeline": 100,
    "crawler.pipelines.normalization.NormalizePipeline": 200,
    "crawler.pipelines.storage.StorePipeline": 400,
}

EXTENSIONS = {
    # First: takes the archive's lock and resets a killed run's JOBDIR before the rest opens.
    "crawler.extensions.crawl_run.CrawlRun": 100,
    "crawler.extensions.stats_file.StatsFile": 500,
}
# Where StatsFile writes the final stats as JSON (off when unset).
STATS_FILE = None

# -- housekeeping ---------------------------------------------------------------------
LOG_FORMATTER = "crawler.logformatter.ConciseLogFormatter"
TELNETCONSOLE_ENABLED = False
# Scrapy's remote control runs Python code sent to an HTTP port and writes a job file (port
# and token) into the user's profile directory: a scheduled archiver wants neither.
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
