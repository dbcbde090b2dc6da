"""The read library (archive/read/) over a small archive written by the real write
path: ranking, FTS5 syntax, Chinese search, filters, bad input, the trigram index kept in
sync, older and read-only archives."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from sqlite_utils import Database

from archive import read as lib
from archive.read import planning
from archive.schema import migrations
from archive.store import Archive, ArchiveError, ArchiveReadOnlyError
from tests.conftest import ROOT, SEED_URL, make_record
from tests.test_search_fixtures import COPY_URL, REVISED_URL, build_query_archive


@pytest.fixture(scope="module")
def query_archive(tmp_path_factory):
    return build_query_archive(tmp_path_factory.mktemp("query") / "archive.db")


@pytest.fixture
def db(query_archive):
    database = lib.connect(query_archive)
    yield database
    database.close()


def ids(result: lib.SearchResult) -> list[int]:
    return [hit.id for hit in result.hits]


def id_of(db, url: str) -> int:
    return lib.find_article(db, url)


# -- English: ranking, stemming, FTS5 syntax ---------------------------------------------


def test_seed_article_found_with_snippet_and_fields(db):
    result = lib.search(db, "Shougang")
    assert result.index == "words" and result.total == 1 and result.total_exact
    hit = result.hits[0]
    assert hit.url == SEED_URL and hit.source == "Qianlong.com" and hit.site == "ecns.cn"
    assert "[Shougang]" in hit.snippet


def test_stemming_reported_finds_reports(db):
    found = {h.url for h in lib.search(db, "reported").hits}
    assert REVISED_URL in found  # "reports" in its title and body
    assert SEED_URL in found  # "reported"


def test_headline_match_ranks_first(db):
    # "reports" is in the tourism article's headline, only in the seed's body.
    assert lib.search(db, "reported").hits[0].url == REVISED_URL


def test_phrase_search_keeps_word_order(db):
    phrase = {h.url for h in lib.search(db, '"science park"').hits}
    assert SEED_URL in phrase and REVISED_URL in phrase
    reversed_phrase = lib.search(db, '"park science"')
    assert [h.title for h in reversed_phrase.hits] == ["Park festival draws crowds"]


def test_prefix_boolean_near_and_column_queries(db):
    assert SEED_URL in {h.url for h in lib.search(db, "zhongguan*").hits}
    assert lib.search(db, "Shougang OR festival").total == 2
    assert lib.search(db, "park NOT festival").total == 2
    assert lib.search(db, "NEAR(Shougang memorandum, 10)").total == 1
    assert lib.search(db, "NEAR(Shougang festival, 2)").total == 0
    assert lib.search(db, "title:festival").total == 1
    assert lib.search(db, "title:museums").total == 0


def test_punctuation_in_words_is_searched_not_parsed(db):
    # U.S., COVID-19, a colon: FTS5 rejects them as barewords; they are searched as phrases.
    for query in ("U.S. trade", "COVID-19", "10:30 meeting", "Qianlong.com"):
        lib.search(db, query)
    assert lib.search(db, "Qianlong.com").total >= 1


def test_paging_and_window(db):
    everything = lib.search(db, "park", limit=2)
    assert everything.total == 3 and len(everything.hits) == 2
    second = lib.search(db, "park", limit=2, offset=2)
    assert len(second.hits) == 1 and not set(ids(everything)) & set(ids(second))
    windowed = lib.search(db, "park", limit=1, candidates=2)
    assert windowed.window_full and windowed.window == 2 and windowed.total == everything.total


# -- Chinese -----------------------------------------------------------------------------


def test_chinese_three_characters_uses_trigram_index(db):
    result = lib.search(db, "中关村")
    assert result.index == "trigram"
    assert {h.title for h in result.hits} == {"中关村与首钢携手打造产业平台", "村科学普及活动"}
    assert "[中关村]" in result.hits[0].snippet


def test_chinese_longer_term_is_checked_against_the_text(db):
    # 村科学普及活动 holds every trigram of 中关村科 but not the word: not a match.
    result = lib.search(db, "中关村科")
    assert [h.title for h in result.hits] == ["中关村与首钢携手打造产业平台"]


def test_chinese_two_character_words(db):
    result = lib.search(db, "首钢")
    assert result.index == "trigram" and [h.title for h in result.hits] == ["中关村与首钢携手打造产业平台"]
    both = lib.search(db, "北京 经济")
    assert {h.title for h in both.hits} == {"人工智能企业聚集上海", "中关村与首钢携手打造产业平台"}


def test_chinese_single_character(db):
    result = lib.search(db, "钢")
    assert result.index == "trigram"  # rare: the trigrams beginning with it
    assert {h.title for h in result.hits} == {"中关村与首钢携手打造产业平台", "村科学普及活动"}


def test_common_short_chinese_terms_are_read_in_the_text_not_silently_empty(db, monkeypatch):
    monkeypatch.setattr(planning, "MAX_EXPANSIONS", 0)  # every short term counts as common
    result = lib.search(db, "钢")
    assert result.index == "scan"
    assert {h.title for h in result.hits} == {"中关村与首钢携手打造产业平台", "村科学普及活动"}
    assert any("newest articles first" in note for note in result.notes)
    assert [h.title for h in lib.search(db, "首钢 中关村").hits] == ["中关村与首钢携手打造产业平台"]
    windowed = lib.search(db, "村", limit=1, candidates=1)
    assert windowed.window_full and windowed.total == 2 and windowed.total_exact


def test_chinese_boolean_and_unsupported_operators(db):
    assert lib.search(db, "人工智能 OR 中关村").total == 3
    assert lib.search(db, "中关村 NOT 首钢集团").total == 1
    with pytest.raises(lib.QuerySyntaxError, match="NEAR"):
        lib.search(db, "NEAR(中关村 首钢集团)")
    with pytest.raises(lib.QuerySyntaxError, match="shorter than 3"):
        lib.search(db, "经济 OR 北京")


def test_english_query_does_not_use_trigram(db):
    assert lib.search(db, "Shougang").index == "words"
    assert lib.search(db, "首钢集团 Shougang").index == "trigram"


# -- filters -----------------------------------------------------------------------------


def test_filters(db):
    assert {h.site for h in lib.search(db, "park", filters=lib.Filters(site="www.example.com")).hits} == {"example.com"}
    assert [h.source for h in lib.search(db, "park", filters=lib.Filters(source="Xinhua")).hits] == ["Xinhua"]
    assert lib.search(db, "park", filters=lib.Filters(author="zhang")).total == 1
    assert lib.search(db, "park", filters=lib.Filters(since="2020", until="2020-12-31")).total == 1
    assert lib.search(db, "park", filters=lib.Filters(since="2021-05-09")).total == 1
    assert lib.search(db, "park", filters=lib.Filters(until="2014-08")).total == 1
    assert lib.search(db, "人工智能", filters=lib.Filters(language="zh")).total == 1  # zh-CN
    assert lib.search(db, "park", filters=lib.Filters(language="zh")).total == 0
    assert lib.search(db, "park", filters=lib.Filters(site="nowhere.example")).total == 0


@pytest.mark.parametrize("bad", [lib.Filters(since="yesterday"), lib.Filters(until="2020-13"),
                                 lib.Filters(since="2021", until="2020")])
def test_bad_filters(db, bad):
    with pytest.raises(lib.BadFilterError):
        lib.search(db, "park", filters=bad)


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("query, error", [
    ("", lib.EmptyQueryError),
    ("   ", lib.EmptyQueryError),
    ("?!", lib.EmptyQueryError),
    ("AND", lib.QuerySyntaxError),
    ("Shougang AND", lib.QuerySyntaxError),
    ("OR OR", lib.QuerySyntaxError),
    ('"science park', lib.QuerySyntaxError),
    ("(Shougang", lib.QuerySyntaxError),
    ("nosuchcolumn:word", None),
    ("x" * 10_000, lib.QueryTooLongError),
    ("中" * 10_000, lib.QueryTooLongError),
])
def test_malformed_queries_get_one_line_errors(db, query, error):
    if error is None:
        lib.search(db, query)
        return
    with pytest.raises(error) as info:
        lib.search(db, query)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    assert "Traceback" not in message


@pytest.mark.parametrize("query, message", [
    ("NEAR(", "bad NEAR in search query: NEAR( is not closed; write NEAR(steel plant) or NEAR(steel plant, 5)"),
    ("NEAR(Shougang memorandum, 10", "NEAR( is not closed"),
    ("NEAR()", "NEAR( ) holds no words"),
    ("NEAR(Shougang memorandum, ten)", "only a comma and a distance (a whole number) may follow"),
    ("NEAR(Shougang, memorandum)", "only a comma and a distance (a whole number) may follow"),
    ("NEAR(Shougang OR memorandum)", "'OR' cannot go inside NEAR( )"),
    ("NEAR(^Shougang memorandum)", "'^Shougang' cannot go inside NEAR( )"),
    ("NEAR(title:Shougang memorandum)", "'title:Shougang' cannot go inside NEAR( )"),
    ("NEAR((Shougang) memorandum)", "parentheses cannot go inside NEAR( )"),
    ("(" * 300 + "Shougang" + ")" * 300, "search query nests parentheses more than 20 deep"),
    ("(Shougang OR festival", "unbalanced parentheses in search query: a '(' without its ')'"),
    ("Shougang) OR (festival", "unbalanced parentheses in search query: a ')' without its '('"),
])
def test_near_and_parenthesis_errors_say_what_is_wrong(db, query, message):
    with pytest.raises(lib.QuerySyntaxError) as info:
        lib.search(db, query)
    assert message in str(info.value)
    assert "AND, OR, NOT need words" not in str(info.value) and len(str(info.value)) < 150


@pytest.mark.parametrize("query", [
    "AND " * 240,  # an operator but no words
    "- " * 490 + "!",  # no words
    '"' + "-" * 990 + '"',  # no words, one phrase
    "Shougang OR " * 70 + "OR",  # FTS5's syntax error
    "\x1b\x07\x9b ; AND " * 60,  # terminal control characters, no words
])
def test_query_errors_quote_at_most_a_short_excerpt(db, query):
    with pytest.raises(lib.QuerySyntaxError) as info:
        lib.search(db, query)
    message = str(info.value)
    assert len(message) < 200 and query.strip() not in message
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in message)


def test_near_distance_written_without_a_space(db):
    # "memorandum,10" was searched as the phrase "memorandum 10"
    for query in ("NEAR(Shougang memorandum,10)", "NEAR(Shougang memorandum ,10)", "NEAR(Shougang memorandum , 10)"):
        assert lib.search(db, query).total == 1, query
    assert lib.search(db, "NEAR(Shougang memorandum,1)").total == 0


@pytest.mark.parametrize("query", ["'; DROP TABLE articles; --", "1; DELETE FROM articles", "\" OR 1=1 --\"",
                                   "Robert'); DROP TABLE revisions;--"])
def test_sql_looking_text_is_only_searched(db, query_archive, query):
    try:
        lib.search(db, query)
    except lib.QuerySyntaxError:
        pass
    check = sqlite3.connect(query_archive)
    assert check.execute("select count(*) from articles").fetchone()[0] == 7
    assert check.execute("select count(*) from revisions").fetchone()[0] == 1
    check.close()


def test_long_but_allowed_query(db):
    query = " OR ".join(["word"] * 120)
    assert len(query) < lib.MAX_QUERY_CHARS
    assert lib.search(db, query).total == 0


# -- reading articles -------------------------------------------------------------------


def test_find_article_by_id_and_url_forms(db):
    article_id = id_of(db, SEED_URL)
    assert lib.find_article(db, str(article_id)) == article_id
    assert lib.find_article(db, SEED_URL.replace("http://www.", "https://") + "?utm_source=x") == article_id
    assert lib.find_article(db, COPY_URL) == id_of(db, REVISED_URL)  # a syndicated copy's original
    for unknown in ("999999", "https://nowhere.example/a", "not an id", "", "1e9", "-1"):
        with pytest.raises(lib.ArticleNotFoundError):
            lib.find_article(db, unknown)


def test_get_article_has_related_versions_duplicates(db):
    record = lib.get_article(db, REVISED_URL)
    assert record["authors"] == ["Zhang Wei", "Li Na"]
    assert [v["version"] for v in record["versions"]] == [1, 2] and record["versions"][-1]["current"]
    assert [d["url"] for d in record["duplicates"]] == [COPY_URL]
    seed = lib.get_article(db, SEED_URL)
    assert [r["title"] for r in seed["related"]][0] == "Zhongguancun may host private bank"


def test_diff_between_versions(db):
    article_id = id_of(db, REVISED_URL)
    assert lib.parse_version_range("1..2", 2) == (1, 2)
    assert lib.parse_version_range("1..current", 2) == (1, 2)
    assert lib.parse_version_range("1", 2) == (1, 2)
    assert lib.parse_version_range("..2", 2) == (1, 2)
    diff = lib.diff_versions(db, article_id, 1, 2)
    assert "-Museums extended their opening hours." in diff
    assert "+Museums extended their opening hours until midnight." in diff
    assert diff.startswith("--- version 1")
    for bad in ("0..2", "1..3", "a..b", "..", "1..2..3"):
        with pytest.raises(lib.VersionNotFoundError):
            lib.parse_version_range(bad, 2)


def test_stats(db):
    data = lib.stats(db)
    assert data["totals"]["articles"] == 7 and data["totals"]["revisions"] == 1 and data["totals"]["duplicates"] == 1
    months = {r["month"]: r["articles"] for r in data["per_month"]}
    assert months["2014-08"] == 2
    fill = {r["site"]: r for r in data["fill_rates"]}
    assert fill["ecns.cn"]["related"] == 1.0 and fill["example.com"]["authors"] == pytest.approx(2 / 3, abs=0.001)


def test_export_records(db):
    records = list(lib.export_records(db, "park"))
    assert len(records) == 3 and all(set(r) == set(lib.EXPORT_FIELDS) for r in records)
    assert [r["title"] for r in lib.export_records(db, "中关村科")] == ["中关村与首钢携手打造产业平台"]
    assert len(list(lib.export_records(db, None, filters=lib.Filters(language="zh")))) == 3
    with pytest.raises(lib.QuerySyntaxError):
        list(lib.export_records(db, "AND"))


# -- the trigram index follows the write path --------------------------------------------


def trigram_titles(db: Database, query: str) -> list[str]:
    return [h.title for h in lib.search(db, query).hits]


@pytest.mark.parametrize("commit_each", [True, False], ids=["committed-each", "one-batch"])
def test_trigram_index_follows_new_revised_and_changed_script_articles(archive_path, commit_each):
    # An article is searchable from the commit that stores it: one batch each (its
    # revisions then change an article already indexed), or all in one batch (indexed once,
    # at the commit, as it is then).
    url = "https://www.chinanews.com.cn/a/1.shtml"

    def search(query):
        if commit_each:
            archive.flush()
        return trigram_titles(archive.db, query)

    with Archive(archive_path, create=True) as archive:
        archive.store(make_record(url=url, title="北京新闻", body="首钢园区举办冬奥会展览。", language="zh"))
        if commit_each:
            assert search("首钢园区") == ["北京新闻"]
        # A revision: the old text leaves the index, the new one enters.
        archive.store(make_record(url=url, title="北京新闻", body="中关村科技园区发布新政策。", language="zh"))
        if commit_each:
            assert search("首钢园区") == []
            assert search("中关村科技") == ["北京新闻"]
        # Seen again unchanged: only last_seen changes; nothing is re-indexed.
        archive.store(make_record(url=url, title="北京新闻", body="中关村科技园区发布新政策。", language="zh"))
        # Now English only: out of the trigram index.
        archive.store(make_record(url=url, title="Beijing news", body="Only English text now, about the park."))
        assert search("中关村科技") == []
        # An English article quoting Chinese enters it.
        archive.store(make_record(url="https://www.example.com/b", title="Zhongguancun (中关村)",
                                  body="Zhongguancun Science Park (中关村科技园) is in Beijing."))
        assert search("中关村科技园") == ([] if not commit_each else ["Zhongguancun (中关村)"])
        archive.flush()
        assert search("中关村科技园") == ["Zhongguancun (中关村)"]
        assert search("首钢园区") == [] and search("中关村科技园区") == []
        assert [h.title for h in lib.search(archive.db, "English").hits] == ["Beijing news"]
        for table in ("articles_fts", "articles_trigram"):
            archive.db.execute(f"insert into {table} ({table}) values ('integrity-check')")
        gone = archive.article_id_for_url("https://www.example.com/b")
        for table in ("related", "article_urls", "minhash_bands"):
            archive.db.execute(f"delete from {table} where article_id = ?", [gone])
        archive.db.execute("delete from articles where id = ?", [gone])
        assert trigram_titles(archive.db, "中关村科技园") == []
        archive.db.execute("insert into articles_trigram (articles_trigram) values ('integrity-check')")


def test_search_triggers_fire_only_on_text_changes(archive_path):
    with Archive(archive_path, create=True) as archive:
        archive.store(make_record())
        sql = archive.db.execute("select sql from sqlite_master where name = 'articles_au'").fetchone()[0]
        assert "UPDATE OF id, title, body" in sql


# -- older and read-only archives ----------------------------------------------------------


def test_older_archive_is_refused_read_only_then_migrated_on_write_open(tmp_path):
    path = tmp_path / "old.db"
    db = Database(path)
    migrations.apply(db, stop_before="m201_trigram_search")
    db["articles"].insert({"url": "https://www.chinanews.com.cn/x", "url_key": "chinanews.com.cn/x",
                           "title": "首钢园区", "body": "首钢园区举办冬奥会展览。", "site": "chinanews.com.cn",
                           "first_seen": "2024-01-01", "last_seen": "2024-01-01", "language": "zh"})
    db.close()
    with pytest.raises(ArchiveError, match="needs migrating"):
        lib.connect(path)
    Archive(path, create=True).close()  # a write open migrates
    migrated = lib.connect(path)
    assert [h.title for h in lib.search(migrated, "首钢园区").hits] == ["首钢园区"]  # indexed by the migration
    assert migrated.execute("select month from articles").fetchone()[0] is None


def test_missing_and_non_sqlite_files(tmp_path):
    with pytest.raises(ArchiveError, match="does not exist"):
        lib.connect(tmp_path / "nope.db")
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n" * 10)
    with pytest.raises(ArchiveError, match="not an SQLite database"):
        lib.connect(notes)


def test_read_only_file_searches_and_refuses_writes(tmp_path, query_archive):
    path = tmp_path / "ro.db"
    shutil.copy(query_archive, path)
    os.chmod(path, 0o444)
    try:
        db = lib.connect(path)
        assert lib.search(db, "Shougang").total == 1
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db.execute("delete from articles")
        db.close()
        with Archive(path, readonly=True) as archive, pytest.raises(ArchiveReadOnlyError):
            archive.store(make_record())
    finally:
        os.chmod(path, 0o644)


def test_read_only_mount_searches(tmp_path, query_archive):
    """A read-only mount (SQLite cannot create the WAL's -shm file there): the archive is
    opened immutable. Needs a private mount namespace (root, unshare), as make test runs on CI."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.fail("this test bind-mounts a directory read-only: it needs unshare (util-linux) and root", pytrace=False)
    directory = tmp_path / "mnt"
    directory.mkdir()
    shutil.copy(query_archive, directory / "archive.db")
    script = (
        f"mount --bind {directory} {directory} && mount -o remount,ro,bind {directory} && "
        f"{sys.executable} -m archive search Shougang --json -d {directory / 'archive.db'} && "
        f"{{ touch {directory}/x 2>/dev/null && echo WRITABLE || true; }}"
    )
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail(f"unshare -m is not permitted here: {probe.stderr.decode(errors='replace').strip()}", pytrace=False)
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert '"total": 1' in proc.stdout and "WRITABLE" not in proc.stdout
