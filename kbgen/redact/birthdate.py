"""Dates of birth: a date after "born on", "DOB", "date of birth", "my birthday is" and their
counterparts in other languages. Any other date is left alone: help-center text is full of
renewal, order and release dates."""

from __future__ import annotations

import re

from .dates import NUMERIC_DATE, WORDED_DATE
from .detector import DIGIT, Detector, placeholder
from .patterns import label, lazy

_LABELLED_RE = lazy(
    r"(?P<label>"
    + label(
        r"born(?:[ ]on)?", r"dob", r"d\.o\.b\.?", r"date[ ]of[ ]birth", r"birth[ ]?date", r"birthday", r"bday",
        r"geboren(?:[ ](?:am|op))?", r"geburtsdatum", r"geburtstag", r"née?[ ]le", r"date[ ]de[ ]naissance",
        r"fecha[ ]de[ ]nacimiento", r"nac(?:ido|ida|í)[ ]el", r"data[ ]di[ ]nascita", r"nat[oa][ ]il",
        r"data[ ]de[ ]nascimento", r"geboortedatum",
    )
    + r")"
    r"(?P<sep>[ \t]*[:=][ \t]*|[ \t]+(?i:is|was|ist|es|est|é|è|on|am)(?:[ \t]*:)?[ \t]+|[ \t]+)"
    r"(?P<value>" + NUMERIC_DATE + r"|" + WORDED_DATE + r")"
)
_HINTS = frozenset((
    "born", "dob", "d.o.b", "birth", "bday", "geboren", "geburts", "né", "naissance", "nacimiento", "nacido", "nacida",
    "nací", "nascita", "nato", "nata", "nascimento", "geboorte",
))


def _labelled(m: re.Match[str]) -> str:
    return f"{m.group('label')}{m.group('sep')}{placeholder('birthdate')}"


LABELLED = Detector("birthdate.labelled", "birthdate", _LABELLED_RE, _labelled, hints=_HINTS, needs=DIGIT)
