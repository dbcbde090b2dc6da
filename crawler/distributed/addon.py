"""The add-on (the project's ADDONS) that makes a crawl given REDIS_URL a worker of a run
over many machines (crawler/distributed/worker.py). Without REDIS_URL it changes nothing,
and imports nothing of Redis (an extra: `pip install 'newsarchive[distributed]'`)."""

from __future__ import annotations

WORKER = "crawler.distributed.worker"


class WorkerAddon:
    """Switches a crawl given REDIS_URL to a worker of a distributed run (see the module's
    docstring). Without REDIS_URL it changes nothing."""

    def update_settings(self, settings) -> None:
        if not settings.get("REDIS_URL"):
            return
        from crawler.extensions.crawl_run import CrawlRun
        from crawler.middlewares.capture import CaptureMiddleware
        from crawler.pipelines.storage import StorePipeline

        settings.set("SCHEDULER", f"{WORKER}.RetryingScheduler", priority="addon")
        settings.set("DUPEFILTER_CLASS", f"{WORKER}.UrlFormDupeFilter", priority="addon")
        settings.set("SCHEDULER_QUEUE_CLASS", f"{WORKER}.MixedPriorityQueue", priority="addon")
        prefix = settings.get("REDIS_PREFIX") or "newsarchive"
        settings.set("SCHEDULER_QUEUE_KEY", f"{prefix}:%(spider)s:requests", priority="addon")
        # The coordinator clears the queue and the seen URLs when a run starts; a worker
        # leaving keeps them for the others.
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
        settings.replace_in_component_priority_dict("ITEM_PIPELINES", StorePipeline, f"{WORKER}.StreamPipeline")
        settings.replace_in_component_priority_dict("EXTENSIONS", CrawlRun, f"{WORKER}.WorkerRun")
        settings.replace_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", CaptureMiddleware,
                                                    f"{WORKER}.ShippedCaptureMiddleware")
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", f"{WORKER}.HostLimiter", 940)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", f"{WORKER}.WorkerStart", 10)
