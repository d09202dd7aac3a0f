"""The note store at scale: PostgreSQL, chosen by `KBGEN_STORE=postgresql://user@host/db`.

Three tables, each only ever appended to: notes (a unique id, so a repeated id stores nothing:
INSERT ... ON CONFLICT DO NOTHING), events that name a note, and the site's signals. A row holds
the same JSON record a `gaps/` line holds (`Note.record`), so the fields are listed once, in
`kbgen.notes.FIELDS`, and the readers fold events with the same `kbgen.notes.fold`. The schema
is created on first use, under an advisory lock, with its version in `kbgen_schema`.

psycopg is imported here only (about 200 ms), so the gaps/ store's commands never pay for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from ..jsonio import loads
from ..notes import EVENTS, Note, NoteError, ReadProblem, Stored, _check_time, _note_from_record, fold
from . import EventWriter, StoreError

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS kbgen_schema (version integer PRIMARY KEY);
CREATE TABLE IF NOT EXISTS kbgen_notes (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    time text NOT NULL,
    record jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS kbgen_events (
    seq bigserial PRIMARY KEY,
    note text NOT NULL,
    time text NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS kbgen_events_note ON kbgen_events (note);
CREATE TABLE IF NOT EXISTS kbgen_signals (
    seq bigserial PRIMARY KEY,
    time text NOT NULL,
    record jsonb NOT NULL
);
"""
CHUNK = 1_000  # rows a statement


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def describe(url: str) -> str:
    """Where URL points, without its user or password: "PostgreSQL at host:5432/kbgen"."""
    parts = urlsplit(url)
    return f"PostgreSQL at {parts.netloc.rpartition('@')[2] or 'localhost'}{parts.path or '/'}"


class PostgresStore(EventWriter):
    """Notes, events and signals in PostgreSQL; one connection, used by one call at a time."""

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError:
            raise StoreError("KBGEN_STORE names PostgreSQL but psycopg is not installed; "
                             "pip install 'kbgen[postgres]' (or unset KBGEN_STORE to use gaps/)", key="KBGEN_STORE") from None
        self._psycopg = psycopg
        self.url = url
        self.name = describe(url)
        self._lock = threading.Lock()
        self._conn: Any = None

    # --- the connection ---

    def _connect(self) -> Any:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot reach {self.name}: {reason}", key="KBGEN_STORE") from None
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('kbgen schema'))")
                conn.execute(SCHEMA)
                conn.execute("INSERT INTO kbgen_schema (version) VALUES (%s) ON CONFLICT DO NOTHING", (SCHEMA_VERSION,))
                newest = conn.execute("SELECT max(version) FROM kbgen_schema").fetchone()[0]
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"{self.name}: cannot create kbgen's tables ({str(exc).strip()})", key="KBGEN_STORE") from None
        if newest > SCHEMA_VERSION:
            conn.close()
            raise StoreError(f"{self.name} holds kbgen's tables at version {newest}; this kbgen knows {SCHEMA_VERSION}: "
                             "upgrade kbgen", key="KBGEN_STORE")
        self._conn = conn
        return conn

    def _run(self, work: Any) -> Any:
        """WORK(connection) under the store's lock; once more on a new connection if the old one
        broke (a restarted server), then a StoreError."""
        psycopg = self._psycopg
        with self._lock:
            for attempt in (1, 2):
                conn = self._connect()
                try:
                    return work(conn)
                except psycopg.OperationalError as exc:
                    conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise StoreError(f"{self.name}: {str(exc).strip() or type(exc).__name__}", key="KBGEN_STORE") from None
                except psycopg.Error as exc:
                    raise StoreError(f"{self.name}: {str(exc).strip() or type(exc).__name__}", key="KBGEN_STORE") from None
            raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- notes and events ---

    def append(self, notes: Iterable[Note]) -> list[Stored]:
        """Store NOTES once each: a note whose id is already stored is not stored again."""
        pending = list(notes)
        results: list[Stored] = []
        for start in range(0, len(pending), CHUNK):
            group = pending[start : start + CHUNK]

            def insert(conn: Any, group: list[Note] = group) -> set[str]:
                rows = conn.execute(
                    "INSERT INTO kbgen_notes (id, time, record) "
                    "SELECT i, t, r::jsonb FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS u(i, t, r, n) "
                    "ORDER BY n ON CONFLICT (id) DO NOTHING RETURNING id",
                    ([n.id for n in group], [n.time for n in group], [_dumps(n.record()) for n in group]),
                ).fetchall()
                return {row[0] for row in rows}

            inserted = self._run(insert)
            for note in group:
                stored = note.id in inserted
                inserted.discard(note.id)  # a second note with the same id in one batch was not stored
                results.append(Stored(note, stored))
        return results

    def append_event_records(self, records: list[dict[str, Any]]) -> None:
        """Append event records as they are (each with its own time)."""
        for start in range(0, len(records), CHUNK):
            group = records[start : start + CHUNK]
            self._run(lambda conn, group=group: conn.execute(
                "INSERT INTO kbgen_events (note, time, record) "
                "SELECT n, t, r::jsonb FROM unnest(%s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS u(n, t, r, o) ORDER BY o",
                ([r["note"] for r in group], [r["time"] for r in group], [_dumps(r) for r in group]),
            ))

    def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[int, Any]]:
        """(seq, record) rows, the record parsed by kbgen's JSON reader (fetched as text: faster
        than psycopg's own jsonb loader over a whole log)."""
        return [(seq, loads(text)) for seq, text in self._run(lambda conn: conn.execute(query, params).fetchall())]

    def read(self, problems: list[ReadProblem] | None = None) -> list[Note]:
        """Every note, oldest first, with its events folded in; bad rows go to PROBLEMS."""
        notes: dict[str, Note] = {}
        for seq, record in self._rows("SELECT seq, record::text FROM kbgen_notes ORDER BY seq"):
            try:
                note = _note_from_record(record)
                notes.setdefault(note.id, note)
            except (ValueError, TypeError, AttributeError) as exc:
                if problems is not None:
                    problems.append(ReadProblem(f"{self.name} (kbgen_notes)", seq, f"skipped a row that is not a valid note: {exc}"))
        fold(notes.values(), self.events())
        return sorted(notes.values(), key=lambda n: (n.time, n.id))

    def events(self) -> list[dict[str, Any]]:
        found = []
        for _, record in self._rows("SELECT seq, record::text FROM kbgen_events ORDER BY seq"):
            try:
                _check_time(record.get("time"))
            except (ValueError, AttributeError):
                continue
            if isinstance(record.get("note"), str) and record.get("event") in EVENTS:
                found.append(record)
        return sorted(found, key=lambda e: str(e["time"]))

    def find(self, note_id: str) -> Note | None:
        rows = self._rows("SELECT seq, record::text FROM kbgen_notes WHERE id = %s", (note_id,))
        if not rows:
            return None
        try:
            note = _note_from_record(rows[0][1])
        except (ValueError, TypeError, AttributeError):
            return None
        events = [r for _, r in self._rows("SELECT seq, record::text FROM kbgen_events WHERE note = %s ORDER BY seq", (note_id,))
                  if r.get("event") in EVENTS]
        return fold([note], events)[0]

    def ensure_writable(self) -> None:
        """Raise NoteError unless events can be appended now (reachable, not read-only, allowed to insert)."""

        def check(conn: Any) -> tuple[str, bool]:
            read_only = conn.execute("SHOW transaction_read_only").fetchone()[0]
            allowed = conn.execute("SELECT has_table_privilege('kbgen_events', 'INSERT')").fetchone()[0]
            return read_only, allowed

        try:
            read_only, allowed = self._run(check)
        except StoreError as exc:
            raise NoteError(f"{exc.message}; nothing was changed") from None
        if read_only == "on" or not allowed:
            raise NoteError(f"{self.name}: the note store cannot be written (read-only, or no INSERT on kbgen_events); "
                            "nothing was changed")

    # --- the site's signals ---

    def append_signals(self, signals: Iterable[dict[str, Any]]) -> None:
        rows = list(signals)
        if rows:
            self._run(lambda conn: conn.execute(
                "INSERT INTO kbgen_signals (time, record) "
                "SELECT t, r::jsonb FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS u(t, r, o) ORDER BY o",
                ([r["time"] for r in rows], [_dumps(r) for r in rows]),
            ))

    def read_signals(self, problems: list[ReadProblem] | None = None) -> list[dict[str, Any]]:
        from ..signals import stored_signal

        found = []
        for seq, record in self._rows("SELECT seq, record::text FROM kbgen_signals ORDER BY seq"):
            try:
                found.append(stored_signal(record))
            except (ValueError, TypeError) as exc:
                if problems is not None:
                    problems.append(ReadProblem(f"{self.name} (kbgen_signals)", seq, f"skipped a row that is not a valid signal: {exc}"))
        return sorted(found, key=lambda r: str(r["time"]))
