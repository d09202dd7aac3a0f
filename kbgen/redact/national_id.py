"""National identity numbers: US SSNs and UK National Insurance numbers by their shape, Spanish
NIEs by theirs, and any id after its label ("passport number X1234567", "CPF 123.456.789-09")."""

from __future__ import annotations

import re

from .detector import DIGIT, LONG_NUMBER, Detector, placeholder
from .patterns import HAS_DIGIT, digits, label, lazy

# After a label: "SSN: 123 45 6789", "passport number X1234567".
_LABELLED_RE = lazy(
    r"(?P<label>"
    + label(
        r"ssn", r"social[ ]security(?:[ ](?:number|no\.?|#))?", r"sin", r"social[ ]insurance[ ]number",
        r"nino", r"national[ ]insurance(?:[ ](?:number|no\.?|#))?", r"ni[ ]number",
        r"national[ ]id(?:entity)?(?:[ ](?:card|number|no\.?|#)){0,2}",
        r"id[ ]card(?:[ ](?:number|no\.?|#))?", r"passport(?:[ ](?:number|no\.?|#))?",
        r"driver'?s?[ ]licen[cs]e(?:[ ](?:number|no\.?|#))?", r"tax[ ](?:id|number)", r"aadhaar",
        r"dni", r"nif", r"cpf", r"steuer-?id", r"steuernummer", r"bsn", r"personnummer", r"codice[ ]fiscale",
    )
    + r")"
    r"(?P<sep>[ \t]*[:#=][ \t]*|[ \t]+(?i:is|was|es|ist|é)(?:[ \t]*:)?[ \t]+|[ \t]+)"
    r"(?P<value>[A-Z0-9](?:[A-Z0-9]|[ .-](?=[A-Z0-9])){4,24})(?![A-Za-z0-9])"
)
_HINTS = frozenset((
    "ssn", "social", "sin", "nino", "insurance", "ni number", "national", "id card", "passport",
    "licen", "tax", "aadhaar", "dni", "nif", "cpf", "steuer", "bsn", "personnummer", "fiscale",
))

# US SSN, dashed: 123-45-6789 (area 000/666/9xx and zero groups never issued).
_SSN_RE = lazy(
    r"[0-8](?<![\w-][0-9])[0-9]{2}(?<!000)(?<!666)-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![\w]|-[0-9])"
)

# Cheap test run before the NINO pattern: two capitals right before digits.
_NINO_GATE = lazy(r"[0-9](?:(?<=[A-Z]{2}[0-9])[0-9]{5}|(?<=[A-Z]{2} [0-9])[0-9] [0-9]{2} [0-9]{2})")

# UK National Insurance number: QQ123456C, QQ 12 34 56 C. Upper case only. Letters D, F, I, U,
# V (and O second) are never issued; Q is kept because HMRC's own example number is QQ123456C
# and people copy it into tickets.
_NINO_RE = lazy(
    r"(?<![\w])(?!BG|GB|KN|NK|NT|TN)[A-CEGHJ-TW-Z][A-CEGHJ-NP-TW-Z]"
    r"(?:[0-9]{6}|[ ][0-9]{2}[ ][0-9]{2}[ ][0-9]{2}[ ]?)[A-D](?![\w])"
)

# Spanish NIE by its shape (X1234567L); "nie" is also German for "never".
_NIE_RE = lazy(r"(?<![\w])[XYZ]-?[0-9]{7}-?[A-Z](?![\w])")

_ID_SPLIT_RE = lazy(r"([ -])")


def _labelled(m: re.Match[str]) -> str | None:
    """Keep the label; drop trailing word groups that carry no digits."""
    value = m.group("value")
    parts = _ID_SPLIT_RE.split(value)
    # parts alternate token, sep, token ...; trim digit-less trailing tokens
    while len(parts) > 1 and not HAS_DIGIT.search(parts[-1]):
        parts = parts[:-2]
    kept = "".join(parts)
    if sum(c.isdigit() for c in kept) < 5:
        return None
    return f"{m.group('label')}{m.group('sep')}{placeholder('national_id')}{value[len(kept):]}"


SSN = Detector("national_id.ssn", "national_id", _SSN_RE, needs=LONG_NUMBER)
NIE = Detector("national_id.nie", "national_id", _NIE_RE, needs=DIGIT, gate=lambda t: digits(t) >= 7)
NINO = Detector(
    "national_id.nino", "national_id", _NINO_RE, needs=DIGIT, gate=lambda t: digits(t) >= 6 and _NINO_GATE.search(t)
)
LABELLED = Detector("national_id.labelled", "national_id", _LABELLED_RE, _labelled, hints=_HINTS, needs=DIGIT)
