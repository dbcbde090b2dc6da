"""Spiders: navigation only. They decide which pages to fetch and which are articles, and
hand article pages to `crawler.extraction`."""
