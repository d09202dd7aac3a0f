"""Where gap notes, their events and the site's signals are kept: one interface, two stores.

- `gaps/` JSON Lines shards (`kbgen.store.jsonl`), the embedded default: in the repository, so
  editors review notes in pull requests; `kbgen api` is one more writer under the same lock, so
  the command line and the service can share a clone.
- PostgreSQL (`kbgen.store.postgres`) at scale, chosen by `KBGEN_STORE=postgresql://...`: an
  append-only event table, every reader (report, draft, promote) works on it, and `kbgen export`
  writes its notes into `gaps/` for the editors' pull requests.

Callers hold a `NoteStore` from `open_store(project)` and never know which one it is.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import KbgenError

if TYPE_CHECKING:
    from ..notes import Note, ReadProblem, Stored
    from ..project import Project

ENV = "KBGEN_STORE"
SCHEMES = ("postgresql://", "postgres://")


class NoteStore(Protocol):
    """What the readers and writers of notes need from a store."""

    name: str  # where the notes are, for messages ("gaps/ (JSON Lines files)", "PostgreSQL at host/db")

    def append(self, notes: Iterable[Note]) -> list[Stored]:
        """Store NOTES once each: a note whose id is already stored is not stored again."""
        ...

    def add_event(self, note_id: str, event: str, **data: Any) -> dict[str, Any]:
        """Append one event (drafted, resolved, dismissed, reopened) that names a note."""
        ...

    def add_events(self, events: Iterable[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Append events (note id, event, data), all stamped now; the records stored."""
        ...

    def read(self, problems: list[ReadProblem] | None = None) -> list[Note]:
        """Every note, oldest first, its events folded in (`kbgen.notes.fold`)."""
        ...

    def events(self) -> list[dict[str, Any]]:
        """Every event record as stored (type, note, event, time, ...), oldest first."""
        ...

    def find(self, note_id: str) -> Note | None:
        """The note with NOTE_ID, events folded in; None when there is none."""
        ...

    def ensure_writable(self) -> None:
        """Raise NoteError unless events can be appended now (before any article is changed)."""
        ...

    def append_signals(self, signals: Iterable[dict[str, Any]]) -> None:
        """Append the site's signals (lines from `kbgen.signals.make_signal`)."""
        ...

    def read_signals(self, problems: list[ReadProblem] | None = None) -> list[dict[str, Any]]:
        """Every stored signal, oldest first."""
        ...

    def close(self) -> None:
        """Release what the store holds open (a database connection)."""
        ...


class EventWriter:
    """`add_event` and `add_events` for a store, over its `append_event_records`."""

    def append_event_records(self, records: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def add_event(self, note_id: str, event: str, **data: Any) -> dict[str, Any]:
        """Append an event (drafted, resolved, dismissed, reopened) that names a note."""
        return self.add_events([(note_id, event, data)])[0]

    def add_events(self, events: Iterable[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Append events (note id, event, data), all stamped now; NoteError for an unknown event."""
        from ..notes import EVENTS, NoteError, utc_now

        now = utc_now()
        records = []
        for note_id, event, data in events:
            if event not in EVENTS:
                raise NoteError(f"unknown event '{event}' (known: {', '.join(EVENTS)})")
            records.append({"type": "event", "note": note_id, "event": event, "time": now, **data})
        self.append_event_records(records)
        return records


class StoreError(KbgenError):
    """KBGEN_STORE names a store kbgen cannot open."""


def store_url() -> str:
    """KBGEN_STORE, or "" for the gaps/ files."""
    return os.environ.get(ENV, "").strip()


def open_store(project: Project, url: str | None = None) -> NoteStore:
    """The project's store: URL (default $KBGEN_STORE) when it names PostgreSQL, else gaps/."""
    url = store_url() if url is None else url.strip()
    if not url or url in ("files", "jsonl"):
        from .jsonl import JsonlStore

        return JsonlStore(project.gaps_dir)
    if url.startswith(SCHEMES):
        from .postgres import PostgresStore

        return PostgresStore(url)
    raise StoreError(f"{ENV}={url[:60]!r} is not a store kbgen knows; give a postgresql:// URL, or unset it for gaps/",
                     key=ENV)


@dataclass
class Exported:
    """What one `export` wrote: counts of notes, events and signals new to gaps/."""

    notes: int = 0
    events: int = 0
    signals: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"notes": self.notes, "events": self.events, "signals": self.signals}


def export(source: NoteStore, gaps_dir: Path) -> Exported:
    """Write SOURCE's notes, events and signals into the gaps/ shards at GAPS_DIR, each once:
    what the shards already hold (a note by its id, an event or a signal by its whole record) is
    not written again, so a second export writes nothing."""
    from dataclasses import replace

    from .jsonl import JsonlStore

    target = JsonlStore(gaps_dir)
    target.ensure_writable()
    done = Exported()
    notes = [replace(note, events=[], state="open", id_given=True) for note in source.read()]
    done.notes = sum(1 for result in target.append(notes) if result.stored)
    events = _missing(source.events(), target.events())
    target.append_event_records(events)
    done.events = len(events)
    signals = _missing(source.read_signals(), target.read_signals())
    target.append_signals(signals)
    done.signals = len(signals)
    return done


def _missing(records: list[dict[str, Any]], present: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """RECORDS less those PRESENT holds already (as a multiset: two equal records are two)."""
    key = lambda record: json.dumps(record, sort_keys=True, ensure_ascii=False)  # noqa: E731
    have = Counter(key(r) for r in present)
    missing = []
    for record in records:
        k = key(record)
        if have[k]:
            have[k] -= 1
        else:
            missing.append(record)
    return missing


__all__ = ["ENV", "Exported", "NoteStore", "StoreError", "export", "open_store", "store_url"]
