"""Scrapy side of the news archive: spiders, extraction, pipelines, middlewares."""
