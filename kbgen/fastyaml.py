"""A fast path for the plain YAML that front matter is almost always written in.

PyYAML builds its result in Python even with libyaml, which made it most of `kbgen check`'s
time at 10,000 articles. This reads the common subset (`key: text`, quoted text, `[a, b]` and
`- item` lists, comments) and returns None for anything else, which then goes to PyYAML.
It must agree with PyYAML (dates kept as text) wherever it answers; tests/test_fastyaml.py
compares the two.
"""

from __future__ import annotations

import re
from typing import Any

_KEY_RE = re.compile(r"([A-Za-z_][\w-]*):(?:[ \t]+(.*))?$")
_ITEM_RE = re.compile(r"([ \t]*)-[ \t]+(.*)$")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_SPECIAL_WORDS = frozenset(
    "y n yes no true false on off null ~".split() + "Y N Yes No True False On Off Null YES NO TRUE FALSE ON OFF NULL".split()
)
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:(?:[Tt]|[ \t]+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::\d\d)?))?)?$")
_MISSING = object()


def _scalar(value: str) -> Any:
    """A one-line scalar as PyYAML reads it, or _MISSING when it is not in the simple subset."""
    value = value.strip()
    if not value:
        return _MISSING
    first = value[0]
    if first == '"':
        inner = value[1:-1]
        if len(value) < 2 or value[-1] != '"' or '"' in inner or "\\" in inner:
            return _MISSING
        return inner
    if first == "'":
        inner = value[1:-1]
        if len(value) < 2 or value[-1] != "'" or "'" in inner.replace("''", ""):
            return _MISSING
        return inner.replace("''", "'")
    if first in _INDICATORS or ": " in value or " #" in value or "\t#" in value or value.endswith(":"):
        return _MISSING
    if first.isdigit() or first in "+.=<":
        # numbers, dates and other resolved types: dates stay text, the rest go to PyYAML
        return value if _TIMESTAMP_RE.match(value) else _MISSING
    if value in _SPECIAL_WORDS:
        return _MISSING
    return value


def _flow_list(value: str) -> Any:
    inner = value[1:-1].strip()
    if not inner:
        return []
    if any(c in inner for c in "[]{}\"'#"):
        return _MISSING
    items = [_scalar(part) for part in inner.split(",")]
    if any(item is _MISSING for item in items):
        return _MISSING
    return items


def load(text: str) -> dict[str, Any] | None:
    """TEXT as a mapping when it is plain front matter; None when PyYAML must read it."""
    result: dict[str, Any] = {}
    key: str | None = None
    items: list[Any] | None = None  # the open block list, while its key had no value
    indent = ""
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line[0] in " \t-":
            item = _ITEM_RE.match(line)
            if key is None or items is None or not item:
                return None
            value = _scalar(item.group(2))
            if value is _MISSING:
                return None
            if not items:
                result[key] = items
                indent = item.group(1)
            elif item.group(1) != indent:
                return None
            items.append(value)
            continue
        match = _KEY_RE.match(line.rstrip())
        if not match:
            return None
        key, raw = match.group(1), (match.group(2) or "").strip()
        if not raw:
            items = []
            result[key] = None  # an empty value is null unless list items follow
            continue
        items = None
        value = _flow_list(raw) if raw.startswith("[") and raw.endswith("]") else _scalar(raw)
        if value is _MISSING:
            return None
        result[key] = value
    return result
