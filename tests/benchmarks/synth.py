"""Synthetic news records for benchmarks: deterministic, seeded, in the record shape of
README.md's "The record" (`url`, `canonical_url`, `title`, `body`, `published`, ...,
`related`, `copyright`, `site`), English and Chinese, from 1,000 sites of skewed sizes.

    from tests.benchmarks.synth import Synth, build_archive
    for record in Synth(seed=1).records(10_000):      # the same 10,000 records every time
        ...
    build_archive("/tmp/bench.db", 1_000_000)          # bulk-loaded through the real schema

`Synth(crawled=True)` records also carry what a crawl adds to the extractor's record:
`extraction` (which method filled each field, from a per-site template: a site's pages
share one), `fetched_at` and the `warc` pointer to the raw capture. `build_archive` uses
them and writes every row a crawl's store writes per article (article_urls, related rows,
MinHash bands, the dedupe content hash), so the archive's size on disk is a crawl's.

Text follows Zipf's law over a vocabulary of real function and news words and generated
rarer words, in sentences and paragraphs of news-like lengths (English bodies ~3.5 kB,
Chinese ~3.6 kB). Some words are planted at known rates so benchmarks have queries of known
selectivity (`PLANTED_EN`, `PLANTED_ZH`). Records are made in chunks of `CHUNK` with a
generator seeded by (seed, chunk number): record i is the same whatever range is asked for.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterator

import numpy as np

CHUNK = 1000
DEFAULT_SEED = 20140819

FUNCTION_WORDS = (
    "the of and to in a is that for on was with said it as by at from his be has have an are "
    "which this its not but were had they will after their he been more also who or one new "
    "year would about two up than first over into last other some there could all when its "
    "three can between against while under during most since before only million people "
    "percent government state told such some being still those these through where both "
    "because while may many much very well back"
).split()

NEWS_WORDS = (
    "china beijing shanghai economy market trade growth company companies industry bank "
    "investment technology science park development city province official officials "
    "president minister ministry policy plan project reform energy power electric vehicle "
    "vehicles innovation research university students education health hospital medical "
    "police court law security military defense foreign international cooperation talks "
    "meeting summit agreement export exports import imports price prices consumer consumers "
    "sales revenue profit quarter shares stock stocks investors billion yuan dollar "
    "infrastructure railway airport port shipping transport traffic tourism culture museum "
    "festival film music sports football basketball olympic team match season weather flood "
    "rain drought climate environment pollution water river forest farmers agriculture food "
    "rice production factory workers jobs employment income housing property construction "
    "digital internet data mobile smartphone chip chips artificial intelligence software "
    "startup startups capital fund funds tax taxes budget spending debt loans credit "
    "exhibition conference forum visitors residents community village rural urban district "
    "county region regional national global local public private sector service services "
    "reported reports announced according statement spokesperson expected increase decline "
    "rose fell higher lower record annual monthly daily weekly launched opened built signed"
).split()

SYLLABLES = (
    "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no "
    "nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo za ze zi zo "
    "bra cre dri flo gra kro pla pre sta stri tra tre ver mon tan ger lin dor sel mar ton"
).split()

# Planted words and phrases with the share of that language's articles holding them.
PLANTED_EN = {
    "shougang": 0.00002,
    "quarkwell": 0.00005,
    "zhongguancun": 0.004,
    "desalination": 0.006,
    "science park": 0.005,
    "reported": 0.30,
}
PLANTED_ZH = {
    "首钢园区": 0.0001,
    "中关村": 0.005,
    "人工智能": 0.05,
}

ZH_WORDS = (
    "经济 北京 上海 发展 中国 科技 企业 市场 政府 国际 合作 创新 投资 增长 项目 城市 "
    "建设 工作 会议 政策 改革 产业 技术 服务 公司 文化 教育 医疗 健康 交通 能源 环境 "
    "农业 农村 旅游 体育 比赛 记者 表示 介绍 目前 今年 去年 全国 地区 国家 社会 人民 "
    "数据 平台 消费 金融 银行 出口 进口 贸易 制造 工业 生产 销售 价格 收入 就业 学生 "
    "学校 大学 研究 专家 医院 疫情 防控 安全 管理 法律 法院 警方 部门 领导 主席 总理 "
    "部长 代表 委员 会见 访问 举行 召开 发布 宣布 开幕 闭幕 活动 展览 论坛 游客 居民 "
    "社区 村民 城镇 乡村 河流 森林 气候 天气 暴雨 洪水 干旱 污染 保护 生态 绿色 低碳 "
    "电力 汽车 电动 智能 手机 芯片 软件 互联网 数字 网络 电商 物流 港口 机场 铁路 高铁"
).split()

ZH_CHARS = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过"
    "家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本"
    "见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己"
    "话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平"
    "真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报"
    "立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务"
    "制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科"
    "怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运"
)

SOURCES_EN = ["Xinhua", "China Daily", "ecns", "Global Times", "Reuters", "AP", "CGTN",
              "People's Daily", "Qianlong.com", "Shanghai Daily", "China News Service"]
SOURCES_ZH = ["新华社", "中国新闻网", "人民日报", "央视新闻", "经济日报", "北京日报"]
SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
            "Xu", "Sun", "Hu", "Zhu", "Gao", "Lin", "He", "Guo", "Ma", "Luo"]
GIVEN = ["Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Tao", "Jun", "Hui", "Xin", "Yu",
         "Qiang", "Li", "Na", "Ping", "Gang", "Hong", "Bo", "Ying", "Hao"]
ZH_NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静", "杨帆", "赵磊", "黄晶", "周涛", "吴军"]
SECTIONS = ["news", "business", "economy", "society", "culture", "sports", "tech", "world"]

FIRST_DAY = date(2014, 1, 1)
DAYS = (date(2025, 12, 31) - FIRST_DAY).days


def _zipf_cdf(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def _made_up_words(rng: np.random.Generator, n: int, seen: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < n:
        k = int(rng.integers(2, 5))
        word = "".join(SYLLABLES[int(j)] for j in rng.integers(0, len(SYLLABLES), size=k))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _made_up_zh_words(rng: np.random.Generator, n: int, seen: set[str]) -> list[str]:
    words: list[str] = []
    chars = np.array(list(ZH_CHARS))
    while len(words) < n:
        k = int(rng.choice([2, 2, 2, 3, 4]))
        word = "".join(chars[rng.integers(0, len(chars), size=k)])
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Synth:
    """A deterministic source of synthetic records: `records(n, start)`, `record(i)`."""

    def __init__(self, seed: int = DEFAULT_SEED, n_sites: int = 1000, zh_share: float = 0.2,
                 total: int = 1_000_000, en_vocabulary: int = 60_000, zh_vocabulary: int = 40_000,
                 crawled: bool = False):
        self.seed = seed
        self.crawled = crawled
        self.zh_share = zh_share
        self.total = total  # spreads publication dates over 2014-2025 across this many records
        rng = np.random.default_rng([seed, 0xC0FFEE])
        seen = set(FUNCTION_WORDS) | set(NEWS_WORDS) | {w for p in PLANTED_EN for w in p.split()}
        self.en_vocab = np.array(FUNCTION_WORDS + NEWS_WORDS + _made_up_words(rng, en_vocabulary, seen), dtype=object)
        self.en_cdf = _zipf_cdf(len(self.en_vocab), 1.07)
        seen_zh = set(ZH_WORDS) | set(PLANTED_ZH)
        self.zh_vocab = np.array(ZH_WORDS + _made_up_zh_words(rng, zh_vocabulary, seen_zh), dtype=object)
        self.zh_cdf = _zipf_cdf(len(self.zh_vocab), 1.0)
        stems = _made_up_words(rng, n_sites, set())
        tlds = ["com", "cn", "com.cn", "net", "org", "co.uk"]
        self.sites = [f"{stem}.{tlds[i % len(tlds)]}" for i, stem in enumerate(stems)]
        self.site_cdf = _zipf_cdf(n_sites, 0.8)
        self.templates = _extraction_templates(np.random.default_rng([seed, 0xE47]), n_sites)

    # -- text -------------------------------------------------------------------------

    def _en_words(self, rng: np.random.Generator, n: int) -> list[str]:
        return list(self.en_vocab[np.searchsorted(self.en_cdf, rng.random(n))])

    def _en_body(self, rng: np.random.Generator) -> str:
        n_words = int(np.clip(rng.lognormal(np.log(520), 0.45), 60, 4000))
        words = self._en_words(rng, n_words)
        for word, rate in PLANTED_EN.items():
            if rng.random() < rate:
                at = int(rng.integers(0, len(words)))
                words[at:at] = word.split()
        paragraphs, sentence, sentences = [], [], []
        lengths = iter(rng.integers(8, 32, size=len(words)))
        target = next(lengths)
        for word in words:
            sentence.append(word)
            if len(sentence) >= target:
                sentences.append(sentence[0].capitalize() + " " + " ".join(sentence[1:]) + ".")
                sentence, target = [], next(lengths)
                if len(sentences) >= 4 and rng.random() < 0.35:
                    paragraphs.append(" ".join(sentences))
                    sentences = []
        if sentence:
            sentences.append(sentence[0].capitalize() + " " + " ".join(sentence[1:]) + ".")
        if sentences:
            paragraphs.append(" ".join(sentences))
        return "\n\n".join(paragraphs)

    def _en_title(self, rng: np.random.Generator) -> str:
        words = list(self.en_vocab[len(FUNCTION_WORDS) + rng.integers(0, len(NEWS_WORDS) + 2000, size=int(rng.integers(5, 12)))])
        return " ".join(words).capitalize()

    def _zh_body(self, rng: np.random.Generator) -> str:
        n_words = int(np.clip(rng.lognormal(np.log(560), 0.45), 60, 4000))
        words = list(self.zh_vocab[np.searchsorted(self.zh_cdf, rng.random(n_words))])
        for word, rate in PLANTED_ZH.items():
            if rng.random() < rate:
                words.insert(int(rng.integers(0, len(words))), word)
        paragraphs, clauses, out = [], [], []
        lengths = iter(rng.integers(4, 12, size=len(words)))
        target = next(lengths)
        clause: list[str] = []
        for word in words:
            clause.append(word)
            if len(clause) >= target:
                clauses.append("".join(clause))
                clause, target = [], next(lengths)
                if len(clauses) >= 2 and rng.random() < 0.4:
                    out.append("，".join(clauses) + "。")
                    clauses = []
                    if len(out) >= 3 and rng.random() < 0.3:
                        paragraphs.append("".join(out))
                        out = []
        if clause:
            clauses.append("".join(clause))
        if clauses:
            out.append("，".join(clauses) + "。")
        if out:
            paragraphs.append("".join(out))
        return "\n\n".join(paragraphs)

    def _zh_title(self, rng: np.random.Generator) -> str:
        return "".join(self.zh_vocab[rng.integers(0, 400, size=int(rng.integers(4, 9)))])

    # -- records ----------------------------------------------------------------------

    def _chunk(self, number: int) -> list[dict[str, Any]]:
        rng = np.random.default_rng([self.seed, number])
        site_index = np.searchsorted(self.site_cdf, rng.random(CHUNK))
        zh = rng.random(CHUNK) < self.zh_share
        out = []
        for k in range(CHUNK):
            i = number * CHUNK + k
            record = self._record(rng, i, self.sites[int(site_index[k])], bool(zh[k]))
            if self.crawled:
                # Its own generator: the text of record i is the same with or without these.
                _add_crawl_fields(record, i, self.templates[int(site_index[k])], self.seed)
            out.append(record)
        return out

    def _record(self, rng: np.random.Generator, i: int, site: str, zh: bool) -> dict[str, Any]:
        # Publication dates advance with the record number (an archive fills up over time).
        day = FIRST_DAY + timedelta(days=int(min(DAYS, max(0, i / self.total * DAYS + rng.normal(0, 3)))))
        minute = int(rng.integers(0, 24 * 60))
        published = f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00+08:00"
        section = SECTIONS[int(rng.integers(0, len(SECTIONS)))]
        url = f"https://www.{site}/{section}/{day.year}/{day.month:02d}-{day.day:02d}/{i}.shtml"
        if zh:
            title, body, language = self._zh_title(rng), self._zh_body(rng), "zh"
            source = SOURCES_ZH[int(rng.integers(0, len(SOURCES_ZH)))] if rng.random() < 0.8 else None
            authors = [ZH_NAMES[int(j)] for j in rng.integers(0, len(ZH_NAMES), size=int(rng.integers(0, 3)))]
            editor = ZH_NAMES[int(rng.integers(0, len(ZH_NAMES)))]
            heading = "相关新闻"
        else:
            title, body, language = self._en_title(rng), self._en_body(rng), "en"
            source = SOURCES_EN[int(rng.integers(0, len(SOURCES_EN)))] if rng.random() < 0.8 else None
            authors = [f"{SURNAMES[int(a)]} {GIVEN[int(b)]}" for a, b in rng.integers(0, 20, size=(int(rng.integers(0, 3)), 2))]
            editor = f"{SURNAMES[int(rng.integers(0, 20))]} {GIVEN[int(rng.integers(0, 20))]}"
            heading = "Related news"
        related = []
        for _ in range(int(rng.integers(0, 6))):
            j = int(rng.integers(max(0, i - 5000), i + 1))
            related.append({"title": f"Related story {j}", "url": f"https://www.{site}/news/{j}.shtml",
                            "published": (day - timedelta(days=int(rng.integers(0, 60)))).isoformat()})
        return {
            "url": url,
            "canonical_url": url,
            "title": title,
            "body": body,
            "published": published,
            "updated": None,
            "source": source,
            "authors": authors,
            "editor": editor,
            "language": language,
            "related_heading": heading if related else None,
            "related": related,
            "copyright": {"text": f"Copyright ©2000-{day.year} {site}. All rights reserved.",
                          "holder": site, "years": [2000, day.year]},
            "site": site,
        }

    def records(self, n: int, start: int = 0) -> Iterator[dict[str, Any]]:
        """Records start .. start+n-1."""
        end = start + n
        for number in range(start // CHUNK, (end + CHUNK - 1) // CHUNK):
            base = number * CHUNK
            for k, record in enumerate(self._chunk(number)):
                if start <= base + k < end:
                    yield record

    def record(self, i: int) -> dict[str, Any]:
        return next(self.records(1, start=i))


# -- what a crawl adds to the record ------------------------------------------------------

# The extractor's method names (crawler/extraction/cascade.py and its modules), per field.
EXTRACTION_CHOICES = {
    "language": (["html", "meta", "jsonld"], ["text", "html"]),
    "title": (["og", "h1", "title", "jsonld"], ["h1", "og", "title"]),
    "canonical_url": (["link"], ["link"]),
    "authors": (["jsonld", "meta", "byline"], ["chinese-byline"]),
    "published": (["jsonld", "meta", "time", "htmldate"], ["chinese-text", "meta", "htmldate"]),
    "updated": (["jsonld", "meta"], ["meta"]),
    "body": (["trafilatura+clean", "trafilatura", "jsonld"], ["trafilatura", "trafilatura+clean"]),
    "source": (["source-label", "dateline", "jsonld"], ["chinese-byline", "source-label"]),
    "editor": (["editor-line"], ["chinese-byline"]),
    "related": (["generic"], ["generic"]),
    "related_heading": (["generic"], ["generic"]),
    "copyright": (["generic"], ["generic"]),
}
# Share of sites with a site profile (every field "profile:NAME"), as ECNS has.
PROFILE_SHARE = 0.01
CRAWL_STARTED = datetime(2026, 1, 1, tzinfo=timezone.utc)
WARC_RECORDS_PER_FILE = 2_000  # ~100 MB files of ~50 kB gzipped responses


def _extraction_templates(rng: np.random.Generator, n_sites: int) -> list[tuple[dict, dict] | str]:
    """Per site: its profile name, or the method each field comes from (English, Chinese)."""
    out: list[tuple[dict, dict] | str] = []
    for site in range(n_sites):
        if rng.random() < PROFILE_SHARE:
            out.append(f"profile:site{site}")
            continue
        out.append(tuple(
            {field: choices[lang][int(rng.integers(0, len(choices[lang])))] for field, choices in EXTRACTION_CHOICES.items()}
            for lang in (0, 1)
        ))
    return out


def _add_crawl_fields(record: dict[str, Any], i: int, template, seed: int) -> None:
    """`extraction`, `fetched_at` and `warc` as a crawl's store receives them."""
    rng = np.random.default_rng([seed, 0x3A7C, i])
    present = [f for f in EXTRACTION_CHOICES if f not in ("copyright",) and record.get(f) not in (None, "", [])]
    present.append("copyright")
    if isinstance(template, str):
        record["extraction"] = {f: template for f in present}
    else:
        methods = template[1 if record["language"] == "zh" else 0]
        extraction = {f: methods[f] for f in present}
        if rng.random() < 0.1:  # a page unlike its site's template: another method for one field
            field = present[int(rng.integers(0, len(present)))]
            choices = EXTRACTION_CHOICES[field][1 if record["language"] == "zh" else 0]
            extraction[field] = choices[int(rng.integers(0, len(choices)))]
        record["extraction"] = extraction
    fetched = CRAWL_STARTED + timedelta(seconds=i * 2 + int(rng.integers(0, 2)))
    record["fetched_at"] = fetched.isoformat(timespec="seconds")
    number = i // WARC_RECORDS_PER_FILE
    started = CRAWL_STARTED + timedelta(seconds=number * WARC_RECORDS_PER_FILE * 2)
    record["warc"] = {
        "file": f"archive.db-warc/newsarchive-news-{started:%Y%m%d%H%M%S}-{number % 100_000 + 1:05d}-{4000 + number % 997}.warc.gz",
        "offset": (i % WARC_RECORDS_PER_FILE) * 51_200 + int(rng.integers(0, 40_000)),
        "record_id": f"<urn:uuid:{uuid.UUID(bytes=rng.bytes(16), version=4)}>",
    }


# -- bulk loading -------------------------------------------------------------------------

_worker_synth: Synth | None = None


def _worker_init(seed: int, total: int) -> None:
    global _worker_synth
    _worker_synth = Synth(seed=seed, total=total, crawled=True)


def _chunk_rows(bounds: tuple[int, int]):
    """The rows a crawl's store writes for records start..end-1 (article ids start+1..end):
    articles (with the dedupe content hash), article_urls (the URL and its canonical form),
    related entries, MinHash bands; and the raw text bytes (title + body, UTF-8)."""
    from archive import dedupe
    from archive.store import record_to_row, record_url_keys

    start, end = bounds
    seen_at = "2026-01-01T00:00:00+00:00"
    articles, urls, related, bands = [], [], [], []
    columns, raw_text = None, 0
    for offset, record in enumerate(_worker_synth.records(end - start, start=start)):
        article_id = start + offset + 1
        row = record_to_row(record)
        keys = record_url_keys(record)
        chash, band_values = dedupe.fingerprint(row["body"] or "")
        row.update(id=article_id, url_key=keys[0], content_hash=chash, first_seen=seen_at, last_seen=seen_at)
        if columns is None:
            columns = list(row)
        articles.append([row[c] for c in columns])
        for key, url in zip(keys, (record["url"], record.get("canonical_url") or record["url"])):
            urls.append((key, article_id, url, seen_at))
        related.extend((article_id, position, record["related_heading"], r["title"], r["url"], r["published"])
                       for position, r in enumerate(record["related"], start=1))
        bands.extend((band, value, article_id) for band, value in band_values or ())
        raw_text += len(record["title"].encode()) + len(record["body"].encode())
    return columns, articles, urls, related, bands, raw_text


def build_archive(path: str | Path, n: int, *, synth: Synth | None = None, batch: int = 5_000,
                  progress: bool = True, workers: int = 2) -> dict[str, Any]:
    """Create an archive of `n` synthetic articles at `path` through the real schema
    (archive.schema's migrations) holding every row a crawl writes per article (see the
    module's docstring), fast: records made in `workers` processes, rows inserted in large
    transactions with the full-text triggers dropped, both indexes rebuilt once at the end,
    triggers restored. Returns build figures (seconds, raw text bytes)."""
    from sqlite_utils import Database

    from archive.schema import (
        apply_migrations,
        create_search_triggers,
        drop_search_triggers,
        rebuild_search_indexes,
        release_free_pages,
        set_page_size,
    )

    seed = synth.seed if synth else DEFAULT_SEED
    path = Path(path)
    building = path.with_name(path.name + ".building")
    for leftover in (path, building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(building, isolation_level=None)
    set_page_size(conn)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    db = Database(conn)
    apply_migrations(db)
    drop_search_triggers(db)
    raw_text = done = 0
    tasks = [(s, min(s + batch, n)) for s in range(0, n, batch)]
    with get_context("fork").Pool(workers, initializer=_worker_init, initargs=(seed, n)) as pool:
        for columns, articles, urls, related, bands, raw in pool.imap(_chunk_rows, tasks):
            conn.execute("BEGIN")
            conn.executemany(f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                             articles)
            conn.executemany("INSERT OR IGNORE INTO article_urls (url_key, article_id, url, first_seen) VALUES (?, ?, ?, ?)",
                             urls)
            conn.executemany("INSERT INTO related (article_id, position, heading, title, url, published) VALUES (?, ?, ?, ?, ?, ?)",
                             related)
            conn.executemany("INSERT OR IGNORE INTO minhash_bands (band, value, article_id) VALUES (?, ?, ?)", bands)
            conn.execute("COMMIT")
            raw_text += raw
            done += len(articles)
            if progress and done % 100_000 < batch:
                print(f"  {done:>9,} articles  {time.perf_counter() - started:7.1f} s", flush=True)
    loaded = time.perf_counter() - started
    if progress:
        print(f"  rows loaded in {loaded:.1f} s; building full-text indexes", flush=True)
    conn.execute("BEGIN")
    rebuild_search_indexes(db)
    create_search_triggers(db)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("ANALYZE")
    release_free_pages(conn)  # as Archive.close does at the end of every crawl
    conn.close()
    building.rename(path)
    figures = {"articles": n, "raw_text_bytes": raw_text, "load_seconds": round(loaded, 1),
               "total_seconds": round(time.perf_counter() - started, 1), "seed": seed}
    Path(str(path) + ".json").write_text(json.dumps(figures, indent=2))
    return figures
