"""Spiders for tests only (`-s SPIDER_MODULES=crawler.spiders,tests.spiders`): the ECNS
spider with an extraction that fails on chosen pages, as a worker hit by a segfault, the
OOM killer or a page that never finishes would."""
