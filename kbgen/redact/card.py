"""Payment card numbers: 13 to 19 digits, card-shaped groups, Luhn-valid."""

from __future__ import annotations

import re

from .detector import DIGIT, LONG_NUMBER, Detector, placeholder
from .patterns import lazy

# A run of digit groups joined by single spaces or dashes, 13+ digits in all. The card is then
# chosen inside the run (see _card).
_DIGIT_RUN_RE = lazy(
    r"[0-9](?<![\w.,/+-][0-9])(?=[0-9]{0,18}(?:[ -]?[0-9]){12})"
    r"[0-9]*(?:[ -][0-9]+){0,30}(?![\w]|[.,][0-9])"
)
_DIGITS_RE = lazy(r"[0-9]+")
# 4111.1111.1111.1111: four groups of four joined by dots (never a price, a version or an IP)
_DOTTED_RE = lazy(r"(?<![\w.])[3-6][0-9]{3}(?:\.[0-9]{4}){3}(?![\w]|\.[0-9])")


def luhn_ok(digits: str) -> bool:
    """Luhn checksum; a 13-19 digit number failing it is not a card."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _dotted(m: re.Match[str]) -> str | None:
    digits = m.group(0).replace(".", "")
    return placeholder("card") if len(set(digits)) > 1 and luhn_ok(digits) else None


def _card(m: re.Match[str]) -> str | None:
    """Replace every Luhn-valid, card-shaped window inside a digit run.

    A window is one block of 13-19 digits, or groups joined by one repeated separator: a
    4-digit first group, 4-6 digit middle groups and a 1-6 digit last group (4-4-4-4, 4-6-5,
    4-4-4-4-3 ...). At each group the longest valid window wins; the loops stop early, so a long
    run of short groups ("1 1 1 1 ...") costs linear time.
    """
    s = m.group(0)
    spans = [(g.start(), g.end()) for g in _DIGITS_RE.finditer(s)]
    n = len(spans)
    out: list[str] = []
    pos = 0
    i = 0
    while i < n:
        first_len = spans[i][1] - spans[i][0]
        best = -1
        if 13 <= first_len <= 19:
            digits = s[spans[i][0]:spans[i][1]]
            if len(set(digits)) > 1 and luhn_ok(digits):
                best = i
        elif first_len == 4:
            sep = s[spans[i][1]:spans[i + 1][0]] if i + 1 < n else ""
            count = 4
            for j in range(i + 1, n):
                if s[spans[j - 1][1]:spans[j][0]] != sep:
                    break  # mixed separators: not one card
                if j - 1 > i and not 4 <= spans[j - 1][1] - spans[j - 1][0] <= 6:
                    break  # a middle group of the wrong size
                length = spans[j][1] - spans[j][0]
                count += length
                if count > 19:
                    break
                if count >= 13 and length <= 6:
                    digits = "".join(s[b:e] for b, e in spans[i:j + 1])
                    if len(set(digits)) > 1 and luhn_ok(digits):
                        best = j
        if best >= 0:
            out.append(s[pos:spans[i][0]])
            out.append(placeholder("card"))
            pos = spans[best][1]
            i = best + 1
        else:
            i += 1
    if not out:
        return None
    out.append(s[pos:])
    return "".join(out)


GROUPED = Detector("card.grouped", "card", _DIGIT_RUN_RE, _card, needs=LONG_NUMBER)
DOTTED = Detector("card.dotted", "card", _DOTTED_RE, _dotted, needs=DIGIT, gate=lambda t: t.count(".") >= 3)
