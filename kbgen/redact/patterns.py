"""Regular-expression helpers shared by the detectors: lazy compiling, labels, hint scans.

Conventions every detector follows, so that any ``str`` is handled in linear time:
repetitions that can meet attacker-sized input are bounded (``{1,64}``, not ``+``), and a
pattern starts with a plain character class and checks the character before it with a
look-behind placed *after* that class (``[0-9](?<![\\w.][0-9])``), so re can jump to
candidates instead of testing a look-behind at every position of the text.
"""

from __future__ import annotations

import re

from .detector import KINDS


class LazyPattern:
    """A regular expression compiled on first use.

    Compiling every detector took 20 ms, a tenth of a `kbgen log`; most notes pass the cheap
    gates of most detectors, so most patterns are never needed in a process.
    """

    __slots__ = ("_args", "_compiled")

    def __init__(self, *args: object) -> None:
        self._args = args
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> object:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(*self._args)  # type: ignore[call-overload]
        return getattr(compiled, name)


def lazy(*args: object) -> re.Pattern[str]:
    """``re.compile(*ARGS)``, done on first use."""
    return LazyPattern(*args)  # type: ignore[return-value]


# A value that is already a placeholder must not be redacted again: this is what keeps
# "password: [secret]" stable on a second pass.
PLACEHOLDER_AHEAD = r"(?!\[(?:" + "|".join(KINDS) + r")\](?!\w))"

HAS_DIGIT = lazy(r"[0-9]")


def digits(text: str) -> int:
    """How many ASCII digits TEXT has: a string scan that spares compiling a gate's pattern."""
    return sum(map(text.count, "0123456789"))


def label(*alternatives: str) -> str:
    """Case-insensitive label alternation, laid out for a fast scan.

    A pattern that starts with ``(?<!...)(?i:...)`` makes re test every position of the text.
    Starting with a plain class of the labels' first characters (both cases) lets it jump to
    candidates; each alternative then re-checks its own first character with a look-behind.
    The label must not continue a word. Each alternative starts with a literal character.
    """
    firsts = {a[0] for a in alternatives}
    chars = "".join(sorted({c.lower() for c in firsts} | {c.upper() for c in firsts}))
    body = "|".join(f"(?<={re.escape(a[0])}){a[1:]}" for a in alternatives)
    return f"[{chars}](?<![A-Za-z0-9].)(?i:{body})"


_Trie = dict[str, "_Trie"]


def trie_pattern(words: frozenset[str]) -> str:
    """Regex matching any of WORDS, factored as a prefix tree.

    re tries alternatives one by one at each position; sharing prefixes makes the hint scan
    about 2.5x faster than a flat alternation. Longer words win over their prefixes
    ("passport" over "pass").
    """
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        ends = "" in node
        if len(node) == 1 and not ends:  # one way on: no group (most nodes; spares time at import)
            ((ch, child),) = node.items()
            return (ch if ch.isalnum() else re.escape(ch)) + build(child)
        alts = [(ch if ch.isalnum() else re.escape(ch)) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        return "(?:" + "|".join(alts) + ")" + ("?" if ends else "")

    return build(trie)
