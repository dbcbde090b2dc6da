"""Extensions: crawl_run.CrawlRun (the run's lock and `crawls` row; first, so that it holds
the archive before anything opens it) and stats_file.StatsFile (the final stats as JSON)."""
