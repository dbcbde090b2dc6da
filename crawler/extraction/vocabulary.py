"""Words the extraction modules share: the tags of page chrome and of non-text elements, and
the character classes of CJK scripts. Each set that differs from another is built from it, so
that what differs, and why, is written here once.
"""

from __future__ import annotations

import re

# -- elements ----------------------------------------------------------------------------------

# Elements whose text is never prose: scripts, styles, embedded documents and form controls.
NON_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg", "button", "select", "form"})

# Page chrome: the elements that frame every page of a site (its navigation, header, footer
# and sidebars) rather than hold the page's own content. An element inside one is the site's
# (discovery/links.py: links in chrome are not a listing's articles).
PAGE_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside"})

# Pictures and their captions.
FIGURE_TAGS = frozenset({"figure", "figcaption"})
# ... with table captions and <picture>: a credit printed there is the picture's or the
# table's, never the site's copyright notice or the story's source (copyright.py, source.py).
CAPTION_TAGS = FIGURE_TAGS | {"caption", "picture"}

# The same idea, as each question needs it:

# A paragraph of an extracted text inside one of these is page furniture (boilerplate.py).
# Without <header>: a story's own <header> (headline, standfirst, byline) is inside the text's
# box, and which of its lines are furniture is judged line by line. With forms and menus:
# newsletter sign-ups and menus printed inside the story's box.
FURNITURE_TAGS = (PAGE_CHROME_TAGS - {"header"}) | {"form", "menu"}

# The rest of a story split over several boxes is never looked for inside one of these
# (body.py): chrome, forms (newsletter boxes) and figures (their captions).
OUTSIDE_TEXT_TAGS = PAGE_CHROME_TAGS | {"form"} | FIGURE_TAGS

# A paragraph inside one of these is not the page's own prose when a page is classified
# (discovery/pagetype.py): chrome, and list items, links, definition lists and form controls,
# whose long texts are teasers, link lists and menus.
NOT_PROSE_TAGS = PAGE_CHROME_TAGS | {"li", "a", "dl", "button", "select"}

# A box of paragraphs inside one of these is not the story's text when its first lines are
# read for a byline (authors.py): chrome, figures, quotations and list items.
NOT_STORY_BOX_TAGS = PAGE_CHROME_TAGS | FIGURE_TAGS | {"blockquote", "li"}

# A credit line inside one of these is not the story's source (source.py): chrome but the
# story's own <header>, captions and pictures, list items and table cells (lists and boxes
# beside the story).
NOT_CREDIT_TAGS = (PAGE_CHROME_TAGS - {"header"}) | CAPTION_TAGS | {"li", "td", "th"}

# -- CJK characters ----------------------------------------------------------------------------

# Ranges of code points, written as regex escapes to go inside a character class.
HAN = r"\u3400-\u9fff"  # CJK Unified Ideographs and Extension A (and the hexagram block between)
KANA = r"\u3040-\u30ff"  # Hiragana and Katakana
HANGUL = r"\uac00-\ud7af"  # Hangul syllables
HAN_COMPAT = r"\uf900-\ufaff"  # CJK Compatibility Ideographs
# The CJK scripts: Chinese, Japanese and Korean text. Their prose is recognised by how many of
# these characters it holds, where Latin prose is by its words and sentences (body.py,
# boilerplate.py, discovery/pagetype.py; related.py weighs a link's title so); Chinese and
# Japanese print no space between words, so one character is one word where texts are
# compared (body.py; Korean syllables too, a unit as good to compare); and a title segment or
# a name written in them is told from one in Latin letters (titles.py, authors.py, source.py).
CJK = KANA + HAN + HANGUL + HAN_COMPAT

CJK_CHAR = re.compile(f"[{CJK}]")
# Han alone, for what only Chinese text is: a text is Chinese when most of it is Han and next
# to none of it kana or Hangul (chinese.py; Japanese text holds much Han too), and Chinese names
# and outlets are written in Han (chinese.py, authors.py, source.py, copyright.py).
HAN_CHAR = re.compile(f"[{HAN}]")
KANA_HANGUL_CHAR = re.compile(f"[{KANA}{HANGUL}]")
