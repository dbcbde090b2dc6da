"""A small archive for the query tests (search library, CLI, Datasette, browser), written
through the real write path (`Archive.store`): English and Chinese articles, a revised
article, a syndicated copy. Imported by those tests; holds no tests itself."""

from __future__ import annotations

from pathlib import Path

from archive.store import Archive
from tests.conftest import SEED_URL

SEED_BODY = (
    "The Administrative Committee of Zhongguancun Science Park and China's heavyweight steel maker "
    "Shougang Group inked a memorandum of understanding (MOU) in Beijing on Aug. 12, Qianlong.com reported.\n\n"
    "Zhongguancun, known as China's \"Silicon Valley,\" will join hands with Shougang to build a platform "
    "to boost the development of strategic emerging industries."
)

ARTICLES = [
    dict(
        url=SEED_URL, site="ecns.cn", title="Zhongguancun, Shougang join hands on industrial platform",
        body=SEED_BODY, published="2014-08-19T10:39:00+08:00", source="Qianlong.com", authors=[],
        editor="Li Yan", language="en",
        related_heading="Top tech: Zhongguancun Science Park",
        related=[{"title": "Zhongguancun may host private bank",
                  "url": "http://www.ecns.cn/business/2013/09-13/82570.shtml", "published": "2013-09-13"},
                 {"title": "<script>alert('related')</script>",
                  "url": "http://www.ecns.cn/business/2013/08-14/79891.shtml", "published": "2013-08-14"}],
    ),
    dict(
        url="https://www.example.com/news/2020/tourism.html", site="example.com",
        title="Beijing reports record tourism season",
        body="The city reports a record number of visitors this summer, officials said. Hotels near the "
             "science park were full for weeks.\n\nMuseums extended their opening hours.",
        published="2020-08-02T09:00:00+08:00", source="Xinhua", authors=["Zhang Wei", "Li Na"], language="en",
    ),
    dict(
        url="https://www.example.com/news/2021/festival.html", site="example.com",
        title="Park festival draws crowds",
        body="A park science festival drew large crowds on Sunday. Children built robots and rockets.",
        published="2021-05-09T15:30:00+08:00", source="China Daily", authors=["Chen Jing"], language="en",
    ),
    dict(
        url="https://www.example.com/news/2022/markup.html", site="example.com",
        title="<b>Bold</b> claims & <script>alert(1)</script> in a headline",
        body="Scraped text may hold markup: <img src=x onerror=alert(2)> and <a href='javascript:x'>links</a>. "
             "It must be shown as text, never run.",
        published="2022-01-10", source=None, authors=[], language="en",
    ),
    dict(
        url="https://www.chinanews.com.cn/cj/2014/08-19/1.shtml", site="chinanews.com.cn",
        title="中关村与首钢携手打造产业平台",
        body="中关村科技园区管委会与首钢集团在北京签署合作备忘录。\n\n双方将共同打造战略性新兴产业发展平台，推动经济转型。",
        published="2014-08-19T11:00:00+08:00", source="中国新闻网", authors=["王伟"], language="zh",
    ),
    dict(
        url="https://www.chinanews.com.cn/cj/2020/01-01/2.shtml", site="chinanews.com.cn",
        title="人工智能企业聚集上海",
        body="人工智能企业在上海聚集，北京经济稳步增长。专家表示，人工智能将带动制造业升级。",
        published="2020-01-01T08:00:00+08:00", source="新华社", authors=[], language="zh-CN",
    ),
    dict(
        # Holds the trigrams of 中关村科 (中关村 ... 关村科) but never the four characters together.
        url="https://www.chinanews.com.cn/cj/2021/03-03/3.shtml", site="chinanews.com.cn",
        title="村科学普及活动",
        body="中关村的孩子们参观了展览。关村科普馆开放了新的展厅，钢铁工业的历史得到展示。",
        published="2021-03-03T10:00:00+08:00", source="中国新闻网", authors=[], language="zh",
    ),
]

REVISED_URL = "https://www.example.com/news/2020/tourism.html"
REVISED_BODY = ARTICLES[1]["body"].replace("Museums extended their opening hours.",
                                           "Museums extended their opening hours until midnight.")
COPY_URL = "https://www.mirror.example.org/copy-of-tourism.html"


def build_query_archive(path: Path) -> Path:
    """Store ARTICLES, then a revision of the tourism article and a syndicated copy of it."""
    with Archive(path, create=True) as archive:
        for n, record in enumerate(ARTICLES):
            archive.store(dict(record), seen_at=f"2024-01-0{1 + n % 9}T00:00:00+00:00")
        revised = dict(ARTICLES[1], body=REVISED_BODY)
        archive.store(revised, seen_at="2024-02-01T00:00:00+00:00")
        archive.store(dict(revised, url=COPY_URL, site="example.org"), seen_at="2024-02-02T00:00:00+00:00")
    return path


if __name__ == "__main__":  # `make examples-archive`: the README's test archive
    import sys

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "examples.db")
    if target.exists():
        sys.exit(f"error: {target} exists; remove it first (the examples archive is written only where no file is)")
    build_query_archive(target)
    print(f"wrote {target}: the archive the README's examples marked (test archive) run on")
