"""Remove personal data and secrets from untrusted gap-note text.

Support agents paste customers' questions and their own answers into gap notes. That text can
hold e-mail addresses, phone and card numbers, passwords and the like, and none of it may reach
the generated help center or anything else written to disk. ``redact()`` replaces each item it
finds with a typed placeholder such as ``[email]`` and reports which kinds it removed, so
callers can log *that* something was removed without logging *what*.

One module a kind (``email``, ``phone``, ``card``, ``iban``, ``national_id``, ``ip``,
``address``, ``secret``, ``birthdate``, ``name``), each defining its detectors (see
``detector.Detector``); this module fixes their order and runs them. Their golden cases are in
tests/redact/cases/, one file a kind.

Design choices, and why:

* Precision on numbers. Help-center text is full of order numbers, dates, versions, prices and
  error codes; redacting those would make the notes useless. So number-shaped detectors need
  structure (Luhn for cards, mod-97 for IBANs, phone-like grouping or a leading ``+`` for
  phones) or a label ("SSN", "passport number", "phone", "born on"). Names too need a label
  ("my name is").
* Most specific first. Detectors run in a fixed order (``DETECTORS``: secrets, e-mail, IBAN,
  card, national id, date of birth, IP, phone, address, name) and each later detector only
  sees the placeholders left by earlier ones, so a card number is never reported as a phone
  number.
* Idempotent. Placeholders hold no digits and no ``@`` and are never matched again, and
  ``redact()`` repeats its passes until one finds nothing, so ``redact(redact(x).text)``
  returns the same text with no kinds.
* HTML or script in the text is left as it is; escaping is the output layer's job, not this
  module's.
* Fast and total. Patterns are compiled on first use, repetitions that could meet
  attacker-sized input are bounded, and cheap gates (a digit, a 9+ digit number, a hint word
  such as "password") skip detectors that cannot fire. Any ``str`` is handled without
  exceptions, in time linear in its length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import address, birthdate, card, email, iban, ip, name, national_id, phone, secret
from .detector import ANY, DIGIT, KINDS, LONG_NUMBER, Detector
from .patterns import HAS_DIGIT, lazy, trie_pattern

__all__ = ["DETECTORS", "KINDS", "Detector", "Redaction", "redact"]


@dataclass(frozen=True)
class Redaction:
    """Result of ``redact()``: safe text plus which kinds were taken out.

    ``kinds`` is sorted and unique so it can be compared, logged and counted without leaking
    the removed values.
    """

    text: str
    kinds: tuple[str, ...]


#: Every detector, in the order they run: most specific first.
DETECTORS: tuple[Detector, ...] = (
    secret.PRIVATE_KEY,
    secret.PREFIXED,
    secret.URL_CREDENTIALS,
    secret.PASSWORD,
    secret.TOKEN,
    email.EMAIL,
    email.OBFUSCATED,
    iban.IBAN,
    card.GROUPED,
    card.DOTTED,
    national_id.SSN,
    national_id.NIE,
    national_id.NINO,
    national_id.LABELLED,
    birthdate.LABELLED,
    ip.IPV4,
    ip.IPV6,
    ip.IPV6_FULL,
    phone.LABELLED,
    phone.SHAPED,
    address.NUMBER_FIRST,
    address.GERMAN,
    address.NAME_FIRST,
    address.PO_BOX,
    address.POSTCODE,  # after the streets: it extends their [address] to the postcode
    name.SAYS,
    name.THIS_IS,
    name.FIELD,
)

# Every detector's hint words, found by one scan of the lower-cased text a pass (longest first,
# so "passport" is not hidden behind "pass").
_HINT_RE = lazy(trie_pattern(frozenset().union(*(d.hints for d in DETECTORS if d.hints is not None))))
# A "long number": 9+ digits joined only by phone and card separators. Every card, SSN and phone
# number has one; most dates, prices and order numbers don't.
_LONG_NUMBER_RE = lazy(r"[0-9](?:[ ().+/-]{0,3}[0-9]){8}")

# A pass that removes something can expose a neighbour it had shielded (in "Street+44 20 7946
# 0958" the "t" hides the phone number until the address becomes "[address]"). redact()
# repeats passes until one finds nothing, so its output is a fixed point: redacting it again
# changes nothing. Each productive pass removes at least one item; the cap is only a safeguard.
_MAX_PASSES = 4


def redact(text: str, public_domains: Iterable[str] = ()) -> Redaction:
    """Replace personal data and secrets in ``text`` with typed placeholders.

    Called on every piece of note text before it is stored or rendered, so it must accept any
    ``str`` (empty, huge, control characters, unicode) without raising. Text that holds nothing
    sensitive comes back unchanged. E-mail addresses at ``public_domains`` (the company's own,
    such as support@ addresses agents give out) are kept.
    """
    if not isinstance(text, str):
        raise TypeError(f"redact() expects str, not {type(text).__name__}")
    keep = tuple(d.lower().lstrip("@.") for d in public_domains if d)
    detectors = DETECTORS
    if keep:
        detectors = tuple(email.keeping(d, keep) if d.kind == "email" else d for d in DETECTORS)
    kinds: set[str] = set()
    for _ in range(_MAX_PASSES):
        found: set[str] = set()
        text = _redact_pass(text, found, detectors)
        if not found:
            break
        kinds |= found
    return Redaction(text, tuple(sorted(kinds)))


def _redact_pass(text: str, found: set[str], detectors: tuple[Detector, ...]) -> str:
    """Run every detector once, in order; add the kinds that fired to ``found``."""
    if not text:
        return text
    # The gates are computed once on the pass's input. Within a pass, text only loses digits,
    # "@" and labels (a placeholder holds no digit, and a label word inside one is followed by
    # "]", which no label pattern accepts), so they stay a superset of what later detectors
    # can see.
    has = ANY
    if HAS_DIGIT.search(text) is not None:
        has = LONG_NUMBER if _LONG_NUMBER_RE.search(text) is not None else DIGIT
    hints = set(_HINT_RE.findall(text.lower()))
    for detector in detectors:
        if detector.needs > has:
            continue
        if detector.hints is not None and hints.isdisjoint(detector.hints):
            continue
        if detector.gate is not None and not detector.gate(text):
            continue
        text = detector.run(text, found)
    return text
