"""The headline from a `<title>` of several parts (crawler/extraction/titles.py), and script
source never taken for a page's embedded text (crawler/extraction/body.py), on pages
written here."""

import lxml.html

from crawler.extraction import extract_article
from crawler.extraction.body import looks_like_code
from crawler.extraction.titles import _TITLE_SEP, printed_segment

STORY = [
    "The city council voted on Tuesday to rebuild the old harbour bridge, ending a debate that "
    "had lasted for more than a decade and divided the town's two largest parties.",
    "Engineers said the new bridge would carry twice the traffic of the old one, which was "
    "closed to lorries in 2019 after inspectors found cracks in its main supports.",
    "Work is due to start next spring and to last three years, the mayor told reporters after "
    "the vote, adding that a ferry would run while the crossing is closed.",
    "Residents who had campaigned against the cost welcomed the promise of a ferry but said "
    "they would watch the budget closely as the work goes on.",
]

PAGE = f"""<html><head><title>Council votes to rebuild harbour bridge - Harbour Gazette</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<div class="main">
  <h2 class="entry-title">Council votes to rebuild harbour bridge</h2>
  <div class="entry-content">{''.join(f'<p>{p}</p>' for p in STORY)}</div>
</div>
<footer><p>Copyright 2012 Harbour Gazette. All rights reserved.</p></footer>
</body></html>"""


def body_of(html: str):
    return lxml.html.document_fromstring(html).find("body")


def test_title_headline_is_the_segment_printed_as_a_heading():
    assert extract_article("", PAGE.encode())["title"] == "Council votes to rebuild harbour bridge"
    root = body_of("<html><body><h2 class='post-title'>Council votes to rebuild harbour bridge</h2></body></html>")
    assert printed_segment(root, "Council votes to rebuild harbour bridge | Gazette", _TITLE_SEP) == \
        "Council votes to rebuild harbour bridge"
    # Nothing printed as a heading: the <title> is left to the other rules.
    assert printed_segment(body_of("<html><body><p>x</p></body></html>"),
                           "Council votes to rebuild harbour bridge | Gazette", _TITLE_SEP) is None


def test_a_blogs_name_as_its_h1_gives_way_to_the_post_title_the_page_prints():
    html = ("<html><head><title>Harbour Notes: Council votes to rebuild harbour bridge</title></head><body>"
            "<h1><a href='/'>Harbour Notes</a></h1><div class='post'><h2 class='post-title'>"
            "Council votes to rebuild harbour bridge</h2>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div></body></html>")
    assert extract_article("", html.encode())["title"] == "Council votes to rebuild harbour bridge"
    # A heading that links to the front page prints the site's name, never the headline.
    linked = body_of("<html><body><h2 class='site-title'><a href='/'>Council votes to rebuild harbour bridge</a>"
                     "</h2></body></html>")
    assert printed_segment(linked, "Harbour Notes: Council votes to rebuild harbour bridge", _TITLE_SEP) is None
    # Without the post's heading, the blog's name (its <h1>, linking home) is cleaned from the
    # <title> and is never the headline itself.
    bare = html.replace("<h2 class='post-title'>Council votes to rebuild harbour bridge</h2>", "")
    assert extract_article("", bare.encode())["title"] == "Council votes to rebuild harbour bridge"


def test_script_source_in_embedded_data_is_never_the_body():
    code = ("function(o){if(this.get().indexOf(o)>-1){g(o);return true}return false},set:function(o)"
            "{return document.cookie=o},get:function(){return document.cookie};var x=null;")
    assert looks_like_code(code)
    assert not looks_like_code(STORY[0] + " (It said so; twice.)")
    state = '{"a": "%s", "b": "%s"}' % (code.replace('"', "'") * 3, code.replace('"', "'") * 2)
    html = f"<html><body><div id='app'></div><script>window.__STATE__ = {state};</script></body></html>"
    record = extract_article("https://example.com/a", html.encode())
    assert not record["body"]
