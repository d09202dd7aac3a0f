"""kbgen.redact beyond its golden cases: the API, precedence, idempotence on random text, odd and
adversarial input, public e-mail domains, and the detectors' own contract."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time

import pytest

from kbgen.redact import DETECTORS, KINDS, Detector, Redaction, redact
from tests.redact.golden import FALSE_POSITIVES, POSITIVE

__all__ = ["POSITIVE", "FALSE_POSITIVES"]  # tests/cli/test_agents.py logs every POSITIVE case


def test_kinds_constant() -> None:
    assert KINDS == tuple(sorted(set(KINDS)))
    assert {"email", "phone", "card", "iban", "national_id", "address", "secret", "ip", "name", "birthdate"} <= set(KINDS)


def test_golden_cases_cover_every_kind() -> None:
    assert len(POSITIVE) >= 100 and len(FALSE_POSITIVES) >= 100
    assert {k for _, _, kinds in POSITIVE for k in kinds} == set(KINDS)


def test_several_items_kinds_sorted_unique() -> None:
    text = (
        "Hi, I'm ann@example.com, call +44 20 7946 0958 or bob@example.org. "
        "Card 4111 1111 1111 1111, password: hunter2, server 10.0.0.1."
    )
    result = redact(text)
    assert result.text == (
        "Hi, I'm [email], call [phone] or [email]. Card [card], password: [secret], server [ip]."
    )
    assert result.kinds == ("card", "email", "ip", "phone", "secret")
    assert list(result.kinds) == sorted(set(result.kinds))


def test_precedence_card_before_phone() -> None:
    # dash-grouped digits look like a phone too; the card detector runs first
    assert redact("4111-1111-1111-1111") == Redaction("[card]", ("card",))
    assert redact("call 555-010-9999, card 4111-1111-1111-1111") == Redaction(
        "call [phone], card [card]", ("card", "phone")
    )
    # an SSN is not mistaken for a phone, nor a card's Luhn-failing twin for a card
    assert redact("123-45-6789").kinds == ("national_id",)
    assert redact("4111-1111-1111-1112") == Redaction("4111-1111-1111-1112", ())


def test_a_whole_note_with_every_kind() -> None:
    text = (
        "Hi, this is Anna Kowalski from Acme. My name is Anna Kowalski, born on 12/05/1990, "
        "I live at 12 Baker Street, London NW1 6XE, mail anna dot k at gmail dot com or call 0151/12345678. "
        "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, my pass is Sommer2024, "
        "from 203.0.113.7."
    )
    result = redact(text)
    assert result.text == (
        "Hi, this is [name] from Acme. My name is [name], born on [birthdate], "
        "I live at [address], mail [email] or call [phone]. "
        "Card [card], IBAN [iban], SSN [national_id], my pass is [secret], from [ip]."
    )
    assert result.kinds == KINDS


def test_placeholders_left_alone() -> None:
    text = "email [email], card [card], password: [secret], phone: [phone], name: [name], DOB: [birthdate]"
    assert redact(text) == Redaction(text, ())


FRAGMENTS = [
    "4111 1111 1111 1111", "+44 20 7946 0958", "(555) 010-9999", "123-45-6789", "QQ123456C",
    "DE89 3704 0044 0532 0130 00", "ann@example.com", "password: hunter2", "password is", "pwd=",
    "221B Baker Street", "12 rue de la Paix", "192.168.1.10", "2001:db8::1", "api key",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "2026-11-20", "10:30", "v2.3.1", "$1,299.00", "order #A-10492",
    "[email]", "[secret]", "[address]", "[", "]", ":", "=", "&", "@", "-", "+", "(", ")", ".", ",", "\n", "0", "12",
    " ", " ", " ", "Street", "Google", "SSN", "phone", "is", "not", "é", "😀", "\x00",
    "my name is ", "Anna", "Kowalski", "born on ", "12/05/1990", " at ", " dot ", "gmail", "(at)", "com",
    "0151/12345678", "NW1 6XE", ", London ", "10115 Berlin", "my pass is ", '"', "“", "this is ", " from ",
]


def test_idempotent_on_fragment_soup() -> None:
    """Seeded random concatenations of tricky fragments (no hypothesis here)."""
    rng = random.Random(20261120)
    for _ in range(3000):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12)))
        once = redact(text)
        assert list(once.kinds) == sorted(set(once.kinds))
        assert set(once.kinds) <= set(KINDS)
        assert redact(once.text) == Redaction(once.text, ()), text


ODD_INPUTS = [
    "",
    " ",
    "\x00\x01\x02\x1b[31m\x7f",
    "\ud800 lone surrogate \udfff",
    "😀 emoji 👩\u200d💻 and RTL \u202eevil",
    "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦ Arabic-Indic digits",
    "４１１１ １１１１ １１１１ １１１１",
    "[email]" * 1000,
]


@pytest.mark.parametrize("text", ODD_INPUTS, ids=range(len(ODD_INPUTS)))
def test_never_raises(text: str) -> None:
    result = redact(text)
    assert isinstance(result, Redaction)
    assert isinstance(result.text, str)
    assert set(result.kinds) <= set(KINDS)


# 100 KB of one shape each: every detector's pattern must stay linear on them.
ADVERSARIAL = {
    "digits": "1" * 100_000,
    "at signs": "@" * 100_000,
    "spaces": " " * 100_000,
    "letters then @": "a" * 100_000 + "@",
    "x": "x" * 100_000,
    "spaced digits": "1 " * 50_000,
    "dashed digits": "1-" * 50_000,
    "slashed digits": "0151/" * 20_000,
    "plus and digits": "+" + "1 " * 50_000,
    "dots and digits": "1." * 50_000,
    "colons": "::::" * 20_000 + "1.1.1.1" * 3_000,
    "labels": "password:" * 11_000,
    "password is": "my password is " * 6_700,
    "quotes": 'password is "' + "a " * 50_000,
    "spelled at and dot": "a dot " * 10_000 + "b at " * 8_000,
    "brackets": "(at)" * 25_000,
    "capitalised words": "My name is " + "Anna " * 20_000,
    "this is": "this is Anna " * 7_700,
    "street words": "12 Baker Street, " * 6_000,
    "addresses": "[address], London " * 5_600,
    "dates": "born on 12/05/1990 " * 5_300,
    "hex and colons": "a1:" * 33_000,
    "base64ish": "Zk83hQ0pLm2Vx7Rt9Yb4" * 5_000,
    "mixed": ("Call +44 20 7946 0958 or ann@example.com, 221B Baker Street, password: x " * 1_400),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_input_finishes_in_under_a_second(name: str) -> None:
    text = ADVERSARIAL[name]
    assert len(text) >= 99_000
    redact("warm up the patterns: 4111 1111 1111 1111, ann@example.com, 12 Baker Street")
    start = time.perf_counter()
    result = redact(text)
    elapsed = time.perf_counter() - start
    assert set(result.kinds) <= set(KINDS)
    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s"


def test_non_str_rejected() -> None:
    with pytest.raises(TypeError):
        redact(None)  # type: ignore[arg-type]


def test_public_domains_are_kept_others_redacted() -> None:
    text = "Write to support@cos.example or security@eu.cos.example, not ann@example.com or x@notcos.example"
    result = redact(text, public_domains=["cos.example"])
    assert result.text == "Write to support@cos.example or security@eu.cos.example, not [email] or [email]"
    assert result.kinds == ("email",)
    assert redact("support@cos.example", public_domains=["cos.example"]).kinds == ()
    assert redact("write to support%40cos.example", public_domains=["cos.example"]).kinds == ()  # URL-encoded too
    spelled = "write to support at cos dot example or ann at gmail dot com"
    assert redact(spelled, public_domains=["cos.example"]) == Redaction("write to support at cos dot example or [email]", ("email",))


# ---------------------------------------------------------------------------------------------
# the detectors' contract
# ---------------------------------------------------------------------------------------------


def test_detectors_are_named_typed_and_compile() -> None:
    names = [d.name for d in DETECTORS]
    assert len(names) == len(set(names))
    for detector in DETECTORS:
        assert isinstance(detector, Detector)
        assert detector.kind in KINDS and detector.name.split(".")[0] == detector.kind
        assert re.compile(*detector.pattern._args)  # type: ignore[attr-defined]
        assert detector.hints is None or all(h == h.lower() for h in detector.hints)
    assert {d.kind for d in DETECTORS} == set(KINDS)


def test_detector_order_is_most_specific_first() -> None:
    order = list(dict.fromkeys(d.kind for d in DETECTORS))
    assert order == ["secret", "email", "iban", "card", "national_id", "birthdate", "ip", "phone", "address", "name"]


def test_detector_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError):
        Detector("x.y", "shoe_size", re.compile("x"))


def test_import_is_cheap() -> None:
    """Importing compiles no pattern and loads no optional module: `kbgen log` pays only for
    the detectors a note's gates let through."""
    code = (
        "import sys\n"
        "from kbgen.redact import DETECTORS, redact\n"
        "assert not [d.name for d in DETECTORS if d.pattern._compiled is not None]\n"
        "assert 'ipaddress' not in sys.modules and 'phonenumbers' not in sys.modules\n"
        "redact('How do I export my data to CSV from the reports page?')\n"
        "assert 'ipaddress' not in sys.modules and 'phonenumbers' not in sys.modules\n"
        "print(sum(d.pattern._compiled is not None for d in DETECTORS))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) <= 2  # a note with no digits and no labels needs almost no pattern
