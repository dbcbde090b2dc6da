"""Unit tests of the generic finders: structured data, titles, authors, Chinese dates and
credits, related lists and copyright footers."""

from __future__ import annotations

import json

import htmldate
import htmldate.extractors

from crawler.extraction import authors, boilerplate, chinese, copyright, dates, related, source, structured, titles
from crawler.extraction import body as body_mod
from crawler.extraction.decoding import decode_html
from crawler.extraction.page import Page
from crawler.normalize import normalize_body

URL = "https://www.example-news.com/world/2024/05/01/story.html"


def make(html: str, url: str = URL) -> Page:
    return Page.from_text(url, html)


def ld(obj) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


# -- structured data -----------------------------------------------------------------------


def test_jsonld_article_is_found_inside_a_graph_among_other_objects():
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Example News"},
        {"@type": "BreadcrumbList", "itemListElement": []},
        {"@type": ["NewsArticle"], "headline": "Storm hits coast", "datePublished": "2024-05-01T08:30:00+02:00",
         "dateModified": "2024-05-02T09:00:00+02:00",
         "author": [{"@type": "Person", "name": "Ana Silva"}, {"@id": "#p2"}],
         "publisher": {"@type": "Organization", "name": "Example News"}},
        {"@type": "Person", "@id": "#p2", "name": "Ben Okafor"},
    ]}
    page = make(f"<html><head>{ld(graph)}</head><body><p>x</p></body></html>")
    sd = structured.parse(page.tree)
    assert sd.article["headline"] == "Storm hits coast"
    assert dates.find_published(page, sd) == ("2024-05-01T08:30:00+02:00", "jsonld")
    assert dates.find_updated(page, sd) == ("2024-05-02T09:00:00+02:00", "jsonld")
    assert authors.find_authors(page, sd) == (["Ana Silva", "Ben Okafor"], "jsonld")


def test_jsonld_with_raw_newlines_and_trailing_commas_is_repaired():
    text = '{"@type": "NewsArticle", "headline": "Line one\nline two", "author": {"name": "Kim Lee"},}'
    page = make(f'<html><head><script type="application/ld+json">{text}</script></head><body></body></html>')
    sd = structured.parse(page.tree)
    assert sd.jsonld_errors == 0
    assert structured.text_value(sd.article["headline"]) == "Line one line two"


def test_invalid_jsonld_counts_as_an_error_not_an_article():
    page = make('<html><head><script type="application/ld+json">{"headline": </script></head><body></body></html>')
    sd = structured.parse(page.tree)
    assert sd.article == {}
    assert sd.jsonld_errors == 1


def test_modified_date_and_related_link_dates_are_not_the_published_date():
    html = (
        '<html><head><meta property="article:modified_time" content="2024-06-01T10:00:00Z"></head><body>'
        '<article><time class="published" datetime="2024-05-01T08:00:00Z">1 May</time><p>Text</p></article>'
        '<aside class="related"><a href="/b"><time datetime="2023-01-01">old</time> Old story</a></aside>'
        "</body></html>"
    )
    page = make(html)
    sd = structured.parse(page.tree)
    assert dates.find_published(page, sd) == ("2024-05-01T08:00:00+00:00", "time")


def _comment_page(stamps: list[str]) -> Page:
    comments = "".join(f'<div class="comment"><span class="date">{stamp}</span><p>I disagree.</p></div>' for stamp in stamps)
    story = "<p>" + "Some words of the story. " * 30 + "</p>"
    return make(f"<html><body><article><h1>Headline</h1>{story}</article><section>{comments}</section></body></html>",
                "https://blog.example.org/post/some-story")


def _count_dateparser_calls(monkeypatch) -> list[str]:
    """The strings htmldate sends to dateparser, each still parsed by it (the calls are
    counted, not replaced); htmldate's own cache of answers emptied first."""
    htmldate.extractors.try_date_expr.cache_clear()
    calls: list[str] = []
    real = dates._htmldate_dateparser

    def counting(string):
        calls.append(string)
        return real(string)

    monkeypatch.setattr(dates, "_htmldate_dateparser", counting)
    return calls


def test_comment_timestamps_of_one_template_go_to_dateparser_once(monkeypatch):
    # 30 comments stamped "on Tuesday July 24, @07:05AM (Score:3, Insightful)", no other date:
    # htmldate alone sends every one to dateparser (20-25 ms each), which reads none.
    stamps = [f"on Tuesday July 24, @07:{i:02d}AM (Score:{i % 5}, Insightful)" for i in range(30)]
    page = _comment_page(stamps)
    calls = _count_dateparser_calls(monkeypatch)
    alone = htmldate.find_date(page.tree, url=page.url, original_date=True, extensive_search=True)
    sent_alone = len(calls)
    calls.clear()
    htmldate.extractors.try_date_expr.cache_clear()
    found = dates.htmldate_published(page, None)
    assert sent_alone >= 30
    assert 1 <= len(calls) <= 2  # the stamp, and the stamp as htmldate cuts it short
    assert found == (dates.parse_date(alone, None) if alone else None)


def test_no_page_sends_dateparser_more_than_its_budget(monkeypatch):
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    months = ("January", "March", "April", "June", "July", "August")
    stamps = [f"posted {day} {month} 24, @07:29AM by reader" for day in days for month in months]
    page = _comment_page(stamps)
    calls = _count_dateparser_calls(monkeypatch)
    dates.htmldate_published(page, None)
    assert len(calls) == dates.MAX_DATEPARSER_CALLS
    # A date only dateparser reads is still read.
    page = make('<html><body><article><h1>Headline</h1><p class="posted">3:40 PM ET, Sat 10.27.2012</p>'
                "<p>" + "Some words of the story. " * 30 + "</p></article></body></html>",
                "https://blog.example.org/post/some-story")
    calls.clear()
    assert dates.htmldate_published(page, None) == "2012-10-27"
    assert calls


# -- titles and authors ---------------------------------------------------------------------------


def test_site_name_is_stripped_from_titles():
    names = ["Example News", "example-news.com", "example-news"]
    assert titles.clean_title("Storm hits coast | Example News", names) == "Storm hits coast"
    assert titles.clean_title("Storm hits coast - Example News", names) == "Storm hits coast"
    assert titles.clean_title("Storm hits coast | World | Example News | 01.05.2024", names) == "Storm hits coast"
    assert titles.clean_title("Example News: Storm hits coast", names) == "Storm hits coast"
    # A dash inside the headline is not a separator from the site.
    assert titles.clean_title("Storm - and then the flood", names) == "Storm - and then the flood"
    # CJK sites append their name after a full-width colon; a colon inside the headline stays.
    zh = ["东方新闻网", "dongfang-news.cn"]
    assert titles.clean_title("市长：三座新桥年内开工：东方新闻网", zh) == "市长：三座新桥年内开工"


def title_of(html: str, url: str = URL) -> tuple[str | None, str | None]:
    page = make(html, url)
    return titles.find_title(page, structured.parse(page.tree))


def test_older_titles_lose_the_site_name_in_its_other_forms():
    names = ["harbournotes.example", "harbournotes", "quietlanes.example", "quietlanes"]
    # The name as the site spells it in words, before a colon.
    assert titles.clean_title("Harbour Notes: Ferry timetable changes", names) == "Ferry timetable changes"
    # A space only before the colon, and a mark before the whole title.
    assert titles.clean_title("» Walking the old towpath :quietlanes", names) == "Walking the old towpath"
    assert titles.clean_title("Walking the old towpath « Quiet Lanes", names) == "Walking the old towpath"
    # Guillemets quote in many languages: a headline opening or holding a quote stays whole.
    assert titles.clean_title("»Vi tog færgen hver dag«", names) == "»Vi tog færgen hver dag«"
    assert titles.clean_title("Il sindaco: «Il ponte riapre a maggio»", names) == "Il sindaco: «Il ponte riapre a maggio»"
    assert titles.clean_title("Fed: rates rise again", ["federalreserve.gov", "federalreserve"]) == "Fed: rates rise again"


def test_a_page_read_without_its_url_names_its_site_by_its_canonical_link():
    # A saved page (no URL) whose <title> carries a site name the page declares nowhere but
    # in its canonical link's host: the headline, not `Headline | Section | Site`.
    html = (
        '<html><head><link rel="canonical" href="https://thinkhall.example/essays/ferry-costs">'
        "<title>Who pays for the ferry? | Essays | Think Hall</title></head>"
        "<body><p><b>Who pays for the ferry?</b></p><p>Text.</p></body></html>"
    )
    assert title_of(html, "") == ("Who pays for the ferry?", "title")


def test_a_blogs_name_in_an_h1_linking_to_its_front_is_not_the_headline():
    # The blog's name is the first <h1> (its logo, linking to the folder above the post);
    # the post's own <h1> is the headline, and the name is cleaned from the <title>.
    html = (
        "<html><head><title>Three questions for parents | Ann Lee | notebook</title></head><body>"
        '<h1><a href="http://blog.example.org/thoughts/">Ann Lee | notebook</a></h1>'
        "<div class=post><h1>Three questions for parents</h1><p>Text.</p></div></body></html>"
    )
    url = "http://blog.example.org/thoughts/archives/2012/11/01/three-questions/"
    assert title_of(html, url) == ("Three questions for parents", "h1")
    logo_only = (
        "<html><head><title>Phone firmware update - v30.1 | PhoneNotes.Example</title></head><body>"
        '<h1><a href="http://phonenotes.example/">PhoneNotes.Example</a></h1><div><b>Phone</b><p>Text.</p></div>'
        "</body></html>"
    )
    assert title_of(logo_only, "") == ("Phone firmware update - v30.1", "title")


def test_title_prefers_og_title_and_cross_checks_the_h1():
    html = (
        '<html><head><meta property="og:site_name" content="Example News">'
        '<meta property="og:title" content="Storm hits coast | Example News"><title>Storm hits coast - Example News</title>'
        "</head><body><h1>Storm hits coast</h1></body></html>"
    )
    page = make(html)
    assert titles.find_title(page, structured.parse(page.tree)) == ("Storm hits coast", "og")


def test_meta_authors_are_split_and_cleaned_and_the_site_is_not_an_author():
    html = (
        '<html><head><meta property="og:site_name" content="Daily Example">'
        '<meta name="author" content="By Jane Doe and John Roe, Senior Reporter">'
        "</head><body></body></html>"
    )
    page = make(html)
    assert authors.find_authors(page, structured.parse(page.tree)) == (["Jane Doe", "John Roe"], "meta")
    only_site = make('<html><head><meta property="og:site_name" content="Daily Example">'
                     '<meta name="author" content="Daily Example"></head><body></body></html>')
    assert authors.find_authors(only_site, structured.parse(only_site.tree))[0] == []


def test_person_names_drop_roles_emails_and_prefixes():
    assert authors.clean_person("By Jane Doe") == "Jane Doe"
    assert authors.clean_person("Von Max Muster") == "Max Muster"
    assert authors.clean_person("jane@example.com") is None
    assert authors.clean_person("신현주 기자") == "신현주"
    assert authors.clean_person("赵 培") == "赵培"
    assert authors.clean_person("Follow") is None


# -- decoding ----------------------------------------------------------------------------------------


def test_decoding_survives_wrong_declarations():
    text = "<html><head><meta charset='utf-8'></head><body>新闻发布会介绍国民经济运行情况</body></html>"
    decoded, encoding = decode_html(text.encode("gbk"))
    assert encoding == "gb18030" and "国民经济" in decoded
    decoded, encoding = decode_html(text.encode("gb18030"), "text/html; charset=gb2312")
    assert encoding == "gb18030" and "国民经济" in decoded
    latin = "<html><head><meta charset='iso-8859-1'></head><body>Jetzt für nur 5 Euro</body></html>"
    decoded, encoding = decode_html(latin.encode("utf-8"))
    assert encoding == "utf-8" and "für" in decoded


# -- Chinese dates and credits -------------------------------------------------------------------------


def zh_zone(text: str, title: str, body: str):
    return chinese.article_zone(text, title, body)


def test_chinese_labelled_date_wins_over_related_dates():
    body = "国务院新闻办公室今天举行新闻发布会，介绍今年以来国民经济运行情况。"
    text = f"首页 新闻 经济运行总体平稳 发布时间：2005年5月7日 21:23 来源：新华社 {body} 相关新闻 其他新闻 2005-04-01 10:00"
    zone = zh_zone(text, "经济运行总体平稳", body)
    assert chinese.find_date(text, zone) == "2005-05-07T21:23:00+08:00"
    text2 = f"经济运行总体平稳 2005-5-7 21:23:57 {body}"
    assert chinese.find_date(text2, zh_zone(text2, "经济运行总体平稳", body)) == "2005-05-07T21:23:57+08:00"


def test_chinese_credits_split_authors_editor_and_source():
    body = "国务院新闻办公室今天举行新闻发布会，介绍今年以来国民经济运行情况。经济运行总体平稳，稳中有进。"
    text = f"经济运行总体平稳 2022-02-13 09:57 来源：光明日报 本报记者 王建宏 张文攀 {body} （责任编辑：李娜） 相关新闻"
    zone = zh_zone(text, "经济运行总体平稳", body)
    credits = chinese.find_credits(text, zone, body)
    assert credits["authors"] == ["王建宏", "张文攀"]
    assert credits["editor"] == "李娜"
    assert source.chinese_source(text, zone)[0] == "光明日报"


def test_chinese_byline_does_not_swallow_the_first_sentence():
    body = "光明日报记者 王建宏 张文攀 土豆，听名字就“土”得掉渣。可这几天，记者却看到了另外一番景致。"
    text = f"土豆不土 {body} 更多"
    credits = chinese.find_credits(text, zh_zone(text, "土豆不土", body), body)
    assert credits["authors"] == ["王建宏", "张文攀"]


def test_chinese_signature_at_the_end_of_the_text():
    body = "到头来，一位自甘穷酸的外科医生。他不否认，很多学术会议他是无力参加的。（袁源）"
    text = f"外科医生 {body} 北京大学医学部新闻中心"
    assert chinese.find_credits(text, zh_zone(text, "外科医生", body), body)["authors"] == ["袁源"]


def test_chinese_lone_editor_is_the_author_of_record_but_the_desk_editor_is_not():
    body = "在过去10年里，日本的离婚率上升了两倍。在离婚的理由中，女方抱怨性生活不活跃的比例有所增加。"
    text = f"日本无性婚姻问题严重 {body} 来源：新闻晨报 编辑：山石 相关报道"
    credits = chinese.find_credits(text, zh_zone(text, "日本无性婚姻问题严重", body), body)
    assert credits["authors"] == ["山石"] and credits["editor"] == "山石"
    text = f"日本无性婚姻问题严重 {body} （ 责任编辑：魏喆 ） 页面功能"
    credits = chinese.find_credits(text, zh_zone(text, "日本无性婚姻问题严重", body), body)
    assert credits["editor"] == "魏喆" and "authors" not in credits
    text = f"日本无性婚姻问题严重 本报记者 王建宏 {body} 编辑：山石"
    assert chinese.find_credits(text, zh_zone(text, "日本无性婚姻问题严重", body), body)["authors"] == ["王建宏"]


def test_chinese_source_is_never_markup():
    body = "在过去10年里，日本的离婚率上升了两倍。在离婚的理由中，女方抱怨性生活不活跃的比例有所增加。"
    text = f'日本无性婚姻问题严重 作者： size="20" 来源： size="20" {body}'
    assert source.chinese_source(text, zh_zone(text, "日本无性婚姻问题严重", body)) == []


def test_chinese_organisation_in_author_meta_is_not_a_person():
    page = make('<html><head><meta name="author" content="大汉网络"></head><body><p>x</p></body></html>')
    assert authors.find_authors(page, structured.parse(page.tree)) == ([], None)


def test_is_chinese():
    assert chinese.is_chinese("zh-CN", "")
    assert not chinese.is_chinese("ja", "日本語の文章です")
    assert chinese.is_chinese(None, "国务院新闻办公室今天举行新闻发布会，介绍今年以来国民经济运行情况。" * 2)
    assert not chinese.is_chinese(None, "An English page about China and Beijing. " * 5)


# -- related lists and copyright footers ---------------------------------------------------------------------


def test_related_block_under_a_heading_with_dates():
    html = (
        "<html><body><article><h1>Storm</h1><p>Text.</p></article>"
        "<section><h3>Related stories</h3><ul>"
        "<li><a href='/world/2024/04/30/floods.html'>Floods close roads across the region</a> <span>2024-04-30</span></li>"
        "<li><a href='https://www.example-news.com/world/2024/04/29/rain.html'>Heavy rain expected through the weekend</a></li>"
        "<li><a href='/world/2024/04/29/rain.html'>Heavy rain expected through the weekend</a></li>"
        "<li><a href='/about'>About</a></li>"
        "</ul></section><footer><p>© 2010-2024 Example News Ltd. All rights reserved.</p></footer></body></html>"
    )
    page = make(html)
    heading, entries = related.find_related(page)
    assert heading == "Related stories"
    assert entries == [
        {"title": "Floods close roads across the region",
         "url": "https://www.example-news.com/world/2024/04/30/floods.html", "published": "2024-04-30"},
        {"title": "Heavy rain expected through the weekend",
         "url": "https://www.example-news.com/world/2024/04/29/rain.html", "published": None},
    ]
    assert copyright.find_copyright(page) == {
        "text": "© 2010-2024 Example News Ltd. All rights reserved.", "holder": "Example News Ltd", "years": [2010, 2024]
    }


def test_chinese_related_block_and_footer():
    html = (
        "<html><body><div class='main'><p>正文。</p></div>"
        "<div class='box'><div class='tit'>相关新闻</div><ul>"
        "<li><a href='http://www.example.cn/a/1.html'>北京冬奥会筹备工作进展顺利</a>（2022-01-05 10:00）</li>"
        "</ul></div><div id='foot'>Copyright © 2000-2022 中国新闻网 版权所有</div></body></html>"
    )
    page = make(html, "http://www.example.cn/b/2.html")
    heading, entries = related.find_related(page)
    assert heading == "相关新闻"
    assert entries[0]["url"] == "http://www.example.cn/a/1.html"
    assert entries[0]["published"] == "2022-01-05T10:00:00"
    copyright_ = copyright.find_copyright(page)
    assert copyright_["years"] == [2000, 2022]
    assert copyright_["holder"] == "中国新闻网"


def test_no_related_block_and_no_footer_give_nothing():
    page = make("<html><body><h1>Storm</h1><p>Text only.</p></body></html>")
    assert related.find_related(page) == (None, [])
    assert copyright.find_copyright(page) is None


# -- paragraph-level boilerplate -------------------------------------------------------------


STORY = (
    "The council voted on Tuesday to fund protected cycling lanes along the harbour road, "
    "between the ferry terminal and the market bridge, after a long debate."
)


def _clean(html: str, paragraphs: list[str], **kw) -> list[str]:
    page = make(html)
    index = boilerplate.TextIndex(page.tree.find("body"))
    return boilerplate.clean(paragraphs, index, titles=kw.get("titles", []), authors=kw.get("authors", []))


def test_text_index_traces_a_paragraph_to_its_element_and_link_share():
    page = make(f"<html><body><div><p class='x'>{STORY}</p></div>"
                "<ul><li><a href='/a'>Another headline of the day</a></li></ul></body></html>")
    index = boilerplate.TextIndex(page.tree.find("body"))
    owner, density = index.locate(STORY)
    assert owner.get("class") == "x" and density == 0.0
    owner, density = index.locate("- Another headline of the day")
    assert owner.tag == "a" and density == 1.0


def test_headline_dateline_and_trailing_link_list_are_cut():
    html = (f"<html><body><article><h1>Council funds cycling lanes</h1><p>Published Nov. 12, 2024</p>"
            f"<p>{STORY}</p><p>{STORY} Again.</p><h3>Read more:</h3>"
            "<ul><li><a href='/1'>Ferry service resumes after storm repairs</a></li>"
            "<li><a href='/2'>Library extends weekend hours at two branches</a></li></ul>"
            "<p>Copyright 2024 Example News</p></article></body></html>")
    paragraphs = ["Council funds cycling lanes", "Published Nov. 12, 2024", STORY, STORY + " Again.",
                  "Read more:", "- Ferry service resumes after storm repairs",
                  "- Library extends weekend hours at two branches", "Copyright 2024 Example News"]
    assert _clean(html, paragraphs, titles=["Council funds cycling lanes"]) == [STORY, STORY + " Again."]


def test_newsletter_box_and_inline_read_more_are_cut_but_prose_stays():
    html = (f"<html><body><p>{STORY}</p><p>READ MORE: <a href='/x'>Ferry service resumes after repairs</a></p>"
            f"<p>{STORY} Two.</p><div class='newsletter-signup'><h3>Get our newsletter</h3>"
            "<p>Sign up for the morning briefing.</p></div></body></html>")
    paragraphs = [STORY, "READ MORE: Ferry service resumes after repairs", STORY + " Two.",
                  "Get our newsletter", "Sign up for the morning briefing."]
    assert _clean(html, paragraphs) == [STORY, STORY + " Two."]


def test_photo_captions_are_cut_by_structure_and_wording():
    zh = "随着冬季水果进口量逐步增加，我国冷链物流行业正在加快扩充仓储和运输能力，多个港口近期新建了一批冷库。"
    html = (f"<html><body><p><img src='a.jpg'></p><p>图为钦州港附近新建成的冷库。（资料图片）</p><p>{zh}</p>"
            f"<figure><img src='b.jpg'><figcaption>The new lanes</figcaption></figure><p>{STORY}</p></body></html>")
    paragraphs = ["图为钦州港附近新建成的冷库。（资料图片）", zh, "The new lanes", STORY]
    assert _clean(html, paragraphs) == [zh, STORY]


def test_cleaning_never_guts_a_text():
    html = "<html><body><nav><a href='/'>Home</a> <a href='/b'>Briefs</a></nav></body></html>"
    assert _clean(html, ["Home Briefs", "Home"]) == ["Home Briefs", "Home"]


def test_article_body_continues_a_text_the_page_prints_only_the_start_of():
    from crawler.extraction.body import extend_from_article_body

    paragraphs = [
        "Rain fell on the valley for nine days before the river broke its banks on Sunday.",
        "Farmers moved their herds to the hills while volunteers filled sandbags at the bridge.",
        "By Monday evening the water had reached the market square and the old mill.",
        "Officials said the dam upstream held, though engineers will inspect it this week.",
        "Schools stay closed until Thursday; the regional train runs on a reduced timetable.",
        "A fund for families who lost their homes opened at the town hall on Tuesday morning.",
    ]
    shown = "\n\n".join(paragraphs[:2])
    page = make(f"<html><head>{ld({'@type': 'NewsArticle', 'articleBody': chr(10).join(paragraphs)})}</head>"
                f"<body><p>{paragraphs[0]}</p><p>{paragraphs[1]}</p></body></html>")
    sd = structured.parse(page.tree)
    assert extend_from_article_body(shown, sd) == "\n\n".join(paragraphs)
    # A teaser (one paragraph) or a different text leaves the page's text alone.
    teaser = make(f"<html><head>{ld({'@type': 'NewsArticle', 'articleBody': paragraphs[0]})}</head><body></body></html>")
    assert extend_from_article_body(shown, structured.parse(teaser.tree)) == shown
    other = make(f"<html><head>{ld({'@type': 'NewsArticle', 'articleBody': chr(10).join(p.upper() + ' Elsewhere entirely.' for p in ['a b c d e'] * 4)})}</head><body></body></html>")
    assert extend_from_article_body(shown, structured.parse(other.tree)) == shown


# -- the publisher is not an author; labelled sources ---------------------------------------


def test_publisher_named_as_author_is_credited_only_when_no_person_is():
    publisher = {"@type": "Organization", "name": "Example News"}
    own = {"@type": "NewsArticle", "headline": "H", "publisher": publisher,
           "author": [{"@type": "Organization", "name": "Example News"}]}
    page = make(f'<html><head>{ld(own)}</head><body><p>x</p></body></html>')
    assert authors.find_authors(page, structured.parse(page.tree)) == (["Example News"], "jsonld-organization")
    byline = f'<html><head>{ld(own)}</head><body><p class="byline">By Ann Lee</p><p>x</p></body></html>'
    assert authors.find_authors(make(byline), structured.parse(make(byline).tree))[0] == ["Ann Lee"]
    wire = dict(own, author=[{"@type": "Organization", "name": "Coastal Wire"}])
    page = make(f'<html><head>{ld(wire)}</head><body><p>x</p></body></html>')
    assert authors.find_authors(page, structured.parse(page.tree)) == (["Coastal Wire"], "jsonld-organization")
    joint = dict(own, author=[{"@type": "Person", "name": "Example News et AFP"}])
    page = make(f'<html><head>{ld(joint)}</head><body><p>x</p></body></html>')
    assert authors.find_authors(page, structured.parse(page.tree))[0] == ["Example News et AFP"]


def test_labelled_source_near_the_dateline_is_found_but_not_a_photo_credit():
    html = (
        '<html><body><article><header><h1>H</h1>'
        '<p class="dateline"><time datetime="2024-05-01">May 1</time> <span class="source">Source: Coastal Wire</span></p>'
        '</header><figure><img src="a.jpg"><figcaption>Source: Getty Images</figcaption></figure>'
        '<p>Story text.</p></article></body></html>'
    )
    page = make(html)
    assert source.find_source(page, structured.parse(page.tree)) == ("Coastal Wire", "source-label")
    only_photo = make(html.replace('<span class="source">Source: Coastal Wire</span>', ""))
    assert source.find_source(only_photo, structured.parse(only_photo.tree)) == (None, None)


def test_inline_read_more_line_and_the_block_after_the_text_are_one_list_in_page_order():
    html = (
        '<html><body><article><p>One paragraph of the story, long enough to be its text.</p>'
        '<p class="read-more"><strong>READ MORE:</strong> <a href="/a/inline-teaser-story">An inline teaser headline</a></p>'
        '<p>Another paragraph of the story, which goes on after the promo.</p></article>'
        '<section class="more-stories"><h2>More local news</h2><ul>'
        '<li><a href="/local/2024/04/30/first-other-story-of-the-day.html">The first other story of the day</a></li>'
        '<li><a href="/local/2024/04/30/second-other-story-of-the-day.html">The second other story of the day</a></li></ul></section>'
        '</body></html>'
    )
    heading, entries = related.find_related(make(html))
    assert heading == "More local news"
    assert [e["title"] for e in entries] == [
        "An inline teaser headline", "The first other story of the day", "The second other story of the day"]


# -- body text -----------------------------------------------------------------------------


def test_body_keeps_the_published_unicode_form_and_the_standfirst():
    from crawler.extraction import extract_article

    decomposed = "Cafe\u0301 owners in Sa\u0303o Paulo"  # combining accents, as some CMSs publish
    assert normalize_body(f"{decomposed}\n\nnext") == f"{decomposed}\n\nnext"
    story = " ".join(["The council voted on Tuesday to keep the harbour ferry running through the winter months."] * 3)
    html = (
        '<html><head><meta name="description" content="Sailings continue all winter, the council decided."></head>'
        '<body><article><header><h1>Ferry keeps running</h1>'
        '<p class="dek">Sailings continue all winter, the council decided.</p>'
        '<p class="dateline"><span class="source">Source: Coastal Wire</span></p></header>'
        f'<div class="story-body"><p>{story}</p><p>{decomposed} welcomed the decision, saying it would help trade.</p>'
        f'<p>{story}</p></div></article></body></html>'
    )
    record = extract_article(URL, html.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})
    paragraphs = record["body"].split("\n\n")
    assert paragraphs[0] == "Sailings continue all winter, the council decided."
    assert "Source: Coastal Wire" not in record["body"]
    assert decomposed in record["body"]
    assert record["source"] == "Coastal Wire"


def test_story_split_into_boxes_of_one_class_is_read_whole_but_comments_are_not():
    from crawler.extraction import extract_article

    def para(i: int) -> str:
        return f"<p>Paragraph {i} of the story says something new about the harbour ferry, its crews, its riders and the timetable for the coming winter.</p>"

    first = "".join(para(i) for i in range(1, 5))
    second = "".join(para(i) for i in range(5, 9))
    html = (
        "<html><body><article><h1>Ferry</h1>"
        f'<div class="story-body__part">{first}</div>'
        '<div class="ad-row"><div class="ad-slot">Advertisement</div></div>'
        f'<div class="story-body__part">{second}</div>'
        '<section class="comments"><div class="story-body__part">'
        "<p>A reader writes a comment that is long enough to read as a sentence of prose here.</p></div></section>"
        "</article></body></html>"
    )
    record = extract_article(URL, html.encode(), {"Content-Type": "text/html; charset=utf-8"})
    for i in range(1, 9):
        assert f"Paragraph {i} of the story" in record["body"]
    assert "A reader writes" not in record["body"]
    # An extractor that stopped at the first box gets the rest, in page order.
    page = make(html)
    index = boilerplate.TextIndex(page.tree.find("body"))
    half = "\n\n".join(body_mod.element_text(p) for p in page.tree.iter("p"))
    half = "\n\n".join(half.split("\n\n")[:4])
    whole, completed = body_mod.complete_from_same_blocks(half, page, index)
    assert completed
    assert [p.split(" of ")[0] for p in whole.split("\n\n")] == [f"Paragraph {i}" for i in range(1, 9)]


def test_text_rendered_from_embedded_data_is_read_when_the_visible_page_has_none():
    from crawler.extraction import extract_article

    sentences = [f"Sentence {i} of the story reports what the council decided about the harbour ferry this week." for i in range(12)]
    html_body = "".join(f"<p>{s}</p>" for s in sentences)
    state = {"article": {"title": "Ferry", "contentHtml": '<div class="caption"><p>Photo caption.</p></div>' + html_body}}
    page = (
        "<html><head><title>Ferry</title></head><body><div id='root'></div>"
        f"<script>window.__STATE__ = {json.dumps(state)};</script></body></html>"
    )
    record = extract_article(URL, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    assert record["body"].split("\n\n") == sentences
    assert record["extraction"]["body"] == "embedded-json"
    # Next.js flight chunks: one paragraph per string inside a string of serialised JSON.
    flight = [json.dumps([1, json.dumps(["$", "p", None, {"children": s}], separators=(",", ":")) + "\n"]) for s in sentences]
    chunks = "".join(f"<script>self.__next_f.push({chunk})</script>" for chunk in flight)
    page = f"<html><head><title>Ferry</title></head><body><div id='root'></div>{chunks}</body></html>"
    record = extract_article(URL, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    assert record["body"].split("\n\n") == sentences


# -- other stories after the article --------------------------------------------------------------


def _story(sentence: str, n: int) -> str:
    return "".join(f"<p>{sentence} Paragraph {i} goes on about it for a while longer here.</p>" for i in range(n))


def test_whole_posts_after_the_headline_article_are_another_story():
    own = "The harbour board approved the new ferry timetable after a long public consultation."
    other = "A recipe for lemon cake needs butter, sugar, eggs, flour and two lemons from the market."
    own_paras = [f"{own} Paragraph {i} goes on about it for a while longer here." for i in range(3)]
    other_paras = [f"{other} Paragraph {i} goes on about it for a while longer here." for i in range(8)]
    html = (
        "<html><head><title>Ferry</title></head><body>"
        f"<article class='post post-1'><h1>Ferry timetable approved</h1>{_story(own, 3)}</article>"
        "<article class='post post-2'><h3>Also on the site</h3>"
        f"<article class='post post-3'>{_story(other, 8)}</article></article>"
        "</body></html>"
    )
    page = make(html)
    index = boilerplate.TextIndex(page.tree.find("body"))
    assert body_mod.drop_other_stories(own_paras + other_paras, page, index) == own_paras

    # A live blog: the headline above the entries, each entry an <article>: all of them stay.
    entries = "".join(f"<article class='entry'>{_story(own + f' Update {k}.', 2)}</article>" for k in range(5))
    blog = make(f"<html><body><header><h1>Live: ferry timetable</h1></header><main>{entries}</main></body></html>")
    paras = [f"{own} Update {k}. Paragraph {i} goes on about it for a while longer here." for k in range(5) for i in range(2)]
    assert body_mod.drop_other_stories(paras, blog, boilerplate.TextIndex(blog.tree.find("body"))) == paras
    # Nothing of the headline's own article among the paragraphs: nothing to tell them by.
    assert body_mod.drop_other_stories(other_paras, page, index) == other_paras


def test_posts_the_story_quotes_are_kept_in_place_but_not_those_outside_its_text():
    own = "The county fair opened on Friday with a record number of livestock entries this year."
    tweet = (
        '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">Best fair ever, the goats are winning '
        '<a href="https://t.co/x1">https://t.co/x1</a></p>&mdash; Fair Fan (@fairfan) '
        '<a href="https://twitter.com/fairfan/status/1">May 1, 2024</a></blockquote>'
    )
    sidebar_tweet = tweet.replace("Best fair ever", "Sidebar chatter").replace("@fairfan", "@other")
    html = (
        "<html><body><main><article><h1>Fair opens</h1><div class='story'>"
        f"{_story(own, 3)}{tweet}{_story(own.replace('Friday', 'Saturday'), 3)}"
        f"</div></article><aside>{sidebar_tweet}</aside></main></body></html>"
    )
    page = make(html)
    index = boilerplate.TextIndex(page.tree.find("body"))
    paras = [f"{own} Paragraph {i} goes on about it for a while longer here." for i in range(3)] + \
        [f"{own.replace('Friday', 'Saturday')} Paragraph {i} goes on about it for a while longer here." for i in range(3)]
    text, added = body_mod.add_embedded_posts("\n\n".join(paras), page, index)
    assert added
    assert text.split("\n\n") == paras[:3] + [
        "Best fair ever, the goats are winning https://t.co/x1", "— Fair Fan (@fairfan) May 1, 2024"] + paras[3:]
    assert "Sidebar chatter" not in text


def test_bold_line_of_names_opening_the_text_is_the_byline_but_a_bold_lead_in_is_not():
    story = "".join(f"<p>The quarry's blasts cracked walls in {n} villages, residents told the council.</p>" for n in range(5))
    html = ("<html><body><h1>Blasts</h1><div class='entry-content'><p>&nbsp;</p>"
            f"<p><strong>Ann Lee/Bo Chen</strong></p>{story}</div></body></html>")
    assert authors.lead_line_byline(make(html), []) == ["Ann Lee", "Bo Chen"]
    lead_in = html.replace("<strong>Ann Lee/Bo Chen</strong>", "<strong>MASERU</strong>")
    assert authors.lead_line_byline(make(lead_in), []) == []
    not_all_bold = html.replace("<strong>Ann Lee/Bo Chen</strong>", "<strong>Ann Lee</strong> said on Monday")
    assert authors.lead_line_byline(make(not_all_bold), []) == []
    site = html.replace("Ann Lee/Bo Chen", "Example News")
    assert authors.lead_line_byline(make(site), ["Example News"]) == []


def test_a_date_left_unread_on_one_page_is_read_on_the_next(monkeypatch):
    # The budget ran out before the last stamp; htmldate's cache must not keep that as the
    # stamp's answer for the pages read after.
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    stamps = [f"posted {day} {month} 24, @07:29AM by reader" for day in days for month in ("March", "July")]
    stamps.append("3:40 PM ET, Sat 10.27.2012")
    _count_dateparser_calls(monkeypatch)
    assert dates.htmldate_published(_comment_page(stamps), None) != "2012-10-27"
    page = make('<html><body><article><h1>Headline</h1><p class="posted">3:40 PM ET, Sat 10.27.2012</p>'
                "<p>" + "Some words of the story. " * 30 + "</p></article></body></html>",
                "https://blog.example.org/post/another-story")
    assert dates.htmldate_published(page, None) == "2012-10-27"


def test_the_related_lists_url_reading_agrees_with_urlsplit():
    from urllib.parse import urlsplit

    urls = [
        "https://www.example.com/world/2024/story.html?id=3#top", "HTTP://Example.com", "http://a.example/b c",
        "https://example.com?x=1", "https://example.com#frag", "http://[::1]/x", "http://a\tb.example/p\nq",
        "https://user:pw@example.com:8080/p;params", "https://example.com/%E4%B8%AD/é", " https://example.com/x",
        "https://example.com/a]b", "https://exa\u00a0mple.com/", "//example.com/x", "/x/y", "mailto:x@example.com",
    ]
    for url in urls:
        parts = urlsplit(url)
        assert related._host_and_path(url) == (parts.netloc, parts.path), url


def _generated_byline_pages(count: int, seed: int) -> list[str]:
    """Random pages of the tags and attribute values trafilatura's author and discard XPaths
    test (and near misses), nested, with short texts: every branch of bylines.py, and the
    deleted-element cases, many times over."""
    import random

    rnd = random.Random(seed)
    tags = ("div", "span", "a", "p", "section", "h3", "h4", "author", "link", "strong", "address", "li", "rel",
            "em", "div", "span", "a", "p") + ("time", "figure") * (seed % 2)
    values = {
        "class": ("author", "byline", "author-name", "AuthorName", "post-author", "comments", "Comments x", "title",
                  "date", "sidebar", "meta-date", "is-hidden", "screenname", "Byline", "writer", "username", "byl",
                  "BBL", "channel-name", "journalist-name", "submitted-by", "posted-by", "x-bianji", "article-share",
                  "x comments", "print", "text", "text", "text", "text"),
        "id": ("author", "comments", "comment-list", "Author", "zuozhe", "main", "ProductReviews", "x"),
        "itemprop": ("author", "author name", "name", "authorName"),
        "rel": ("author", "me", "nofollow"),
        "data-testid": ("AuthorCard", "AuthorURL", "Card"),
        "data-component": ("Byline", "Figure", "Text"),
    }
    words = ("By Ann Lee", "Bo Chen", "me", "Posted by Jo", "12 May 2024", "a", "Comment by Sam Ray", "")

    def element(depth: int) -> str:
        tag = rnd.choice(tags)
        attrs = "".join(f' {name}="{rnd.choice(vals)}"' for name, vals in values.items() if rnd.random() < 0.18)
        inner = rnd.choice(words)
        if depth < 4:
            inner += "".join(element(depth + 1) + rnd.choice(words) for _ in range(rnd.randint(0, 3)))
        return f"<{tag}{attrs}>{inner}</{tag}>"

    return [f"<html><head><title>T</title></head><body>{''.join(element(0) for _ in range(6))}</body></html>"
            for _ in range(count)]


def test_printed_bylines_are_trafilaturas_on_every_recorded_and_generated_page():
    from trafilatura.metadata import extract_author

    from crawler.extraction.bylines import printed_byline
    from tests.conftest import load_recording, recordings

    pages = [make(html) for seed in (6, 7) for html in _generated_byline_pages(300, seed)]
    for directory in recordings():
        info, body, expected = load_recording(directory)
        if body:
            pages.append(Page.from_text(info.get("url") or URL, decode_html(body)[0]))
    found = 0
    for page in pages:
        want = extract_author(page.tree)
        assert printed_byline(page.tree) == want, page.html[:300]
        found += want is not None
        # Given an element inside the page, both search that element only.
        section = page.tree.find(".//body/*")
        if section is not None:
            assert printed_byline(section) == extract_author(section), page.html[:300]
    assert found >= 150  # the generated pages reach the bylines, not only the misses
