"""justext's context-sensitive paragraph classification (`revise_paragraph_classification`),
which trafilatura runs as a fallback, in time linear in the paragraphs instead of quadratic.

justext looks for each short paragraph's nearest good or bad neighbour by walking the list
from it, so a page of thousands of short paragraphs (8,000 headings each over a line: 28 s;
8,000 table cells: 7 s) walks thousands of paragraphs thousands of times. Here each
neighbour is read from arrays built in one pass each way; the answers are justext's own
(justext 3.0's function, written out: `tests/test_extraction_bad_input.py` checks them
against it on random paragraph runs). It replaces justext's only while our extraction calls
trafilatura (`linear_revision()`), so trafilatura run alone, as the harness measures it, is
unchanged.
"""

from __future__ import annotations

import contextlib
import contextvars

import justext.core
import trafilatura.external

_GOOD_OR_BAD = ("good", "bad")
_in_use: contextvars.ContextVar[bool] = contextvars.ContextVar("justext_linear_revision", default=False)
_justext_revision = justext.core.revise_paragraph_classification


def _neighbours(classes: list[str], kinds: tuple[str, ...], step: int) -> list[str]:
    """For each paragraph, the class of the nearest one before it (step 1) or after it
    (step -1) whose class is one of `kinds`; 'bad' where there is none (justext's answer)."""
    out = [""] * len(classes)
    found = "bad"
    order = range(len(classes)) if step == 1 else range(len(classes) - 1, -1, -1)
    for i in order:
        out[i] = found
        if classes[i] in kinds:
            found = classes[i]
    return out


def _good_text_within(paragraphs, i: int, max_heading_distance: int) -> bool:
    """justext's test for a heading at `i`: a good paragraph after it, before more than
    `max_heading_distance` characters of text (a walk bounded by that distance)."""
    j, distance = i + 1, 0
    while j < len(paragraphs) and distance <= max_heading_distance:
        if paragraphs[j].class_type == "good":
            return True
        distance += len(paragraphs[j].text)
        j += 1
    return False


def revise_paragraph_classification(paragraphs, max_heading_distance=justext.core.MAX_HEADING_DISTANCE_DEFAULT):
    """justext.core.revise_paragraph_classification, in linear time."""
    # Good headings: a short heading shortly before good text is near-good. As in justext,
    # each paragraph's class is copied as the loop reaches it, so the paragraphs after it still
    # hold the class they had before the call (for a new paragraph, none).
    for i, paragraph in enumerate(paragraphs):
        paragraph.class_type = paragraph.cf_class
        if paragraph.heading and paragraph.class_type == "short" and _good_text_within(paragraphs, i, max_heading_distance):
            paragraph.class_type = "neargood"

    # Short paragraphs take their class from their neighbours (classes fixed meanwhile).
    classes = [p.class_type for p in paragraphs]
    prev_gb = _neighbours(classes, _GOOD_OR_BAD, 1)
    next_gb = _neighbours(classes, _GOOD_OR_BAD, -1)
    prev_any = _neighbours(classes, ("good", "bad", "neargood"), 1)
    next_any = _neighbours(classes, ("good", "bad", "neargood"), -1)
    new_classes = {}
    for i, cls in enumerate(classes):
        if cls != "short":
            continue
        before, after = prev_gb[i], next_gb[i]
        if before == "good" and after == "good":
            new_classes[i] = "good"
        elif before == "bad" and after == "bad":
            new_classes[i] = "bad"
        elif (before == "bad" and prev_any[i] == "neargood") or (after == "bad" and next_any[i] == "neargood"):
            new_classes[i] = "good"
        else:
            new_classes[i] = "bad"
    for i, cls in new_classes.items():
        paragraphs[i].class_type = cls

    # Near-good paragraphs, in order: each sees the earlier ones already revised (so its
    # nearest good or bad one before it is the one just before it) and the later ones not yet.
    classes = [p.class_type for p in paragraphs]
    next_gb = _neighbours(classes, _GOOD_OR_BAD, -1)
    before = "bad"
    for i, paragraph in enumerate(paragraphs):
        if paragraph.class_type == "neargood":
            paragraph.class_type = "bad" if (before, next_gb[i]) == ("bad", "bad") else "good"
        before = paragraph.class_type

    # More good headings: a heading judged bad only by its neighbours, shortly before good text.
    for i, paragraph in enumerate(paragraphs):
        if (paragraph.heading and paragraph.class_type == "bad" and paragraph.cf_class != "bad"
                and _good_text_within(paragraphs, i, max_heading_distance)):
            paragraph.class_type = "good"


def _dispatch(paragraphs, *args, **kwargs):
    if _in_use.get():
        return revise_paragraph_classification(paragraphs, *args, **kwargs)
    return _justext_revision(paragraphs, *args, **kwargs)


@contextlib.contextmanager
def linear_revision():
    """Within this block, trafilatura's justext fallback classifies in linear time."""
    token = _in_use.set(True)
    try:
        yield
    finally:
        _in_use.reset(token)


# trafilatura calls the function it imported by name; justext's own module keeps its own.
trafilatura.external.revise_paragraph_classification = _dispatch
