"""What a detector is: the kinds of personal data, their placeholders, and the Detector record.

A detector finds one kind of personal data one way ("a password after a label", "a card number
by its Luhn checksum"). It is data, not a class to subclass: a lazily compiled pattern that
finds candidates, a function that decides about each candidate, and cheap gates that let the
pipeline skip it on text where it cannot fire.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Every kind ``redact()`` can report, sorted.
KINDS: tuple[str, ...] = (
    "address",
    "birthdate",
    "card",
    "email",
    "iban",
    "ip",
    "name",
    "national_id",
    "phone",
    "secret",
)

# What a detector needs in the text before it is worth running (see ``Detector.needs``).
ANY = 0  # nothing: it looks for words
DIGIT = 1  # an ASCII digit
LONG_NUMBER = 2  # 9+ digits joined only by phone and card separators

#: Decides about one candidate: the text to put in its place, or None to leave it alone.
Replace = Callable[[re.Match[str]], "str | None"]


def placeholder(kind: str) -> str:
    """The placeholder that stands for an item of KIND: ``[email]``."""
    return f"[{kind}]"


class Detector:
    """One way of finding one kind of personal data.

    ``pattern`` finds candidates; ``replace`` decides about each one (None: the whole match
    becomes ``[kind]``). The gates are tried first, cheapest first: ``needs`` (ANY, DIGIT or
    LONG_NUMBER, computed once a pass for all detectors), ``hints`` (lower-case words of which
    one must occur in the text; all detectors' hints are found by one scan a pass) and
    ``gate`` (a last test on the text as it is when the detector's turn comes).

    A plain class with slots, not a dataclass: generating a dataclass's methods took 2 ms of
    every `kbgen log`.
    """

    __slots__ = ("name", "kind", "pattern", "replace", "hints", "needs", "gate")

    def __init__(
        self,
        name: str,
        kind: str,
        pattern: re.Pattern[str],
        replace: Replace | None = None,
        *,
        hints: frozenset[str] | None = None,
        needs: int = ANY,
        gate: Callable[[str], object] | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"detector {name}: unknown kind {kind!r}")
        self.name = name
        self.kind = kind
        self.pattern = pattern
        self.replace = replace
        self.hints = hints
        self.needs = needs
        self.gate = gate

    def __repr__(self) -> str:
        return f"<Detector {self.name}>"

    def with_replace(self, replace: Replace) -> Detector:
        """This detector with another decision about its candidates."""
        return Detector(self.name, self.kind, self.pattern, replace, hints=self.hints, needs=self.needs, gate=self.gate)

    def run(self, text: str, found: set[str]) -> str:
        """TEXT with this detector's items replaced; adds the kind to FOUND if any was."""
        kind, replace, fired = self.kind, self.replace, False
        whole = placeholder(kind)

        def sub(m: re.Match[str]) -> str:
            nonlocal fired
            out = whole if replace is None else replace(m)
            if out is None:
                return m.group(0)
            fired = True
            return out

        text = self.pattern.sub(sub, text)
        if fired:
            found.add(kind)
        return text
