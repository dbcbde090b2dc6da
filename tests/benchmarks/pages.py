"""ECNS-like pages for the parse and crawl benchmarks, made from the recorded fixture pages of
both template generations with their variable parts replaced by generated ones.

Articles take their text from the shared synthetic records (`tests/benchmarks/synth.py`):
headline, paragraphs of news-like lengths, credited source, byline, editor. Each page varies
what the fixtures vary: generation 1 (2013-2018, relative links, CRLF, div.left_zw, zt_list)
or 2 (2019 on, h1.title, div.article, div.related), a source element or none (a dateline or an
attribution in the text instead), an editor or none, a byline or none, a photo with caption,
a related block of 0-8 entries linking other generated articles, or none.

All URLs are http://www.ecns.cn/... so a crawl can reach a loopback server through an HTTP
proxy setting (see bench_crawl.py). `site(n)` lays out n articles with section listings and
pagination; `write_site` writes them as files for a static web server.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from tests.benchmarks.benchlib import REPO

FIXTURES = REPO / "fixtures" / "ecns"
GEN1_TEMPLATE = FIXTURES / "g1-zgc-deutsche-borse" / "body.html"
GEN2_TEMPLATE = FIXTURES / "g2-economy-cold-chain-seconds" / "body.html"
LISTING_TEMPLATE = FIXTURES / "g2-listing-economy" / "body.html"

HOST = "http://www.ecns.cn"
GEN1_SECTIONS = ("business", "travel")
GEN2_SECTIONS = ("economy", "society", "culture", "sports")
PER_LISTING_PAGE = 40


@dataclass
class GeneratedPage:
    url: str
    body: bytes
    kind: str  # "article" or "listing"
    title: str | None = None
    first_paragraph: str | None = None
    generation: int | None = None


def _replace_once(text: str, pattern: str, replacement: str) -> str:
    new, count = re.subn(pattern, lambda m: replacement, text, count=1, flags=re.DOTALL)
    if count != 1:
        raise RuntimeError(f"fixture template changed: {pattern!r} not found")
    return new


def _gen2_template() -> str:
    html = GEN2_TEMPLATE.read_text(encoding="utf-8")
    old_url = "https://www.ecns.cn/news/economy/2024-11-18/detail-ihekectp0358339.shtml"
    html = html.replace(quote(old_url, safe=""), "@@URLQ@@").replace(old_url, "@@URL@@")
    html = html.replace("Cold-chain logistics expands as winter fruit imports rise", "@@TITLE@@")
    html = _replace_once(html, r'<meta name="description" content="[^"]*">', '<meta name="description" content="@@DESC@@">')
    html = _replace_once(html, r'<div class="info">.*?</div>', "@@INFO@@")
    html = _replace_once(html, r'<div class="article" id="yanse">.*?</div>\s*<div class="related">.*?</ul>\s*</div>', "@@ARTICLE@@")
    html = html.replace("https://www.ecns.cn/news/economy/", "@@SECTION@@")
    return html


def _gen1_template() -> str:
    html = GEN1_TEMPLATE.read_bytes().decode("utf-8")
    old_path = "/business/2014/05-16/115221.shtml"
    html = html.replace(quote("http://www.ecns.cn" + old_path, safe=""), "@@URLQ@@")
    html = html.replace(f'<li><a href="{old_path}"', '<li><a href="@@PATH@@"')
    html = html.replace("Zhongguancun in strategic partnership with Deutsche Borse", "@@TITLE@@")
    html = _replace_once(html, r'<meta name="description" content="[^"]*" />', '<meta name="description" content="@@DESC@@" />')
    html = _replace_once(html, r'<div class="l_info">.*?</div>', "@@INFO@@")
    html = _replace_once(html, r'<div class="left_zw" id="yanse">.*?</div>', "@@ARTICLE@@")
    html = _replace_once(html, r'<div class="zt_list">.*?</ul>\s*</div>', "@@RELATED@@")
    html = html.replace('href="/business/"', 'href="@@SECTION@@"')
    return html


def _listing_template() -> str:
    html = LISTING_TEMPLATE.read_text(encoding="utf-8")
    html = _replace_once(html, r'<div class="list">.*?</div>\s*</div>', '<div class="list">@@LIST@@</div>\n  </div>')
    html = html.replace("https://www.ecns.cn/", HOST + "/")
    return html


SOURCES = ("Xinhua", "China Daily", "ECNS", "Global Times", "Beijing Daily", "People's Daily Online")
EDITORS = ("Li Yan", "Mo Hong'e", "Xu Shanshan", "Wang Fan", "Zhang Dong", "Gu Liping")
AUTHORS = ("Zhang Wei", "Li Na", "Wang Lei", "Chen Jing", "Liu Yang", "Zhao Min")
CITIES = ("Beijing", "Shanghai", "Guangzhou", "Chengdu", "Hangzhou", "Wuhan")
MONTHS = ("Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")


class PageMaker:
    """Deterministic ECNS-like pages: `article(i)` is the same page for the same i."""

    def __init__(self, seed: int = 20141019, n_articles: int = 20_000):
        from tests.benchmarks.synth import Synth

        self.seed = seed
        self.n = n_articles
        self.synth = Synth(seed=seed, zh_share=0.0, total=max(n_articles, 1000))
        self.gen1 = _gen1_template()
        self.gen2 = _gen2_template()
        self.listing = _listing_template()
        self._records: dict[int, dict] = {}
        from tests.benchmarks.synth import FUNCTION_WORDS, NEWS_WORDS

        self._title_words = list(self.synth.en_vocab[len(FUNCTION_WORDS) : len(FUNCTION_WORDS) + len(NEWS_WORDS) + 2000])

    # -- URLs ------------------------------------------------------------------------

    def generation(self, i: int) -> int:
        return 1 if i % 2 else 2

    def _date(self, i: int) -> tuple[int, int, int]:
        rnd = random.Random(self.seed * 7 + i)
        year = 2014 + (i * 11) // max(self.n, 1)
        return min(year, 2025), rnd.randint(1, 12), rnd.randint(1, 28)

    def section(self, i: int) -> str:
        sections = GEN1_SECTIONS if self.generation(i) == 1 else GEN2_SECTIONS
        return sections[(i // 2) % len(sections)]

    def article_url(self, i: int) -> str:
        y, m, d = self._date(i)
        if self.generation(i) == 1:
            return f"{HOST}/{self.section(i)}/{y}/{m:02d}-{d:02d}/{100000 + i}.shtml"
        rnd = random.Random(i)
        letters = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
        return f"{HOST}/news/{self.section(i)}/{y}-{m:02d}-{d:02d}/detail-i{letters}{i:07d}.shtml"

    def section_url(self, section: str) -> str:
        return f"{HOST}/{section}/" if section in GEN1_SECTIONS else f"{HOST}/news/{section}/"

    # -- articles ----------------------------------------------------------------------

    def _record(self, i: int) -> dict:
        """Synthetic record i (made a chunk of 1,000 at a time: ask in order)."""
        chunk = i // 1000
        if i not in self._records:
            self._records = {chunk * 1000 + k: r for k, r in enumerate(self.synth.records(1000, start=chunk * 1000))}
        return self._records[i]

    def title(self, i: int) -> str:
        """Article i's headline: cheap, so listings and related lists can name any article."""
        rnd = random.Random(self.seed * 13 + i)
        words = [str(w) for w in rnd.sample(self._title_words, rnd.randint(5, 11))]
        return " ".join(words).capitalize()

    def article(self, i: int) -> GeneratedPage:
        record = self._record(i)
        rnd = random.Random(self.seed + 31 * i)
        gen = self.generation(i)
        url = self.article_url(i)
        y, m, d = self._date(i)
        title = self.title(i)
        paragraphs = [p for p in record["body"].split("\n\n") if p][: rnd.randint(3, 14)]
        # A generated sentence that happens to start "By ..." would read as a byline.
        paragraphs = ["Reports say " + p[0].lower() + p[1:] if p[:3].lower() == "by " else p for p in paragraphs]
        style = rnd.random()
        source = None
        if style < 0.5:
            source = rnd.choice(SOURCES)
        elif style < 0.75:
            paragraphs[0] = f"{rnd.choice(CITIES)}, {MONTHS[m - 1]} {d} ({rnd.choice(SOURCES[:3])}) -- " + paragraphs[0]
        else:
            paragraphs[-1] = paragraphs[-1].rstrip(".") + f", {rnd.choice(('China Daily', 'Beijing Daily', 'Qianlong.com'))} reported."
        editor = rnd.choice(EDITORS) if rnd.random() < 0.7 else None
        author = rnd.choice(AUTHORS) if gen == 2 and rnd.random() < 0.2 else None
        photo = rnd.random() < 0.25
        n_related = rnd.choice((0, 0, 3, 4, 5, 6, 8))
        related = sorted({rnd.randrange(self.n) for _ in range(n_related)} - {i})
        when = f"{y}-{m:02d}-{d:02d} {rnd.randint(6, 22):02d}:{rnd.randint(0, 59):02d}"
        if gen == 2 and rnd.random() < 0.5:
            when += f":{rnd.randint(0, 59):02d}"
        desc = escape(paragraphs[0][:150]) + "..."
        if gen == 1:
            body = self._gen1(i, url, title, desc, paragraphs, when, source, editor, photo, related)
        else:
            body = self._gen2(i, url, title, desc, paragraphs, when, source, editor, author, photo, related)
        return GeneratedPage(url, body, "article", title, paragraphs[0], gen)

    def _related_items(self, related: list[int], gen: int) -> list[tuple[str, str, str]]:
        items = []
        for j in related:
            y, m, d = self._date(j)
            link = self.article_url(j)
            if gen == 1:
                link = link[len(HOST):]
            items.append((link, escape(self.title(j)), f"{y}-{m:02d}-{d:02d}"))
        return items

    def _gen1(self, i, url, title, desc, paragraphs, when, source, editor, photo, related) -> bytes:
        info = f'<span class="l_time">{when}</span>'
        if source:
            info += f' <span class="l_source">Source: {escape(source)}</span>'
        if editor:
            info += f' <span class="l_editor">Editor: {escape(editor)}</span>'
        text = [f"<p>{escape(p)}</p>" for p in paragraphs]
        if photo:
            text.insert(1, f'<p style="text-align:center"><img src="/images/{i}.jpg" alt="" /></p>\r\n<p class="pictext">A view of the site. (Photo/Xinhua)</p>')
        article = '<div class="left_zw" id="yanse">\r\n<!--enpcontent-->' + "\r\n".join(text) + "<!--/enpcontent-->\r\n  </div>"
        if related:
            lis = "".join(
                f'    <li><span>{day}</span><a href="{link}" target="_blank">{t}</a></li>\r\n'
                for link, t, day in self._related_items(related, 1)
            )
            rel = f'<div class="zt_list">\r\n    <div class="zt_title"><a href="/business/topic/{i}.shtml" target="_blank">Related news</a></div>\r\n    <ul>\r\n{lis}    </ul>\r\n  </div>'
        else:
            rel = ""
        path = url[len(HOST):]
        html = (
            self.gen1.replace("@@TITLE@@", escape(title))
            .replace("@@DESC@@", desc)
            .replace("@@INFO@@", f'<div class="l_info">{info}</div>')
            .replace("@@ARTICLE@@", article)
            .replace("@@RELATED@@", rel)
            .replace("@@URLQ@@", quote(url, safe=""))
            .replace("@@PATH@@", path)
            .replace("@@SECTION@@", "/" + self.section(i) + "/")
        )
        return html.encode("utf-8")

    def _gen2(self, i, url, title, desc, paragraphs, when, source, editor, author, photo, related) -> bytes:
        info = f'<span class="time">{when}</span>'
        if source:
            info += f'<span class="source">Source: {escape(source)}</span>'
        text = [f"      <p>{escape(p)}</p>" for p in paragraphs]
        if author:
            text.insert(0, f'      <p class="author">By {escape(author)}</p>')
        if photo:
            text.insert(2, f'      <div class="pic"><img src="https://www.ecns.cn/images/{i}.jpg" alt=""><p class="pictext">Visitors at the site. (Photo/Xinhua)</p></div>')
        if editor:
            text.append(f'      <p class="editor">Editor: {escape(editor)}</p>')
        article = '<div class="article" id="yanse">\n' + "\n".join(text) + "\n    </div>"
        if related:
            lis = "".join(
                f'        <li><a href="{link}" target="_blank">{t}</a><span>{day}</span></li>\n'
                for link, t, day in self._related_items(related, 2)
            )
            article += f'\n    <div class="related">\n      <h3>Related news</h3>\n      <ul>\n{lis}      </ul>\n    </div>'
        html = (
            self.gen2.replace("@@TITLE@@", escape(title))
            .replace("@@DESC@@", desc)
            .replace("@@INFO@@", f'<div class="info">{info}</div>')
            .replace("@@ARTICLE@@", article)
            .replace("@@URLQ@@", quote(url, safe=""))
            .replace("@@URL@@", url)
            .replace("@@SECTION@@", self.section_url(self.section(i)))
        )
        return html.encode("utf-8")

    # -- listings ------------------------------------------------------------------------

    def listing_pages(self) -> list[GeneratedPage]:
        """Every section's listing pages, newest first, PER_LISTING_PAGE links a page, with
        page-number and "Next" links."""
        by_section: dict[str, list[int]] = {}
        for i in range(self.n):
            by_section.setdefault(self.section(i), []).append(i)
        pages = []
        for section, ids in by_section.items():
            base = self.section_url(section)
            chunks = [ids[k : k + PER_LISTING_PAGE] for k in range(0, len(ids), PER_LISTING_PAGE)]
            for number, chunk in enumerate(chunks, start=1):
                url = base if number == 1 else f"{base}index_{number}.shtml"
                lis = "".join(
                    f'        <li><a href="{self.article_url(j)}" target="_blank">{escape(self.title(j))}</a><span>{"-".join(f"{v:02d}" for v in self._date(j))}</span></li>\n'
                    for j in chunk
                )
                nav = f'<span class="current">{number}</span>'
                if number < len(chunks):
                    nav += f'<a class="next" href="{base}index_{number + 1}.shtml">Next</a>'
                html = self.listing.replace(
                    "@@LIST@@", f"\n      <ul>\n{lis}      </ul>\n      <div class=\"pagination\">{nav}</div>\n    "
                )
                pages.append(GeneratedPage(url, html.encode("utf-8"), "listing"))
        return pages

    def start_urls(self) -> list[str]:
        sections = dict.fromkeys(self.section(i) for i in range(min(self.n, 16)))
        return [self.section_url(s) for s in sections]


def url_path(url: str) -> str:
    """Where a page's file goes under the server's root: listing front pages are index.shtml."""
    path = url[len(HOST):]
    return path + "index.shtml" if path.endswith("/") else path


def write_site(root: Path, n_articles: int, seed: int = 20141019) -> dict:
    """Write n generated articles and their listings under `root` (a static site for the
    web server). Returns the manifest: start URLs and every URL, articles and listings."""
    maker = PageMaker(seed=seed, n_articles=n_articles)
    urls = {"articles": [], "listings": []}
    for page in maker.listing_pages():
        target = root / url_path(page.url).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.body)
        urls["listings"].append(page.url)
    for i in range(n_articles):
        page = maker.article(i)
        target = root / url_path(page.url).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.body)
        urls["articles"].append(page.url)
    return {"n_articles": n_articles, "seed": seed, "start_urls": maker.start_urls(), **urls}
