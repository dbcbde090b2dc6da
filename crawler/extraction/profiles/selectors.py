"""Where a site profile's templates print each part of an article, declared once as selectors
(an element's tag and one test of its class or id) and read two ways: the parts looked for
over the whole page in one walk (`PageWalk`), the parts looked for inside another part (a date
inside the info line) by one compiled XPath (`xpath`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from lxml import etree


@dataclass(frozen=True)
class Selector:
    """An element by its tag ("*" for any), one test of an attribute, and an element it must be
    inside. Tests: "is" the whole attribute value, "word" one of its space-separated words (CSS
    `.title`), "part" anywhere in it (`left_zw` in `left_zw f14`)."""

    tag: str = "*"
    attr: str | None = None
    value: str = ""
    test: str = "is"
    inside: Selector | None = None

    def __post_init__(self):
        if self.test not in ("is", "word", "part"):
            raise ValueError(f"unknown attribute test {self.test!r}")

    def matches(self, el) -> bool:
        return (self.tag == "*" or el.tag == self.tag) and self.matches_attributes(el)

    def matches_attributes(self, el) -> bool:
        """`matches` for an element known to have the selector's tag."""
        if self.attr is not None:
            value = el.get(self.attr)
            if value is None:
                return False
            if self.test == "is":
                if value != self.value:
                    return False
            elif self.test == "word":
                if f" {self.value} " not in f" {value} ":
                    return False
            elif self.value not in value:
                return False
        if self.inside is not None:
            return any(self.inside.matches(a) for a in el.iterancestors())
        return True

    def predicate(self) -> str:
        """The attribute and ancestor tests as an XPath expression ("" when there are none)."""
        tests = []
        if self.attr is not None:
            if self.test == "is":
                tests.append(f"@{self.attr}='{self.value}'")
            elif self.test == "word":
                tests.append(f"contains(concat(' ', @{self.attr}, ' '), ' {self.value} ')")
            else:
                tests.append(f"contains(@{self.attr}, '{self.value}')")
        if self.inside is not None:
            inner = self.inside.predicate()
            tests.append(f"ancestor::{self.inside.tag}" + (f"[{inner}]" if inner else ""))
        return " and ".join(tests)


def xpath(selectors: Sequence[Selector], axis: str = ".//") -> etree.XPath:
    """One compiled XPath (relative to the element it is applied to, by default) for the
    elements any of `selectors` matches, in document order. Selectors of one tag share a step
    (`.//span[@class='l_time' or @class='time']`); of several tags, each tag has its own
    (`.//h2 | .//h3`), unless one is of any tag: then one step tests them all."""
    unique = list(dict.fromkeys(selectors))
    if not unique:
        raise ValueError("no selector")
    by_tag: dict[str, list[Selector]] = {}
    for s in unique:
        by_tag.setdefault(s.tag, []).append(s)
    if "*" not in by_tag:
        return etree.XPath(" | ".join(_step(axis, tag, group) for tag, group in by_tag.items()))
    tests = []
    for s in unique:
        parts = [t for t in ("" if s.tag == "*" else f"self::{s.tag}", s.predicate()) if t]
        if not parts:
            return etree.XPath(axis + "*")
        tests.append(parts[0] if len(parts) == 1 else f"({' and '.join(parts)})")
    return etree.XPath(f"{axis}*{_prefilter(unique)}[{' or '.join(tests)}]")


def _step(axis: str, tag: str, selectors: Sequence[Selector]) -> str:
    tests = [s.predicate() for s in selectors]
    if not all(tests):
        return axis + tag
    return f"{axis}{tag}{_prefilter(selectors)}[{' or '.join(tests)}]"


def _prefilter(selectors: Sequence[Selector]) -> str:
    """For selectors with a class-word test (`concat` builds a string for every element it is
    evaluated on), a cheap test first that every element they match passes: the text all their
    values share, in the attribute they all test (`editor` in the class of `span.l_editor` and
    of `.editor`). Most elements fail it before the selectors' own tests are evaluated."""
    if not any(s.test == "word" for s in selectors):
        return ""
    attrs = {s.attr for s in selectors}
    if len(attrs) != 1 or None in attrs:
        return ""
    values = sorted((s.value for s in selectors), key=len)
    shortest = values[0]
    for size in range(len(shortest), 2, -1):
        for start in range(len(shortest) - size + 1):
            common = shortest[start : start + size]
            if all(common in v for v in values):
                return f"[contains(@{attrs.pop()}, '{common}')]"
    return ""


class PageWalk:
    """The first element in document order for each part (a name and the selectors of the
    elements that print it), over the whole page in one walk over the elements of the tags the
    selectors name (lxml filters the tags in C). A part's selectors must name their tags: one
    that could be any element is looked for by `xpath`.

    Each element's attributes are read once and tested together: a dict lookup for all the
    whole-value tests of an attribute, a substring search for each word or part test."""

    def __init__(self, parts: Mapping[str, Sequence[Selector]]):
        # tag -> attribute -> (whole value -> parts, [(text to find, in the spaced value?, part)])
        self.plan: dict[str, dict[str, tuple[dict[str, list[str]], list[tuple[str, bool, str]]]]] = {}
        # tag -> [(part, selector)] of the selectors tested by `matches_attributes` (an
        # ancestor to check, or no attribute: every element of the tag)
        self.others: dict[str, list[tuple[str, Selector]]] = {}
        for part, selectors in parts.items():
            for s in dict.fromkeys(selectors):
                if s.tag == "*":
                    raise ValueError(f"part {part!r}: a selector of any element is not walked for")
                attrs = self.plan.setdefault(s.tag, {})
                self.others.setdefault(s.tag, [])
                if s.inside is not None or s.attr is None:
                    self.others[s.tag].append((part, s))
                    continue
                whole, substrings = attrs.setdefault(s.attr, ({}, []))
                if s.test == "is":
                    whole.setdefault(s.value, []).append(part)
                elif s.test == "word":
                    substrings.append((f" {s.value} ", True, part))
                else:
                    substrings.append((s.value, False, part))
        # The plan as tuples, for the walk: tag -> ((attribute, whole, substrings), ...)
        self.steps = {tag: tuple((attr, whole, tuple(subs)) for attr, (whole, subs) in attrs.items())
                      for tag, attrs in self.plan.items()}
        self.tags = tuple(self.plan)
        self.parts = len(parts)

    def __call__(self, tree) -> dict[str, Any]:
        found: dict[str, Any] = {}
        steps, others, count = self.steps, self.others, self.parts
        for el in tree.iter(self.tags):
            tag = el.tag
            for attr, whole, substrings in steps[tag]:
                value = el.get(attr)
                if value is None:
                    continue
                if value in whole:
                    for part in whole[value]:
                        if part not in found:
                            found[part] = el
                if substrings:
                    spaced = f" {value} "
                    for text, in_spaced, part in substrings:
                        if text in (spaced if in_spaced else value) and part not in found:
                            found[part] = el
            if others[tag]:
                for part, selector in others[tag]:
                    if part not in found and selector.matches_attributes(el):
                        found[part] = el
            if len(found) == count:
                break
        return found
