"""kbgen.redact against its golden cases (tests/redact/cases/<kind>.txt, format in each file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbgen.redact import KINDS, Redaction, redact
from tests.redact.golden import CASES, CASES_DIR, Case, parse


@pytest.mark.parametrize("case", CASES, ids=[c.where for c in CASES])
def test_case(case: Case) -> None:
    got = redact(case.text)
    assert got == Redaction(case.expected, case.kinds), f"{case.where}\n  input:    {case.text!r}\n  expected: {case.expected!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.where for c in CASES])
def test_case_is_idempotent(case: Case) -> None:
    once = redact(case.text)
    assert redact(once.text) == Redaction(once.text, ())


def test_every_kind_has_a_case_file_and_every_file_a_kind() -> None:
    files = {path.stem for path in CASES_DIR.glob("*.txt")}
    assert not set(KINDS) - files, f"no case file for {sorted(set(KINDS) - files)} in {CASES_DIR}"
    assert not files - set(KINDS), f"case files for unknown kinds: {sorted(files - set(KINDS))}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_cases_of_both_sorts(kind: str) -> None:
    cases = [c for c in CASES if c.kind == kind]
    assert any(not c.false_positive for c in cases), f"{kind}.txt has no case that redacts"
    assert any(c.false_positive for c in cases), f"{kind}.txt has no false positive"


def test_a_file_holds_cases_of_its_kind() -> None:
    strays = [c.where for c in CASES if not c.false_positive and c.kind not in c.kinds]
    assert not strays, f"cases that do not report their file's kind: {strays}"


def test_no_case_is_written_twice() -> None:
    seen: dict[str, str] = {}
    twice = [f"{c.where} repeats {seen[c.text]}" for c in CASES if seen.setdefault(c.text, c.where) != c.where]
    assert not twice, twice


def test_the_case_format(tmp_path: Path) -> None:
    path = tmp_path / "phone.txt"
    path.write_text(
        "# a comment\n\n< call 0151/12345678\n> call [phone]\n= order 0151\n< two\n< lines\n> two\n> [phone]\n",
        encoding="utf-8",
    )
    cases = parse(path)
    assert [(c.where, c.text, c.expected, c.kinds, c.false_positive) for c in cases] == [
        ("phone.txt:3", "call 0151/12345678", "call [phone]", ("phone",), False),
        ("phone.txt:5", "order 0151", "order 0151", (), True),
        ("phone.txt:6", "two\nlines", "two\n[phone]", ("phone",), False),
    ]
    for bad in ("< no output\n\n", "> no input\n", "stray text\n"):
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ValueError, match="phone.txt:1"):
            parse(path)
