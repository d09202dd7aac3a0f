"""One contract for every note store: the gaps/ shards and PostgreSQL pass the same tests."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kbgen.notes import NoteError, make_note
from kbgen.store import NoteStore, StoreError, export, open_store
from kbgen.store.jsonl import JsonlStore


@pytest.fixture(params=["files", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> NoteStore:
    if request.param == "files":
        return JsonlStore(tmp_path / "gaps")
    from kbgen.store.postgres import PostgresStore

    found = PostgresStore(request.getfixturevalue("postgres_url"))
    request.addfinalizer(found.close)
    return found


def note(question: str, **fields: str):
    return make_note({"question": question, **fields})


def test_a_note_is_stored_once_by_its_id(store: NoteStore) -> None:
    first = note("How do I export?", id="T-1", time="2026-10-31T23:59:00Z", answer="Settings > Data", tags=["export"])
    first.matched, first.answered = [{"slug": "export", "score": 0.9}], True
    results = store.append([first, note("Where is the bill?", time="2026-11-01T00:00:00Z"), note("again", id="T-1")])
    assert [r.stored for r in results] == [True, True, False]
    assert [r.stored for r in store.append([note("retry", id="T-1")])] == [False]
    notes = store.read()
    assert [n.question for n in notes] == ["How do I export?", "Where is the bill?"]
    kept = notes[0]
    assert (kept.id, kept.time, kept.answer, kept.tags, kept.matched, kept.answered, kept.state) == (
        "T-1", "2026-10-31T23:59:00Z", "Settings > Data", ["export"], [{"slug": "export", "score": 0.9}], True, "open")
    assert kept.record() == first.record()


def test_events_fold_into_state_latest_wins(store: NoteStore) -> None:
    store.append([note("a", id="A"), note("b", id="B")])
    store.add_events([("A", "drafted", {"draft": "kb/x/a.md", "gap": "g1"})])
    store.add_event("B", "dismissed")
    assert {n.id: n.state for n in store.read()} == {"A": "drafted", "B": "dismissed"}
    store.add_event("B", "reopened")
    found = store.find("B")
    assert found is not None and found.state == "open" and [e["event"] for e in found.events] == ["dismissed", "reopened"]
    drafted = store.find("A")
    assert drafted is not None and drafted.events[0]["draft"] == "kb/x/a.md" and "note" not in drafted.events[0]
    assert store.find("nobody") is None
    assert [e["note"] for e in store.events()] == ["A", "B", "B"]
    with pytest.raises(NoteError):
        store.add_event("A", "exploded")


def test_signals_are_appended_and_read_oldest_first(store: NoteStore) -> None:
    store.append_signals([{"type": "search", "time": "2026-11-02T00:00:00Z", "query": "refund", "results": 3, "contact": True},
                          {"type": "feedback", "time": "2026-11-01T00:00:00Z", "slug": "refunds", "helpful": False}])
    assert [s["type"] for s in store.read_signals()] == ["feedback", "search"]
    assert store.read_signals()[1]["contact"] is True  # a search that ended on "contact support" keeps it
    assert store.read() == []  # the notes' readers never see signals


def test_writable_and_many_concurrent_writers_lose_and_repeat_nothing(store: NoteStore) -> None:
    store.ensure_writable()
    errors: list[BaseException] = []

    def client(number: int) -> None:
        try:
            for k in range(25):  # every id twice: the second is never stored
                for _ in range(2):
                    store.append([note(f"question {number}-{k}", id=f"C{number}-{k}")])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    ids = [n.id for n in store.read()]
    assert len(ids) == 200 and len(set(ids)) == 200


def test_export_writes_each_note_event_and_signal_once(store: NoteStore, tmp_path: Path) -> None:
    store.append([note("How do I export?", id="T-1", time="2026-10-31T23:59:00Z"), note("Where is the bill?", id="T-2")])
    store.add_event("T-1", "resolved", article="export", by="promote")
    store.append_signals([{"type": "search", "time": "2026-11-02T00:00:00Z", "query": "refund", "results": 0}])
    gaps = tmp_path / "exported" / "gaps"
    first = export(store, gaps)
    assert first.to_dict() == {"notes": 2, "events": 1, "signals": 1}
    copy = JsonlStore(gaps)
    assert [n.to_dict() for n in copy.read()] == [n.to_dict() for n in store.read()]
    assert copy.read_signals() == store.read_signals()
    before = {p: p.read_bytes() for p in gaps.rglob("*.jsonl")}
    assert export(store, gaps).to_dict() == {"notes": 0, "events": 0, "signals": 0}
    assert {p: p.read_bytes() for p in gaps.rglob("*.jsonl")} == before


def test_open_store_follows_kbgen_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from kbgen.project import Project

    project = Project.__new__(Project)
    monkeypatch.setattr(Project, "gaps_dir", property(lambda self: tmp_path / "gaps"))
    monkeypatch.delenv("KBGEN_STORE", raising=False)
    assert isinstance(open_store(project), JsonlStore)
    monkeypatch.setenv("KBGEN_STORE", "mysql://db/x")
    with pytest.raises(StoreError, match="KBGEN_STORE"):
        open_store(project)


def test_an_unreachable_postgresql_is_one_clear_error() -> None:
    pytest.importorskip("psycopg")
    from kbgen.store.postgres import PostgresStore

    store = PostgresStore("postgresql://kbgen:secret@127.0.0.1:9/none?connect_timeout=2")
    with pytest.raises(StoreError) as caught:
        store.read()
    assert "cannot reach PostgreSQL at 127.0.0.1:9/none" in caught.value.message and "secret" not in str(caught.value)
    with pytest.raises(NoteError, match="nothing was changed"):
        store.ensure_writable()


def test_two_handles_on_one_store_see_each_others_ids(store: NoteStore, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The service keeps its store open while command lines append: a repeated id is caught
    whoever stored it first, and a store replaced under it (a checkout) is read again."""
    other = JsonlStore(tmp_path / "gaps") if isinstance(store, JsonlStore) else type(store)(store.url)  # type: ignore[attr-defined]
    assert [r.stored for r in store.append([note("first", id="H-1")])] == [True]
    assert [r.stored for r in other.append([note("again", id="H-1"), note("second", id="H-2")])] == [False, True]
    assert [r.stored for r in store.append([note("again", id="H-2"), note("third", id="H-3")])] == [False, True]
    if isinstance(store, JsonlStore):
        for shard in store.shards():
            shard.write_text("")  # a checkout that has none of them
        assert [r.stored for r in store.append([note("back", id="H-1")])] == [True]
    else:
        other.close()
