"""Only for `scrapyd-deploy`, which builds the project's egg with `python setup.py
bdist_egg` (and writes a setup.py of its own when there is none). Everything else about the
package, including the `scrapy` entry point Scrapyd reads, is in pyproject.toml."""

from setuptools import setup

setup()
