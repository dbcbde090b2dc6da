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
HAN_BASIC = r"\u4e00-\u9fff"  # CJK Unified Ideographs alone: the characters of Chinese names
KANA = r"\u3040-\u30ff"  # Hiragana and Katakana
HANGUL = r"\uac00-\ud7af"  # Hangul syllables
HAN_COMPAT = r"\uf900-\ufaff"  # CJK Compatibility Ideographs
# Kana through Han with every block between (Bopomofo, Hangul jamo, enclosed and compatibility
# CJK): the script of a title's site-name segment, or of a name.
KANA_TO_HAN = r"\u3040-\u9fff"

# One Chinese character: Chinese is detected by their share of a text (chinese.py), and the
# density of prose is counted in them (body.py).
HAN_CHAR = re.compile(f"[{HAN}]")
# One kana or Hangul character: a text with them is Japanese or Korean, not Chinese.
KANA_HANGUL_CHAR = re.compile(f"[{KANA}{HANGUL}]")
# One character of a CJK script (Japanese, Chinese, Korean): a CJK character says as much as
# three Latin letters.
CJK_CHAR = re.compile(f"[{KANA}{HAN}{HANGUL}]")
# ... and the compatibility ideographs, as the page classifier counts them (discovery/pagetype.py).
CJK_CHAR_WITH_COMPAT = re.compile(f"[{KANA}{HAN}{HANGUL}{HAN_COMPAT}]")
