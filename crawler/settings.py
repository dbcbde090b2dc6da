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

# -- offline replay -------------------------------------------------------------------
# A directory of recorded pages (see fixtures/README.md). When set, every request is
# answered from it and nothing goes to the network; a URL with no recording gets a 404.
REPLAY_DIR = None

# -- politeness -------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = "newsarchive/0.1 (news archiving for research; +https://pypi.org/project/scrapy/)"
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

# -- components, in flow order -------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # Last before the network: everything above it (robots.txt, retries, stats) runs as live.
    "crawler.middlewares.ReplayMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.NormalizePipeline": 200,
    "crawler.pipelines.DedupePipeline": 300,
    "crawler.pipelines.StorePipeline": 400,
}

EXTENSIONS = {
    "crawler.extensions.StatsFile": 500,
}
# Where StatsFile writes the final stats as JSON (off when unset).
STATS_FILE = None

# -- housekeeping ---------------------------------------------------------------------
LOG_FORMATTER = "crawler.logformatter.ConciseLogFormatter"
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
