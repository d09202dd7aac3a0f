"""Phone numbers: international (+44 20 7946 0958), grouped national shapes (555-010-9999,
020 7946 0958, 0151/12345678), and any 9 to 15 digits after a phone word ("call me back on
4155552671").

A bare run of digits is an order, invoice or reference number more often than a phone number,
so one counts only after a phone word; shapes count anywhere but after a reference word
("invoice 0123/456789") and never start with a date.
"""

from __future__ import annotations

import re

from .dates import DATE_START_RE
from .detector import LONG_NUMBER, Detector, placeholder
from .patterns import label, lazy

_LB = r"(?<![\w+.,/#-].)"  # checked after the first character
_SHAPED_RE = lazy(
    r"(?:\+" + _LB + r"[0-9]{1,3}(?:[ .-]?\(?[0-9]{1,4}\)?){2,6}"  # +44 20 7946 0958, +1-555-010-9999
    r"|\(" + _LB + r"(?:0?[0-9]{2,4}\)[ .-]?[0-9]{3,4}[ .-]?[0-9]{3,4}"  # (555) 010-9999
    r"|0\)[ ]?[1-9][0-9]{0,4}(?:[ .-]?[0-9]{2,8}){1,4})"  # (0)20 7946 0958
    r"|[0-9]" + _LB + r"(?:"
    r"(?<=1)[ .-]?\(0?[0-9]{2,4}\)[ .-]?[0-9]{3,4}[ .-]?[0-9]{3,4}"  # 1 (555) 010-9999
    r"|(?:(?<=1)[.-][0-9]{3}|[0-9]{2})(?P<s>[.-])[0-9]{3}(?P=s)[0-9]{4}"  # 555-010-9999, 1-800-555-0199
    r"|[0-9]{2}[ ][0-9]{3}[ ][0-9]{4}"  # 555 010 9999
    r"|(?<=1)[ ][0-9]{3}[ ][0-9]{3}[ ][0-9]{4}"  # 1 415 555 2671
    r"|(?<=[67])[0-9]{2}(?:[ ][0-9]{2}){3}"  # 612 34 56 78 (Spanish mobiles)
    r"|(?<=0)0[1-9][0-9]{0,2}(?:[ .-][0-9]{1,8}){1,4}"  # 0031 6 12345678, 0049 171 1234567
    r"|(?<=0)[0-9]{1,4}(?:[ .-][0-9]{2,8}){1,4}"  # 020 7946 0958, 07700 900123, 06 12 34 56 78, 0171 1234567
    r"|(?<=0)[1-9][0-9]{1,4}/[ ]?[0-9]{2,8}(?:[ -][0-9]{2,8}){0,3}"  # 0151/12345678, 030/123 45 67
    r"))(?![\w]|[.,:/-]?[0-9])"
)

_LABELLED_RE = lazy(
    r"(?P<label>"
    + label(
        r"phone", r"tel", r"telephone", r"mobile", r"mobil(?:nummer)?", r"mob", r"cell", r"cellphone", r"whatsapp",
        r"sms", r"fax", r"landline", r"ph", r"dial",
        r"call[ ]me[ ]back(?:[ ](?:at|on))?", r"call[ ]back(?:[ ](?:at|on))?", r"callback(?:[ ]number)?",
        r"call[ ]me(?:[ ](?:at|on))?", r"call(?=[ ][0-9])", r"ring[ ]me(?:[ ](?:at|on))?", r"ring(?=[ ][0-9])", r"text[ ]me(?:[ ](?:at|on))?",
        r"reach[ ]me(?:[ ](?:at|on))?", r"contact[ ]me(?:[ ](?:at|on))?",
        *(f"{who}[ ](?:phone[ ]|cell[ ]|mobile[ ])?number" for who in ("my", "his", "her", "their", "your")),
        r"m[oó]vil", r"tel[eé]fono", r"telefone", r"telefon(?:nummer)?", r"rufnummer", r"handy(?:nummer)?",
        r"erreichbar(?:[ ]unter)?", r"telem[oó]vel", r"cellulare", r"telefono", r"portable",
        r"t[eé]l[eé]phone", r"bel(?=[ ]0)",
    )
    + r"(?:[ ](?i:number|no\.?|#))?)"
    r"(?P<sep>[ \t]*[:=#.]{1,2}[ \t]*|[ \t]+(?i:is|was|ist|est|es)[ \t]+|[ \t]+)"
    r"(?P<value>[0-9](?:[ ./-]?[0-9]){8,14})(?![\w]|[.,/][0-9])"
)
_HINTS = frozenset((
    "phone", "tel", "mobile", "mobil", "mob", "cell", "whatsapp", "sms", "fax", "landline", "ph", "dial", "call",
    "ring", "text me", "reach me", "contact me", "number", "movil", "móvil", "handy", "rufnummer", "erreichbar",
    "portable", "bel 0",
))


def _shaped(m: re.Match[str]) -> str | None:
    """A phone number has 9 to 15 digits (E.164 upper bound), does not start with a date, and
    is not a reference number right after "SKU", "order", "invoice", "part"..."""
    n = sum(c.isdigit() for c in m.group(0))
    if not 9 <= n <= 15 or DATE_START_RE.match(m.group(0)):
        return None
    if _REFERENCE_BEFORE_RE.search(m.string, max(0, m.start() - 30), m.start()):
        return None
    return placeholder("phone")


_REFERENCE_BEFORE_RE = lazy(
    r"(?i:\b(?:sku|order|invoice|ref(?:erence)?|item|part|model|serial|tracking|ticket|po|lot|batch|case|contract"
    r"|policy|claim|account|customer|rechnung|bestellung|auftrag|kunden(?:nummer|nr\.?)?|vertrag|aktenzeichen|az"
    r"|factura|pedido|commande|facture|bestelling|factuur|ordine|fattura)"
    r"(?:[ ](?:number|no\.?|nr\.?|n[°º]))?[ \t]*#?[ \t]*)$"
)


def _labelled(m: re.Match[str]) -> str | None:
    """Keep the label, replace the number after it (not a date: "call 2024-03-15 14:00")."""
    if DATE_START_RE.match(m.group("value")):
        return None
    return f"{m.group('label')}{m.group('sep')}{placeholder('phone')}"


LABELLED = Detector("phone.labelled", "phone", _LABELLED_RE, _labelled, hints=_HINTS, needs=LONG_NUMBER)
SHAPED = Detector("phone.shaped", "phone", _SHAPED_RE, _shaped, needs=LONG_NUMBER)
