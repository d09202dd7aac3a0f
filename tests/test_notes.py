"""The gap-note log: validation, redaction, idempotent ids, events, torn lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kbgen.notes import NoteError, NoteLog, ReadProblem, make_note, new_id


def test_make_note_validates_and_redacts() -> None:
    note = make_note(
        {"question": "My card 4111 1111 1111 1111 was charged twice, mail me at ann@example.com",
         "answer": "Refunded. Call +44 20 7946 0958 if not.", "agent": "ana", "channel": "chat",
         "ticket": "T-1", "tags": ["Billing", "billing", "refund"], "category": "billing"},
        now="2026-11-20T10:00:00Z",
    )
    assert note.question == "My card [card] was charged twice, mail me at [email]"
    assert note.answer == "Refunded. Call [phone] if not."
    assert note.redacted == ["card", "email", "phone"]
    assert note.tags == ["billing", "refund"]
    assert note.time == "2026-11-20T10:00:00Z" and len(note.id) == 26


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({}, "question"),
        ({"question": "   "}, "question"),
        ({"question": "q", "channel": "pigeon"}, "channel"),
        ({"question": "q", "tags": {"a": 1}}, "tags"),
        ({"question": "q", "id": "has space"}, "id"),
        ({"question": "q", "time": "yesterday"}, "time"),
        ({"question": "q" * 2001}, "question"),
        ({"question": ["not", "text"]}, "question"),
        ({"question": "q", "colour": "red"}, "colour"),
    ],
)
def test_bad_notes_name_the_field(record: dict, field: str) -> None:
    with pytest.raises(NoteError) as caught:
        make_note(record)
    assert caught.value.key == field


def test_ids_are_unique_and_time_sortable() -> None:
    ids = [new_id(1_700_000_000 + i) for i in range(1000)]
    assert len(set(ids)) == 1000 and ids == sorted(ids)


def test_append_stores_each_id_once_and_shards_by_month(tmp_path: Path) -> None:
    log = NoteLog(tmp_path / "gaps")
    first = make_note({"question": "How do I export?", "id": "T-100", "time": "2026-10-31T23:59:00Z"})
    second = make_note({"question": "Where is the bill?", "time": "2026-11-01T00:00:00Z"})
    results = log.append([first, second])
    assert [r.stored for r in results] == [True, True]
    again = log.append([make_note({"question": "How do I export? (retry)", "id": "T-100"})])
    assert [r.stored for r in again] == [False]
    assert sorted(p.name for p in log.shards()) == ["2026-10.jsonl", "2026-11.jsonl"]
    notes = log.read()
    assert [n.id for n in notes] == ["T-100", second.id]
    assert notes[0].question == "How do I export?"
    for shard in log.shards():
        for line in shard.read_text().splitlines():
            assert json.loads(line)["type"] == "note"


def test_events_fold_in_order_latest_wins(tmp_path: Path) -> None:
    log = NoteLog(tmp_path / "gaps")
    note = make_note({"question": "q"})
    log.append([note])
    log.add_event(note.id, "drafted", draft="kb/a/b.md")
    assert log.read()[0].state == "drafted"
    log.add_event(note.id, "dismissed", reason="spam")
    (read,) = log.read()
    assert read.state == "dismissed"
    assert [e["event"] for e in read.events] == ["drafted", "dismissed"]
    assert read.events[0]["draft"] == "kb/a/b.md"
    with pytest.raises(NoteError):
        log.add_event(note.id, "exploded")


def test_torn_tail_is_skipped_and_never_glued_to_the_next_note(tmp_path: Path) -> None:
    log = NoteLog(tmp_path / "gaps")
    note = make_note({"question": "first", "time": "2026-11-01T00:00:00Z"})
    log.append([note])
    shard = log.shards()[0]
    with shard.open("ab") as handle:
        handle.write(b'{"type":"note","id":"torn","ques')  # a writer killed mid-line
    log.append([make_note({"question": "second", "time": "2026-11-02T00:00:00Z"})])
    problems: list[ReadProblem] = []
    assert [n.question for n in log.read(problems)] == ["first", "second"]
    assert len(problems) == 1 and problems[0].line == 2


def test_stored_lines_with_wrongly_typed_fields_are_skipped_with_a_plain_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kbgen.notes import NoteLog, ReadProblem

    shard = tmp_path / "2026-11.jsonl"
    shard.write_text(
        '{"type":"note","id":"X1","time":20261101,"question":"q"}\n'
        '{"type":"note","id":"X2","time":"2026-11-01T00:00:00Z","question":"q","answer":5}\n'
        '{"type":"note","id":"X3","time":"2026-11-01T00:00:00Z","question":"q","tags":"abc"}\n'
        '[1, 2]\n'
        '{"type":"note","id":"OK","time":"2026-11-01T00:00:00Z","question":"fine"}\n',
        encoding="utf-8",
    )
    problems: list[ReadProblem] = []
    notes = NoteLog(tmp_path).read(problems)
    assert [n.id for n in notes] == ["OK"]
    assert [p.line for p in problems] == [1, 2, 3, 4]
    assert "'time' must be text" in problems[0].message and "'answer' must be text" in problems[1].message
    assert "list indices" not in " ".join(p.message for p in problems)


def test_a_note_dated_in_the_future_is_refused() -> None:
    import pytest

    from kbgen.notes import NoteError, make_note

    with pytest.raises(NoteError, match="in the future"):
        make_note({"question": "q", "time": "2099-01-01T00:00:00Z"})
