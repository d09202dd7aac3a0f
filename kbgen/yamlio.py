"""Reading YAML that people wrote: bounded, and with repeated keys found.

PyYAML expands anchors and aliases as it builds its result, so a few lines that reuse an alias
many times become millions of values (the "billion laughs"), and a repeated key silently keeps
its last value (`audience: internal` and then `audience: public` publishes). Every YAML document
kbgen reads goes through here (front matter after its fast path, categories.yml, mkdocs.yml).
"""

from __future__ import annotations

import re
from typing import Any

MAX_NODES = 20_000  # values a document may expand to; a front matter has a few dozen
_TOP_KEY = re.compile(r"^([A-Za-z_][\w.-]*)[ \t]*:(?=[ \t]|$)", re.MULTILINE)


class YamlTooLarge(ValueError):
    """The document expands (through aliases) to more values than any real settings file has."""


def load(text: str, loader_class: type) -> Any:
    """TEXT read by LOADER_CLASS (a PyYAML loader), refusing documents that expand past MAX_NODES."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = expanded_size(node)
        if size > MAX_NODES:
            raise YamlTooLarge(f"it expands to more than {MAX_NODES:,} values (repeated YAML aliases)")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def expanded_size(node: Any, limit: int = MAX_NODES) -> int:
    """How many values NODE becomes once every alias is expanded (stops counting past LIMIT)."""
    memo: dict[int, int] = {}

    def size(current: Any, depth: int) -> int:
        found = memo.get(id(current))
        if found is not None:
            return found
        if depth > 100:
            return limit + 1
        total = 1
        value = current.value
        if isinstance(value, list):
            for item in value:
                children = item if isinstance(item, tuple) else (item,)
                for child in children:
                    total += size(child, depth + 1)
                    if total > limit:
                        memo[id(current)] = total
                        return total
        memo[id(current)] = total
        return total

    return size(node, 0)


def repeated_keys(text: str) -> list[tuple[str, int, int]]:
    """Top-level keys given more than once: (key, first line, repeated line), lines from 1."""
    seen: dict[str, int] = {}  # where each key is first given (lines are counted only for a repeated one)
    repeated = []
    for match in _TOP_KEY.finditer(text):
        key = match.group(1)
        if key in seen:
            repeated.append((key, text.count("\n", 0, seen[key]) + 1, text.count("\n", 0, match.start()) + 1))
        else:
            seen[key] = match.start()
    return repeated
