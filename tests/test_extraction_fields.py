"""The credited source, the related-articles list and the copyright notice on small pages in
many languages (issue 16's definitions)."""

from __future__ import annotations

import re

import pytest

from crawler.extraction import copyright, related, source, structured
from crawler.extraction.page import Page

URL = "https://www.example-news.com/world/2024/05/01/storm-hits-the-coast.html"
STORY = "<p>" + "The storm reached the coast on Tuesday night and closed the harbour for two days. " * 3 + "</p>"


def make(html: str, url: str = URL) -> Page:
    return Page.from_text(url, html)


def credited(html: str, url: str = URL, **kw) -> str | None:
    page = make(html, url)
    return source.find_source(page, structured.parse(page.tree), **kw)[0]


# -- copyright notices ---------------------------------------------------------------------------------


def test_notice_split_over_elements_and_comments_is_read_whole():
    page = make(f"<html><body>{STORY}<footer><p class='legal'>© <!-- -->2019<!-- --> Condé Nast. All rights "
                "reserved. Use of this site constitutes acceptance of our <a href='/terms'>user agreement</a>.</p>"
                "</footer></body></html>")
    assert copyright.find_copyright(page) == {
        "text": "© 2019 Condé Nast. All rights reserved.", "holder": "Condé Nast", "years": [2019, 2019]}


def test_chinese_holder_after_the_mark_and_the_korean_circled_c():
    page = make(f"<html><body>{STORY}<div class='foot'><p>地址：南京市</p><p>版权所有 江苏扬子晚报有限公司</p></div></body></html>")
    assert copyright.find_copyright(page)["holder"] == "江苏扬子晚报有限公司"
    page = make(f"<html><body>{STORY}<div><span class='copy'>Copyright ⓒ Hankookilbo</span></div></body></html>")
    assert copyright.find_copyright(page) == {"text": "Copyright ⓒ Hankookilbo", "holder": "Hankookilbo", "years": None}


def test_the_copyright_line_beats_a_bare_rights_phrase_and_years_are_a_range():
    html = (f"<html><body>{STORY}<div id='footer'><p>Copyright © 1996-2007 Henan Network Center. All Rights Reserved</p>"
            "<p>大河网版权所有 经营许可证编号：豫B2-20040031</p></div></body></html>")
    found = copyright.find_copyright(make(html))
    assert found["holder"] == "Henan Network Center" and found["years"] == [1996, 2007]


def test_a_notice_naming_its_holder_beats_a_later_one_that_names_none():
    html = (f"<html><body>{STORY}<p><small>© Zurek Design LLC — Read our terms of service.</small></p>"
            "<footer><p>© All rights reserved | <a href='/terms'>Terms</a></p></footer></body></html>")
    assert copyright.find_copyright(make(html))["holder"] == "Zurek Design LLC"


def test_holder_before_the_rights_phrase_and_turkish_rights_phrase():
    html = f"<html><body>{STORY}<div>2003-2004 BlogChina.COM All rights reserved</div></body></html>"
    assert copyright.find_copyright(make(html)) == {
        "text": "2003-2004 BlogChina.COM All rights reserved", "holder": "BlogChina.COM", "years": [2003, 2004]}
    html = f"<html><body>{STORY}<footer><p>Copyright 2024|Tüm Hakları Saklıdır.</p></footer></body></html>"
    assert copyright.find_copyright(make(html)) == {
        "text": "Copyright 2024|Tüm Hakları Saklıdır.", "holder": None, "years": [2024, 2024]}


def test_photo_credits_policy_links_and_style_sheets_are_not_notices():
    html = (f"<html><head><style>.copyright{{height:240px}}</style></head><body>{STORY}"
            "<figure><img src='a.jpg'><figcaption class='caption'>Copyright Fredrik Persson/AP</figcaption></figure>"
            "<style>@media screen {.copyright{height:212px;}}</style>"
            "<ul class='links'><li><a href='/copyright'>Copyright</a></li></ul></body></html>")
    assert copyright.find_copyright(make(html)) is None


def test_a_designers_credit_is_not_the_holder():
    html = (f"<html><body>{STORY}<footer><p>© 2024 Rivertown Gazette</p><p>© Design by Pixelworks Studio</p>"
            "</footer></body></html>")
    assert copyright.find_copyright(make(html))["holder"] == "Rivertown Gazette"


def test_a_no_reprint_statement_counts_only_when_nothing_else_is_printed():
    html = f"<html><body>{STORY}<div class='article-footer'><span>本文为我原创</span><span>本文禁止转载或摘编</span></div></body></html>"
    assert copyright.find_copyright(make(html))["text"] == "本文为我原创 本文禁止转载或摘编"


# -- credited source ---------------------------------------------------------------------------------


def _instance(branch: str) -> str:
    """A text one branch of a notice pattern matches: `all\\s+rights?\\s+reserved` ->
    `all rights reserved` (its classes read as their first character, repeats as one)."""
    text = re.sub(r"\\s[+*]", " ", branch)
    text = re.sub(r"\[\^[^\]]*\]\{\d+,\d+\}", "", text)  # `[^。]{0,12}`: nothing
    text = re.sub(r"\[(.)[^\]]*\]", r"\1", text)
    return text.replace("?", "")


@pytest.mark.parametrize("pattern", [copyright._RESERVED, copyright._NO_REPRINT.pattern])
def test_every_notice_phrase_is_found_by_the_word_search(pattern):
    # The notice words only preselect texts for the notice pattern: a phrase none of them
    # covers would never be found, in any case the page prints it.
    for branch in pattern.split("|"):
        phrase = _instance(branch)
        assert copyright._ANY_NOTICE.search(phrase), phrase
        for text in (phrase, phrase.upper(), f"Footer text. {phrase.title()} 2024"):
            assert copyright._noticed(["nothing here", text]) == {1}, text


def test_agency_in_the_byline_in_meta_and_with_agencies():
    html = (f"<html><head><meta property='article:author' content='Associated Press in Valencia'></head>"
            f"<body><h1>Fire</h1>{STORY}</body></html>")
    assert credited(html) == "Associated Press"
    html = (f"<html><body><h1>Fire</h1><div class='c-article-contributors'>By <b>Example News</b> with <b>Agencies</b>"
            f"</div>{STORY}</body></html>")
    assert credited(html) == "Agencies"
    assert credited(f"<html><body>{STORY}</body></html>", authors=["Adam Vidler", "AP"]) == "AP"


def test_wire_tag_after_the_text_and_german_dateline():
    html = (f"<html><body><article><h1>Bank</h1>{STORY}<div class='meta-end'>sak/Reuters</div></article>"
            "<figure><figcaption>Foto: Kay Nietfeld/dpa</figcaption></figure></body></html>")
    assert credited(html) == "Reuters"
    assert credited(f"<html><body>{STORY}</body></html>", body="Berlin (dpa) - Die Bahn streikt.\n\nMehr.") == "dpa"


def test_labelled_credits_in_many_languages_and_never_a_photo_or_reference_list():
    for label, name in (("Quelle:", "dpa"), ("Fuente:", "EFE"), ("Kaynak:", "Anadolu Ajansı"), ("Источник:", "ТАСС")):
        html = f"<html><body><h1>H</h1><p class='info'>{label} {name}</p>{STORY}</body></html>"
        assert credited(html) == name
    html = (f"<html><body><h1>H</h1>{STORY}<figure><figcaption>Источник: Фундация DEJURE</figcaption></figure>"
            "<p>Sources: drhyman.com, webmd</p><amedia-factbox><p><i>Kilde: Helsenorge.no</i></p></amedia-factbox>"
            "</body></html>")
    assert credited(html) is None


def test_the_site_itself_is_never_its_own_source():
    html = f"<html><head><title>Oil falls - Reuters</title></head><body>{STORY}</body></html>"
    assert credited(html, url="https://www.reuters.com/markets/oil-falls-2019-11-19/",
                    body="NEW YORK (Reuters) - Oil prices fell.") is None
    html = f"<html><head><title>居家养老 - 太原晚报</title></head><body><p>来源：太原晚报</p>{STORY}</body></html>"
    assert credited(html, url="") is None


def test_press_release_provider_and_declared_source_organization():
    html = f"<html><body><h1>H</h1>{STORY}<div class='d-inline-block'>Provided by <a href='/p/esa'>European Space Agency</a></div></body></html>"
    assert credited(html) == "European Space Agency"
    html = ('<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "H", '
            f'"sourceOrganization": {{"@type": "Organization", "name": "Kyodo News"}}}}</script></head><body>{STORY}</body></html>')
    assert credited(html) == "Kyodo News"


def test_chinese_credits_label_opening_tag_excerpt_and_reprint_word():
    body = "一九八九年四月，我在湖南张家界开一个全省教学研究会议，按照惯例安排了一天时间游玩。"
    text = f"茉莉：我是怎样卷入八九民运的 作者： 来源： 发布日期： 7/5/2005 【看中国2005年07月03日报道】{body} 版权"
    zone = (0, text.index(body), text.index(body) + len(body))
    assert source.chinese_source(text, zone) == ["看中国"]
    text = f"土豆不土 2022-02-13 09:57 光明网 分享到 {body} 更多"
    assert source.chinese_source(text, (0, text.index(body), text.index(body) + len(body))) == ["光明网"]
    text = f"论文 {body}(摘自《上海社会科学院学术季刊》2000年第2期) 查看完整版本"
    assert "上海社会科学院学术季刊" in source.chinese_source(text, (0, text.index(body), text.index(body) + len(body)))
    html = f"<html><body><h1>标题</h1><p class='info'>来源：转载</p>{STORY}</body></html>"
    assert credited(html) is None


# -- related lists ----------------------------------------------------------------------------------


def related_of(html: str, url: str = URL):
    return related.find_related(make(html, url))


def test_related_blocks_under_headings_in_many_languages():
    for heading in ("Mehr zum Thema", "Das könnte Sie auch interessieren", "Les også:", "Noticias relacionadas",
                    "関連記事", "相关新闻", "Related"):
        html = (f"<html><body><article><h1>Storm</h1>{STORY}{STORY}</article><section><h3>{heading}</h3><ul>"
                "<li><a href='/world/2024/04/30/floods-close-roads-across-the-region.html'>Floods close roads across the region</a> 30.04.2024</li>"
                "<li><a href='/world/2024/04/29/heavy-rain-expected-through-the-weekend.html'>Heavy rain expected through the weekend</a></li>"
                "</ul></section></body></html>")
        found_heading, entries = related_of(html)
        assert found_heading == heading, heading
        assert [e["url"] for e in entries] == [
            "https://www.example-news.com/world/2024/04/30/floods-close-roads-across-the-region.html",
            "https://www.example-news.com/world/2024/04/29/heavy-rain-expected-through-the-weekend.html"], heading
        assert entries[0]["published"] == "2024-04-30"


def test_site_wide_lists_navigation_and_tags_are_not_related():
    html = (f"<html><body><nav><ul>" + "".join(f"<li><a href='/section{i}/'>Section {i}</a></li>" for i in range(12))
            + f"</ul></nav><article><h1>Storm</h1>{STORY}{STORY}</article>"
            "<aside class='most-read'><h2>Most read</h2><ol>"
            "<li><a href='/world/2024/04/30/celebrity-wedding-in-the-hills-draws-crowds.html'>Celebrity wedding in the hills draws crowds</a></li>"
            "<li><a href='/world/2024/04/28/markets-fall-for-the-third-day-in-a-row.html'>Markets fall for the third day in a row</a></li>"
            "</ol></aside><div class='tags'><h3>Topics</h3><a href='/tag/weather'>Weather</a> <a href='/tag/coast'>Coast</a></div>"
            "<footer><a href='/about'>About us</a></footer></body></html>")
    assert related_of(html) == (None, [])


def test_chinese_table_layout_related_links_without_a_page_url():
    html = ("<html><head><link rel='canonical' href='http://business.example.cn/20040716/n221031086.shtml'></head><body>"
            "<table><tr><td><p>" + "洛克菲勒家族开创者的三孙子于7月10日早上寿终正寝，享年94岁，他是美国现代风险投资的开拓者。" * 3 + "</p></td></tr></table>"
            "<table id='relativeWords'><tr><td>■<span><strong>相关链接</strong></span></td></tr><tr><td><table><tr><td>"
            "<li><a href='/20040713/n220974073.shtml'>美国纽约亿万富翁洛克菲勒因肺病发作去世</a> (07月13日)</li>"
            "<li><a href='http://business.example.cn/2003/12/19/39/article217123915.shtml'>洛克菲勒钟情第一百货 根在房产价值</a></li>"
            "</td></tr></table></td></tr></table></body></html>")
    heading, entries = related_of(html, url="")
    assert heading == "■相关链接"
    assert [e["url"] for e in entries] == ["http://business.example.cn/20040713/n220974073.shtml",
                                           "http://business.example.cn/2003/12/19/39/article217123915.shtml"]


def test_links_in_running_text_are_not_related():
    html = (f"<html><body><article><h1>Storm</h1><p>The council, which <a href='/world/2024/04/20/council-votes-on-the-harbour-budget.html'>"
            "voted on the budget</a> last month, said the harbour would reopen once the storm has passed and the "
            f"damage to the piers has been assessed by its engineers.</p>{STORY}</article></body></html>")
    assert related_of(html) == (None, [])


def test_the_pages_own_sections_are_not_candidates_and_word_links_are_no_list():
    url = "https://www.example-news.com/sport/handball/article410396860/champions-win-again.html"
    html = (f"<html><body><nav><a href='/sport/'>Sport</a></nav><article><h1>Champions win again</h1>{STORY}"
            "<p><a href='/sport/handball/'>Read more about the handball team here.</a></p>"
            "<p>Tickets were sold out within hours, <a href='/sport/2024/04/29/ticket-rush.html'>here</a> and online.</p>"
            f"{STORY}</article></body></html>")
    found = related.candidates(make(html, url))
    # The folders above the page's own URL are its sections, whatever the model would say.
    assert [c.url for c in found] == ["https://www.example-news.com/sport/2024/04/29/ticket-rush.html"]
    # A model taking every link still makes no list of links that are a word or two of prose...
    take_all = {**related.default_model(), "threshold": 0.0}
    assert related.choose(found, take_all) == (None, [])
    # ...while the same model keeps a list with a headline in it.
    html = html.replace("</article>", "</article><section><h3>Related</h3><ul><li><a href="
                        "'/sport/2024/04/28/coach-signs-a-new-contract-for-three-years.html'>"
                        "Coach signs a new contract for three years</a></li></ul></section>")
    heading, entries = related.choose(related.candidates(make(html, url)), take_all)
    assert [e["url"].rsplit("/", 1)[-1] for e in entries] == ["ticket-rush.html",
                                                              "coach-signs-a-new-contract-for-three-years.html"]


def test_an_inline_label_is_the_short_text_before_a_link_and_never_a_long_one():
    url = "https://news.example.com/world/2024/05/story.html"
    teaser = "<a href='/world/2024/05/other-story-{0}.html'>Another story headline number {0}</a>"
    html = (f"<html><body><p>{'Words of the story. ' * 10}</p>"
            f"<p><b>Read more:</b> {teaser.format(1)}</p>"
            f"<p>Read more in a sentence that runs on far longer than any label. {teaser.format(2)}</p>"
            f"<div>{' '.join(teaser.format(i) for i in range(3, 400))}</div></body></html>")
    found = {c.url.rsplit("-", 1)[-1]: c for c in related.candidates(make(html, url))}
    assert found["1.html"].features["inline_label"] == 1.0
    assert found["2.html"].features["inline_label"] == 0.0
    # In a box of several links each link carries the box's figures, the same for all of them.
    box = [found[f"{i}.html"].features for i in range(3, 400)]
    assert {(f["group_title_like"], f["group_same_site"], f["group_related"]) for f in box} == {
        (sum(f["title_like"] for f in box) / len(box), sum(f["same_site"] for f in box) / len(box), 0.0)}
