"""People's names where the text says it is one: after "my name is", "I'm called", "this is
<Name> from", a "Name:" label, and their counterparts in other languages.

Only capitalised words count (one to three, with particles such as "van" or "de" between), so
"my name is on the account" and "my name is spelled wrong" are left alone; a "Name:" label
counts only for a person ("Customer name:", not "File name:").
"""

from __future__ import annotations

import re

from .detector import Detector, placeholder
from .patterns import label, lazy

_WORD = r"(?:[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'’-]{1,30}|[A-Z]\.)"
_PARTICLE = r"(?:van|von|de|der|den|del|della|di|da|du|le|la|ter|ten|bin|ibn|al|el|dos|das|do|y)"
_TITLE = r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra)\.?[ \t])?"
_NAME = r"(?P<name>" + _TITLE + _WORD + r"(?:(?:[ \t]" + _PARTICLE + r"){0,2}[ \t]" + _WORD + r"){0,2})(?![\w'’-])"

_SAYS_RE = lazy(
    r"(?P<label>"
    + label(
        r"my[ ](?:full[ ]|first[ ]|last[ ])?name[ ](?:is|was)", r"my[ ]name['’]s", r"i[ ]am[ ]called", r"i['’]m[ ]called",
        r"mein[ ]name[ ]ist", r"ich[ ]hei(?:ß|ss)e", r"je[ ]m['’]appelle", r"je[ ]suis[ ]appel[ée]e?", r"me[ ]llamo",
        r"mi[ ]nombre[ ]es", r"mi[ ]chiamo", r"mijn[ ]naam[ ]is", r"ik[ ]heet", r"meu[ ]nome[ ][ée]", r"chamo-me",
    )
    + r")(?P<sep>[ \t]*:?[ \t]+)" + _NAME
)
# "Hi, this is Anna Kowalski from Acme": the name, and "from" after it.
_THIS_IS_RE = lazy(r"(?P<label>" + label(r"this[ ]is") + r")(?P<sep>[ \t]+)" + _NAME + r"(?=[ \t]+from\b)")
# "Name: Jane Doe", "Customer name: Jane Doe", "Nachname: Müller".
_FIELD_RE = lazy(
    r"(?P<label>"
    + label(
        r"name", r"full[ ]name", r"first[ ]name", r"last[ ]name", r"given[ ]name", r"family[ ]name", r"surname",
        r"customer(?:['’]s)?[ ]name", r"contact[ ]name", r"client[ ]name", r"caller(?:['’]s)?[ ]name",
        r"account[ ]?holder(?:[ ]name)?", r"card[ ]?holder(?:[ ]name)?", r"vorname", r"nachname", r"nom", r"pr[ée]nom", r"nombre",
        r"apellidos?", r"nome", r"cognome", r"naam", r"achternaam", r"voornaam",
    )
    + r")(?P<sep>[ \t]*:[ \t]*)" + _NAME
)
_HINTS = frozenset((
    "name", "called", "hei", "appel", "llamo", "nombre", "chiamo", "naam", "heet", "nome", "chamo", "this is", "holder",
    "nom", "apellido",
))

# Capitalised words that are not names where a name is expected ("My name is Not on the
# invoice", "Name: TBD", "this is Anna And ..." loses the "And").
_NOT_NAMES = frozenset(
    """
    the a an not no never still also now on in at for of to missing wrong spelled spelt correct incorrect
    listed shown displayed printed showing different already same right above below there here this that
    and or but so if when please thanks thank hi hello dear i you we they he she it my your our their
    is was are be from with unknown none null tbd n/a anonymous test required optional ok okay yes
    """.split()
)
# Words right before a bare "name:" that make it a thing's name, not a person's: anything but
# these ("File name:", "Product name:", "Display name:" are left alone).
_PERSON_BEFORE = frozenset("my your his her their our customer customer's client caller contact person".split())
_WORD_BEFORE_RE = lazy(r"([A-Za-z'’]+)[ \t]+$")


def _name(m: re.Match[str]) -> str | None:
    """Keep the label; replace the name without the capitalised function words that end it."""
    name = m.group("name")
    words = name.split()
    while words and words[-1].lower().strip(".") in _NOT_NAMES:
        words.pop()
    if not words or words[0].lower().strip(".") in _NOT_NAMES:
        return None
    kept = " ".join(words)
    if not name.startswith(kept):  # spacing inside the name was not single
        kept = name
    return f"{m.group('label')}{m.group('sep')}{placeholder('name')}{name[len(kept):]}"


def _field(m: re.Match[str]) -> str | None:
    if m.group("label").lower() == "name":
        before = _WORD_BEFORE_RE.search(m.string, max(0, m.start() - 40), m.start())
        if before is not None and before.group(1).lower() not in _PERSON_BEFORE:
            return None
    return _name(m)


SAYS = Detector("name.says", "name", _SAYS_RE, _name, hints=_HINTS)
THIS_IS = Detector("name.this_is", "name", _THIS_IS_RE, _name, hints=frozenset(("this is",)))
FIELD = Detector("name.field", "name", _FIELD_RE, _field, hints=_HINTS)
