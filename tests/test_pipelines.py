"""The pipelines one by one, with a real crawler's stats (no crawl)."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.items import Article
from crawler.pipelines.dedupe import DedupePipeline
from crawler.normalize import normalize_language
from crawler.pipelines.normalization import NormalizePipeline
from crawler.pipelines.storage import StorePipeline
from crawler.pipelines.validation import ValidatePipeline
from tests.conftest import make_record


def article(**overrides) -> Article:
    record = make_record(**overrides)
    return Article(**{k: v for k, v in record.items() if k in Article.__dataclass_fields__})


@pytest.fixture
def crawler(archive_path):
    crawler = get_crawler(settings_dict={"ARCHIVE_PATH": str(archive_path), "ARCHIVE_BATCH_SIZE": 1})
    crawler.stats.open_spider()
    return crawler


@pytest.mark.parametrize(
    "overrides, reason",
    [({"title": "  "}, "missing_title"), ({"body": None}, "missing_body"), ({"body": "Too short."}, "missing_body")],
)
def test_validate_drops_non_articles_with_a_counted_reason(crawler, overrides, reason):
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(article(**overrides))
    assert crawler.stats.get_value(f"validate/dropped/{reason}") == 1
    assert pipeline.process_item(article()) is not None
    assert crawler.stats.get_value("validate/passed") == 1


def test_normalize_cleans_whitespace_urls_dates_and_language(crawler):
    item = article(
        url="http://www.ecns.cn/news/a.shtml",
        title="  Spaced \n title ",
        body="first  para\n\n\n\nsecond",
        published="2014-08-19 10:39",
        canonical_url="/news/a.shtml",
        related=[{"title": " Rel ", "url": "/news/b.shtml", "published": "2014-05-16"}, {"title": "js", "url": "javascript:x()"}],
        language="EN_us",
        authors=["  Zhang Wei ", "Zhang Wei", ""],
    )
    NormalizePipeline.from_crawler(crawler).process_item(item)
    assert item.title == "Spaced title"
    assert item.body == "first para\n\nsecond"
    assert item.published == "2014-08-19T10:39:00"
    assert item.canonical_url == "http://www.ecns.cn/news/a.shtml"
    assert item.related == [{"title": "Rel", "url": "http://www.ecns.cn/news/b.shtml", "published": "2014-05-16"}]
    assert item.language == "en-US"
    assert item.authors == ["Zhang Wei"]
    assert item.site == "ecns.cn"
    assert crawler.stats.get_value("normalize/fields_changed") > 0


def test_normalize_stores_text_in_nfc(crawler):
    item = article(title="Cafe\u0301 owners", body="Mu\u0308ller opened a cafe\u0301 in Chengdu. " * 3)
    NormalizePipeline.from_crawler(crawler).process_item(item)
    assert item.title == "Caf\u00e9 owners"
    assert item.body.startswith("M\u00fcller opened a caf\u00e9")


def test_normalize_drops_a_canonical_link_to_another_site(crawler):
    item = article(url="https://www.ecns.cn/a", canonical_url="https://www.chinadaily.com.cn/a")
    NormalizePipeline.from_crawler(crawler).process_item(item)
    assert item.canonical_url is None


def test_language_codes():
    assert normalize_language("zh-cn") == "zh-CN"
    assert normalize_language("en") == "en"
    assert normalize_language("not a language!") is None


def test_dedupe_then_store_counts_each_outcome(crawler):
    dedupe, store = DedupePipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)
    for item in (article(), article(url="https://example.com/news/2024/a.html?utm_source=x"), article(url="https://elsewhere.example.org/copy")):
        store.process_item(dedupe.process_item(item))
    stats = crawler.stats
    assert stats.get_value("dedupe/new") == 1
    assert stats.get_value("dedupe/same_article") == 1
    assert stats.get_value("dedupe/same_text") == 1
    assert (stats.get_value("store/new"), stats.get_value("store/unchanged"), stats.get_value("store/duplicate")) == (1, 1, 1)
