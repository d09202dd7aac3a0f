"""Signals from the public site: bounded, redacted, type-tagged lines, appended beside the notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kbgen.notes import NoteLog
from kbgen.signals import SignalError, SignalLog, make_signal, read_signals

SLUGS = {"refunds", "reset-password"}


def test_a_search_is_redacted_and_tagged() -> None:
    line = make_signal({"type": "search", "query": "  mail sam@gmail.com\x07 ", "results": 0}, SLUGS, now="2026-11-30T10:00:00Z")
    assert line == {"type": "search", "time": "2026-11-30T10:00:00Z", "query": "mail [email]", "results": 0, "redacted": ["email"]}


def test_a_search_that_ended_on_contact_support_says_so_and_only_then() -> None:
    line = make_signal({"type": "search", "query": "refund time", "results": 3, "contact": True}, SLUGS, now="2026-11-30T10:00:00Z")
    assert line == {"type": "search", "time": "2026-11-30T10:00:00Z", "query": "refund time", "results": 3, "contact": True}
    assert "contact" not in make_signal({"type": "search", "query": "q", "results": 0, "contact": False}, SLUGS)
    assert "contact" not in make_signal({"type": "search", "query": "q", "results": 0}, SLUGS)


def test_feedback_keeps_the_company_domain_and_drops_an_empty_reason() -> None:
    line = make_signal({"type": "feedback", "slug": "refunds", "helpful": False, "reason": "ask help@cos.example"}, SLUGS,
                       public_domains=["cos.example"])
    assert line["reason"] == "ask help@cos.example" and "redacted" not in line
    assert "reason" not in make_signal({"type": "feedback", "slug": "refunds", "helpful": True, "reason": " "}, SLUGS)


@pytest.mark.parametrize(("record", "key"), [
    ({"type": "click"}, "type"),
    ({"type": "search", "query": "q", "results": 1, "slug": "refunds"}, "slug"),
    ({"type": "search", "query": "", "results": 1}, "query"),
    ({"type": "search", "query": "q" * 201, "results": 1}, "query"),
    ({"type": "search", "query": "q", "results": -1}, "results"),
    ({"type": "search", "query": "q", "results": True}, "results"),
    ({"type": "search", "query": "a\ud83d", "results": 1}, "query"),
    ({"type": "search", "query": "q", "results": 1, "contact": "true"}, "contact"),
    ({"type": "search", "query": "q", "results": 1, "contact": 1}, "contact"),
    ({"type": "search", "query": "q", "results": 1, "contact": None}, "contact"),
    ({"type": "feedback", "slug": "refunds", "helpful": True, "contact": True}, "contact"),
    ({"type": "feedback", "slug": "../etc/passwd", "helpful": True}, "slug"),
    ({"type": "feedback", "slug": "refunds", "helpful": 1}, "helpful"),
    ({"type": "feedback", "slug": "refunds", "helpful": True, "reason": "x" * 501}, "reason"),
    ({"type": "feedback", "slug": "refunds", "helpful": True, "reason": "<svg onload=alert(1)>"}, "reason"),
])
def test_bad_signals_name_the_field(record: dict, key: str) -> None:
    with pytest.raises(SignalError) as caught:
        make_signal(record, SLUGS)
    assert caught.value.key == key


def test_signals_have_shards_of_their_own_under_the_notes_lock(tmp_path: Path) -> None:
    gaps = tmp_path / "gaps"
    log = SignalLog(gaps)
    log.append([make_signal({"type": "search", "query": "sso", "results": 0}, SLUGS, now="2026-10-31T23:59:59Z"),
                make_signal({"type": "feedback", "slug": "refunds", "helpful": True}, SLUGS, now="2026-11-01T00:00:00Z")])
    assert sorted(p.name for p in (gaps / "signals").iterdir()) == ["2026-10.jsonl", "2026-11.jsonl"]
    assert (gaps / ".lock").exists()
    assert NoteLog(gaps).read() == []  # the notes' readers never see signals
    (gaps / "signals" / "2026-11.jsonl").open("a").write('{"type": "note"}\nnot json\n')
    problems: list = []
    found = read_signals(gaps, problems)
    assert [s["type"] for s in found] == ["search", "feedback"] and len(problems) == 2
    assert json.loads((gaps / "signals" / "2026-10.jsonl").read_text())["query"] == "sso"
