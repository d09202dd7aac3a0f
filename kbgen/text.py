"""How kbgen reads a short text: its words, which of them name a topic, and when two phrasings
are the same. Shared by matching, clustering, drafts and the report, so they all agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The words of a question that say nothing about its topic: grammar...
FUNCTION_WORDS = frozenset(
    "a an the i my me we our you your it its is are am was be do does did can could would should will how what "
    "why when where which who to of in on for with and or but if so there this that from at by as not no".split()
)
# ...and what agents' questions are padded with.
FILLER_WORDS = frozenset(
    "hi hello hey please thanks thank help question questions ask asking have has had need want know tell "
    "about any some just get got one yes ok okay there's i'm it's im".split()
)

_WORD = re.compile(r"\w+(?:'\w+)?")
PLACEHOLDER = re.compile(r"\[[a-z_-]+\]")  # what redaction leaves in a note, such as [email]


def words(text: str) -> list[str]:
    """TEXT's words, lowercased ("can't" is one word)."""
    return _WORD.findall(text.lower())


def topic_words(text: str) -> list[str]:
    """The words of TEXT that are neither function nor filler words."""
    return [w for w in words(text) if w not in FUNCTION_WORDS and w not in FILLER_WORDS]


def without_placeholders(text: str) -> str:
    """TEXT without redaction placeholders: "[email]" says nothing of what a note is about."""
    return PLACEHOLDER.sub(" ", text)


def publishable(text: str) -> bool:
    """Whether TEXT may become a public phrasing: one with a redaction placeholder ("my card
    [card] was declined") would publish the fact that something was redacted, and reads badly."""
    return not PLACEHOLDER.search(text)


def phrasing_key(text: str) -> str:
    """TEXT as compared for repeats: case, spacing and end punctuation do not count."""
    return " ".join(text.lower().split()).rstrip("?!. ")


def distinct(texts: Iterable[str]) -> list[str]:
    """TEXTS without repeats that differ only in case, spacing or end punctuation, first kept."""
    seen: set[str] = set()
    kept = []
    for text in texts:
        key = phrasing_key(text)
        if key and key not in seen:
            seen.add(key)
            kept.append(text)
    return kept


_FENCED = re.compile(r"^\s*(```|~~~).*?^\s*\1[^\n]*$", re.S | re.M)
_LINKED = re.compile(r"!?\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")  # a target may hold one level of (...)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_LINE_MARK = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+)", re.M)


def plain(markdown: str) -> str:
    """MARKDOWN as the plain words a reader sees, on one line: no code blocks, link targets,
    emphasis marks, headings, quote or list marks (what a reply pasted into a chat or an e-mail
    carries). 'Settings > Billing' keeps its '>': only a quote mark at a line's start goes."""
    text = _FENCED.sub(" ", markdown)
    text = _LINKED.sub(r"\1", text)
    text = _LINE_MARK.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = text.replace("`", "")
    return " ".join(text.split())
