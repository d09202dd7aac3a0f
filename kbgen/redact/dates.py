"""Date shapes, shared by the detectors that must recognise a date: a phone number never starts
with one, and a date of birth is one."""

from __future__ import annotations

from .patterns import lazy

# 12/05/2026, 12.5.90, 2026-05-12: day, month and year in either order. Day and month are not
# checked against each other; a year has two or four digits.
NUMERIC_DATE = (
    r"(?:[0-9]{1,2}[-./][0-9]{1,2}[-./](?:1[89]|20)?[0-9]{2}"
    r"|(?:1[89]|20)[0-9]{2}[-./][0-9]{1,2}[-./][0-9]{1,2})(?![0-9]|[-./][0-9])"
)

_MONTHS = (
    r"(?i:jan(?:uary|uar|vier|eiro)?|feb(?:ruary|ruar)?|f[eé]v(?:rier)?|fevereiro|mar(?:ch|s|zo|ço)?|m[aä]r(?:z)?|maart"
    r"|apr(?:il|ile)?|avr(?:il)?|abr(?:il)?|may|mai|mei|mayo|maggio|maio|june?|juni|juin|junio|giugno|junho"
    r"|july?|juli|juillet|julio|luglio|julho|aug(?:ust)?|ao[uû]t|agosto|sep(?:t(?:ember)?)?|septembre|septiembre|settembre|setembro"
    r"|oct(?:ober)?|okt(?:ober)?|octobre|octubre|ottobre|outubro|nov(?:ember|embre)?|dec(?:ember)?|dez(?:ember)?|d[eé]cembre"
    r"|diciembre|dicembre|dezembro|ene(?:ro)?|gen(?:naio)?)\.?"
)
_DAY = r"[0-9]{1,2}(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?:1[89]|20)[0-9]{2}"
# 12 May 1990, 12th of May, 12. Mai 1990, May 12, 1990, May 12th, 1 de mayo de 1990
WORDED_DATE = (
    r"(?:" + _DAY + r"[ \t](?:(?i:of|de)[ \t])?" + _MONTHS + r"(?:,?[ \t](?:(?i:de)[ \t])?" + _YEAR + r")?"
    r"|" + _MONTHS + r"[ \t]" + _DAY + r"(?:,?[ \t]" + _YEAR + r")?)(?![\w])"
)

# A text that starts with a numeric date (a phone number never does).
DATE_START_RE = lazy(
    r"(?:[0-9]{1,2}[-./][0-9]{1,2}[-./](?:19|20)[0-9]{2}|(?:19|20)[0-9]{2}[-./][0-9]{1,2}[-./][0-9]{1,2})(?![0-9])"
)
