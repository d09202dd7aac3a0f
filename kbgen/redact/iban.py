"""International bank account numbers, checked by their ISO 13616 mod-97 digits."""

from __future__ import annotations

import re

from .detector import DIGIT, Detector, placeholder
from .patterns import digits, lazy

_IBAN_GATE = lazy(r"[0-9](?<=(?<![\w])[A-Za-z]{2}[0-9])[0-9](?:[ ]?[A-Za-z0-9]){11}")
# Country code, check digits, then space-separated groups; a group after the first must be
# upper case or hold a digit, so following prose ("... 00 for the refund") is not swallowed into
# the candidate.
_IBAN_RE = lazy(
    r"(?<![\w])[A-Za-z]{2}[0-9]{2}[A-Za-z0-9]{0,30}"
    r"(?:[ ](?:[A-Z0-9]{1,30}|[A-Za-z]{0,30}[0-9][A-Za-z0-9]{0,30})(?![\w])){0,10}"
)
_GROUP_RE = lazy(r"\S+")


def _iban_ok(compact: str) -> bool:
    """ISO 13616 mod-97 check; rejects random letter/digit runs."""
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    remainder = 0
    for ch in compact[4:] + compact[:4]:
        value = int(ch, 36)  # "0"-"9" -> 0-9, "A"-"Z" -> 10-35
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


def _iban(m: re.Match[str]) -> str | None:
    """Longest space-grouped prefix that is a valid IBAN; keep what follows."""
    s = m.group(0)
    groups = [(g.start(), g.end()) for g in _GROUP_RE.finditer(s)]
    for j in range(len(groups) - 1, -1, -1):
        end = groups[j][1]
        compact = s[:end].replace(" ", "").upper()
        if len(compact) > 34:
            continue
        if len(compact) < 15:
            break
        if _iban_ok(compact):
            return placeholder("iban") + s[end:]
    return None


IBAN = Detector("iban.checked", "iban", _IBAN_RE, _iban, needs=DIGIT, gate=lambda t: digits(t) >= 8 and _IBAN_GATE.search(t))
