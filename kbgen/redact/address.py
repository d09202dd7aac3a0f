"""Street addresses: number first ("221B Baker Street", "12 rue de la Paix"), name first
("Hauptstraße 5", "Via Roma 10", "Kerkstraat 12"), post office boxes, and the postcode (with
its city) written after any of them ("..., London NW1 6XE", "..., 10115 Berlin").

A city alone after a street is kept ("[address], London"): it says little. Street names
borrowed by products ("5 Google Drive folders", "Via Chrome 120") are not addresses.
"""

from __future__ import annotations

import re

from .detector import DIGIT, Detector, placeholder
from .patterns import lazy

# One pass for the two number-first orders (a shared first character keeps it to a single scan
# of the text):
# English: number, capitalised name words, street suffix ("221B Baker Street").
_EN = (
    r"[0-9]{0,4}[A-Za-z]?"
    r"(?:[ \t]{1,3}(?:[A-Z][\w'’.-]{0,30}|[0-9]{1,3}(?:st|nd|rd|th))){1,4}"
    r"[ \t]{1,3}(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl"
    r"|square|sq|terrace|way|parkway|pkwy|highway|hwy|close|crescent|gardens|mews|circle|cir"
    r"|trail|alley|plaza)\b\.?"
    r"(?:[ \t](?:N|S|E|W|NE|NW|SE|SW)\b\.?)?"
    r"(?:,?[ \t](?i:apt|apartment|suite|ste|unit|flat)\.?[ \t]?#?[A-Za-z0-9-]{1,6}\b)?"
)
# Romance languages: number, street type, particles, capitalised name ("12 rue de la Paix").
# "Place", "Route", "Avenue"... are also English title-case UI words ("Step 2 Place Order"), so
# those types count only in lower case ("12 avenue Foch") or when a particle follows ("2 Place
# de la Concorde").
_PARTICLES = r"(?:(?i:de|du|des|la|le|les|del|della|di|do|da|das|dos)[ \t]{1,3}|(?i:l|d)['’])"
_ROMANCE = (
    r"[0-9]{0,3}(?:[ ]?(?i:bis|ter))?,?[ \t]{1,3}"
    r"(?:(?:(?i:rue|allée|allee|impasse|chemin|quai|calle|avenida|paseo|piazza|corso|viale|bd)"
    r"|avenue|av\.|boulevard|place|route|cours|plaza)[ \t]{1,3}" + _PARTICLES + r"*"
    r"|(?:Avenue|Boulevard|Place|Route|Cours|Plaza)[ \t]{1,3}" + _PARTICLES + r"+)"
    r"[A-ZÀ-ÖØ-Þ][\w'’-]{0,30}(?:[ \t][A-ZÀ-ÖØ-Þ][\w'’-]{0,30}){0,2}"
)
_NUMBER_FIRST_RE = lazy(
    r"[0-9](?<![\w.,/-][0-9])(?=[0-9]{0,4}(?:[A-Za-z]|(?i:bis|ter))?,?[ \t])"
    r"(?:(?P<en>" + _EN + r")|" + _ROMANCE + r")"
)

# German order: name+suffix, number ("Hauptstraße 5", "Berliner Str. 12a").
_GERMAN_RE = lazy(
    r"(?<![\w])(?:[A-ZÄÖÜ][a-zäöüß-]{1,30}(?:straße|strasse|str\.|weg|gasse|platz|allee|damm)"
    r"|[A-ZÄÖÜ][\w-]{1,30}[ \t](?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Damm))"
    r"[ \t]{1,3}[0-9]{1,4}[a-z]?(?![\w])"
)
# Where a name-first street's number must end for it to be an address: street names borrowed by
# products ("Calle Ocho Festival 2024 sale", "Via Chrome 120, the page", "Blockade 2 is the
# sequel", "Museumplein 2024 events") go on in other words.
_STREET_END = (
    r"(?=[ \t]*(?:$|,[ \t]*[A-ZÀ-ÖØ-Þ0-9]|[ \t]*[-–][ \t]*[0-9]{4,5}\b|[ \t]+[0-9]{4}[ ]?[A-Z]{2}\b|[ \t]+[0-9]{5}\b"
    r"|[-/][0-9A-Za-z]{1,3}\b|[ \t]+(?:da|dal|de|del|desde|en|em|na|no|há|hace|int\.|scala|piano|interno|piso|planta"
    r"|bajo|esq|dto|hs|huis|bis)\b))"
)
# Spanish, Italian and Portuguese street types before the name ("Calle de Alcalá 42", "Via Roma
# 10", "Rua Augusta 100"; "Via" only capitalised: "via Stripe 10 times"); Dutch names with their
# suffix ("Kerkstraat 12").
_NAME_FIRST_RE = lazy(
    r"(?<![\w])(?:(?:(?i:calle|avenida|paseo|rua|travessa|viale|piazza)|Via|Corso|Largo)[ \t]{1,3}" + _PARTICLES + r"*"
    r"[A-ZÀ-ÖØ-Þ][\w'’-]{1,30}(?:[ \t][A-ZÀ-ÖØ-Þ][\w'’-]{1,30}){0,2},?"
    r"|[A-Z][a-z]{2,30}(?:straat|laan|plein|gracht|kade|dijk|singel))"
    r"[ \t]{1,3}[0-9]{1,4}[a-z]?(?![\w])" + _STREET_END
)

_PO_BOX_RE = lazy(r"(?<![\w])(?i:P\.?[ ]?O\.?[ ]?Box)[ \t]{1,3}[0-9]{1,6}(?![\w])")

# The postcode after a street that an earlier detector of this pass replaced, with the city
# written with it: "[address], London NW1 6XE", "[address], Washington, DC 20500",
# "[address], 10115 Berlin", "[address], 1017 GC Amsterdam". The whole becomes one [address].
_CITY = (
    r"[A-ZÀ-ÖØ-Þ][\w'’.]{1,30}"
    r"(?:[ \t-](?:(?:am|an|im|der|de|la|le|les|sur|upon|on|en|del)[ \t-])?[A-ZÀ-ÖØ-Þ][\w'’.]{1,30}){0,2}"
)
_UK_POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]?[ ]?[0-9][ABD-HJLNP-UW-Z]{2}"
_CA_POSTCODE = r"[A-Z][0-9][A-Z][ ]?[0-9][A-Z][0-9]"
_US_ZIP = r"[A-Z]{2}[ \t]{1,2}[0-9]{5}(?:-[0-9]{4})?"
_POSTCODE_RE = lazy(
    r"\[address\],?[ \t]{1,3}(?:"
    r"(?:" + _CITY + r",?[ \t]{1,3})?(?:" + _UK_POSTCODE + r"|" + _US_ZIP + r"|(?:[A-Z]{2}[ \t])?" + _CA_POSTCODE + r")"
    r"|(?:[A-Z]{1,2}-)?(?:[0-9]{5}|[1-9][0-9]{3}[ ]?[A-Z]{2})(?:[ \t]{1,3}" + _CITY + r")?"
    r")(?![\w])"
)

# Capitalised words before "Drive"/"Way"... that name products, not streets.
_NOT_STREET_WORDS = frozenset(
    "google one hard usb flash disk network shared external team cloud solid state "
    "the my our your a an step chapter part page section version".split()
)


def _number_first(m: re.Match[str]) -> str | None:
    """Veto "5 Google Drive"-style product names in the English order."""
    if m.group("en") is not None:
        words = {w.lower().strip(".'’") for w in m.group(0).split()[1:]}
        if words & _NOT_STREET_WORDS:
            return None
    return placeholder("address")


NUMBER_FIRST = Detector("address.number_first", "address", _NUMBER_FIRST_RE, _number_first, needs=DIGIT)
GERMAN = Detector(
    "address.german", "address", _GERMAN_RE, needs=DIGIT,
    hints=frozenset(("stra", "str.", "weg", "gasse", "platz", "allee", "damm")),
)
NAME_FIRST = Detector(
    "address.name_first", "address", _NAME_FIRST_RE, needs=DIGIT,
    hints=frozenset((
        "straat", "laan", "plein", "gracht", "kade", "dijk", "singel", "calle", "avenida", "paseo", "rua ", "travessa",
        "via ", "viale", "corso", "piazza", "largo",
    )),
)
PO_BOX = Detector("address.po_box", "address", _PO_BOX_RE, needs=DIGIT, hints=frozenset(("box",)))
POSTCODE = Detector("address.postcode", "address", _POSTCODE_RE, needs=DIGIT, gate=lambda t: "[address]" in t)
