"""The embedded note store: JSON Lines shards under gaps/, one file a month (`YYYY-MM.jsonl`).

A note is one line, written by one `write` under an exclusive lock on `gaps/.lock`, so many
agents (and `kbgen api`, one more writer under the same lock) can log at once and nothing is
lost or interleaved. Later changes (drafted, resolved, dismissed) are appended as event lines
that name the note; readers fold them in (`kbgen.notes.fold`). Nothing is rewritten in place.
Signals from the public site are appended to `gaps/signals/YYYY-MM.jsonl` under the same lock.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..jsonio import bounded_lines, loads
from ..notes import EVENTS, Note, NoteError, ReadProblem, Stored, _check_time, _note_from_record, fold, utc_now
from . import EventWriter

LOCK_NAME = ".lock"
SIGNALS = "signals"  # the folder of the site's signals, inside gaps/
# a note line's "id" key and its JSON string (a quote inside a text value is always escaped, so
# this matches keys only; events name their note by "note")
_ID_KEY = re.compile(rb'"id":("(?:[^"\\\n]|\\.)*")')


class JsonlStore(EventWriter):
    """The shards under gaps/: append notes and events, read notes with their state."""

    name = "gaps/ (JSON Lines files)"

    def __init__(self, gaps_dir: Path):
        self.dir = gaps_dir
        # the ids stored so far and how far each shard was read for them (its inode, bytes): a
        # store kept open (the service) reads only what was appended since, by anyone
        self._ids: set[str] = set()
        self._read_to: dict[Path, tuple[int, int]] = {}

    def shards(self) -> list[Path]:
        """The shard files, oldest first: regular files only (a folder, FIFO or device named like
        a shard would fail or hang a reader; `read` reports them)."""
        return [p for p in self._named_shards() if p.is_file()]

    def _named_shards(self) -> list[Path]:
        return sorted(self.dir.glob("*.jsonl")) if self.dir.is_dir() else []

    def shard_for(self, moment: str) -> Path:
        return self.dir / f"{moment[:7]}.jsonl"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The log's exclusive lock: one writer at a time across processes."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(fd)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def ensure_writable(self) -> None:
        """Raise NoteError unless events can be appended now.

        Commands that change kb/ and then record events (draft, promote, apply-findability) call
        this first: a gaps/ that cannot be written must stop them before any article changes,
        not after, when the notes could never be marked."""
        shard = self.shard_for(utc_now())
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644))
            if not os.access(self.dir, os.W_OK) or (shard.exists() and not (shard.is_file() and os.access(shard, os.W_OK))):
                raise PermissionError(13, "Permission denied")
        except OSError as exc:
            raise NoteError(
                f"{self.dir}: the note log cannot be written ({exc.strerror or exc}); nothing was changed. "
                "Make gaps/ writable and run the command again"
            ) from None

    def append(self, notes: Iterable[Note], chunk: int = 500) -> list[Stored]:
        """Store NOTES once each: a note whose id is already in the log is not written again."""
        results: list[Stored] = []
        pending = list(notes)
        for start in range(0, len(pending), chunk):
            group = pending[start : start + chunk]
            with self.locked():
                # ids kbgen made are new by construction; only callers' ids need looking up
                known = self._existing_ids({n.id for n in group if n.id_given})
                lines: dict[Path, list[bytes]] = {}
                for note in group:
                    if note.id in known:
                        results.append(Stored(note, False))
                        continue
                    known.add(note.id)
                    lines.setdefault(self.shard_for(note.time), []).append(_line(note.record()))
                    results.append(Stored(note, True))
                for shard, chunk_lines in lines.items():
                    _append_lines(shard, chunk_lines)
        return results

    def find(self, note_id: str) -> Note | None:
        """The stored note with NOTE_ID, events folded in (a byte search, so only its lines are parsed)."""
        quoted = json.dumps(note_id, ensure_ascii=False)
        needles = (f'"id":{quoted}'.encode(), f'"note":{quoted}'.encode())
        found: Note | None = None
        events: list[dict[str, Any]] = []
        for shard in self.shards():
            for raw in _lines_with(shard.read_bytes(), needles):
                try:
                    record = loads(raw)
                    if record.get("type") == "note" and record.get("id") == note_id and found is None:
                        found = _note_from_record(record)
                    elif record.get("type") == "event" and record.get("note") == note_id and record.get("event") in EVENTS:
                        events.append(record)
                except (ValueError, TypeError, AttributeError):
                    continue
        return fold([found], events)[0] if found is not None else None

    def _existing_ids(self, wanted: set[str]) -> set[str]:
        """Which of WANTED are already stored; the caller holds the lock.

        The ids are found by a search of the bytes (no line is parsed), and only in what was
        appended since the last call; a shard that shrank or was replaced (a checkout) is read
        again from the start."""
        if not wanted:
            return set()
        shards = self.shards()
        if set(self._read_to) - set(shards):
            self._ids, self._read_to = set(), {}
        for shard in shards:
            try:
                info = shard.stat()
                inode, done = self._read_to.get(shard, (info.st_ino, 0))
                if inode != info.st_ino or info.st_size < done:
                    self._ids, self._read_to = set(), {}
                    return self._existing_ids(wanted)
                if info.st_size == done:
                    continue
                with shard.open("rb") as handle:
                    handle.seek(done)
                    data = handle.read(info.st_size - done)
            except OSError:
                continue
            end = data.rfind(b"\n") + 1  # whole lines only: a torn tail is read once it is closed off
            self._ids.update(json.loads(key) for key in _ID_KEY.findall(data, 0, end))
            self._read_to[shard] = (inode, done + end)
        return wanted & self._ids

    def read(self, problems: list[ReadProblem] | None = None) -> list[Note]:
        """Every note, oldest first, with its events folded in; bad lines go to PROBLEMS."""
        notes, events = self._load(problems)
        fold(notes.values(), events)
        return sorted(notes.values(), key=lambda n: (n.time, n.id))

    def events(self) -> list[dict[str, Any]]:
        """Every stored event record as written (type, note, event, time, ...), oldest first."""
        return sorted(self._load(None)[1], key=lambda e: str(e["time"]))

    def _load(self, problems: list[ReadProblem] | None) -> tuple[dict[str, Note], list[dict[str, Any]]]:
        notes: dict[str, Note] = {}
        events: list[dict[str, Any]] = []
        for shard, number, raw in shard_lines(self._named_shards(), problems):
            try:
                record = loads(raw)
                kind = record["type"]
                if kind == "note":
                    note = _note_from_record(record)
                    notes.setdefault(note.id, note)
                elif kind == "event":
                    if not isinstance(record.get("note"), str) or record.get("event") not in EVENTS:
                        raise ValueError("an event needs 'note' and a known 'event'")
                    _check_time(record.get("time"))
                    events.append(record)
                else:
                    raise ValueError(f"unknown type {kind!r}")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                reason = str(exc) if isinstance(exc, ValueError) else "it is not a note or an event kbgen wrote"
                if problems is not None:
                    problems.append(ReadProblem(str(shard), number, f"skipped a line that is not a valid note: {reason}"))
        return notes, events

    def append_event_records(self, records: list[dict[str, Any]]) -> None:
        """Append event records that carry their own time (`kbgen export` copying another store's)."""
        lines: dict[Path, list[bytes]] = {}
        for record in records:
            lines.setdefault(self.shard_for(record["time"]), []).append(_line(record))
        if lines:
            with self.locked():
                for shard, chunk in lines.items():
                    _append_lines(shard, chunk)

    # --- the site's signals, in gaps/signals/ ---

    def append_signals(self, signals: Iterable[dict[str, Any]]) -> None:
        """Write each signal (a line from `kbgen.signals.make_signal`) as one whole line."""
        folder = self.dir / SIGNALS
        lines: dict[Path, list[bytes]] = {}
        for signal in signals:
            lines.setdefault(folder / f"{signal['time'][:7]}.jsonl", []).append(_line(signal))
        if not lines:
            return
        with self.locked():
            folder.mkdir(exist_ok=True)
            for shard, chunk in lines.items():
                _append_lines(shard, chunk)

    def read_signals(self, problems: list[ReadProblem] | None = None) -> list[dict[str, Any]]:
        """Every stored signal, oldest first; lines that are not signals kbgen wrote go to PROBLEMS."""
        from ..signals import stored_signal

        folder = self.dir / SIGNALS
        found: list[dict[str, Any]] = []
        shards = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
        for shard, number, raw in shard_lines(shards, problems):
            try:
                found.append(stored_signal(loads(raw)))
            except (ValueError, TypeError) as exc:
                if problems is not None:
                    problems.append(ReadProblem(str(shard), number, f"skipped a line that is not a valid signal: {exc}"))
        return sorted(found, key=lambda r: str(r["time"]))

    def close(self) -> None:
        """Nothing to release: every call opens and closes its files."""


def _line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def shard_lines(shards: Iterable[Path], problems: list[ReadProblem] | None = None) -> Iterator[tuple[Path, int, bytes]]:
    """(shard, line number, line) for each non-blank line of SHARDS, in order; a shard that is not
    a regular file and a line over 1,000,000 bytes are skipped and told to PROBLEMS."""
    for shard in shards:
        if not shard.is_file():
            if problems is not None:
                problems.append(ReadProblem(str(shard), 0, "skipped: it is not a regular file (a folder, pipe or device)"))
            continue
        with shard.open("rb") as handle:
            for number, raw in bounded_lines(handle):
                if raw is None:
                    if problems is not None:
                        problems.append(ReadProblem(str(shard), number, "skipped a line over 1,000,000 bytes"))
                elif raw.strip():
                    yield shard, number, raw


def _append_lines(shard: Path, lines: list[bytes]) -> None:
    """Append whole lines with one write each; the caller holds the log's lock.

    Each line is handed to the operating system by its own write, so a process killed at any
    point leaves whole lines; there is no fsync per note (it cost more than the rest of a
    `kbgen log`), so a power cut may lose the last notes, never corrupt earlier ones.

    If an earlier writer was killed mid-line, the torn tail is closed off with a newline first
    (readers skip it), so this note is never glued to it.
    """
    fd = os.open(shard, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size:
            with open(shard, "rb") as handle:
                handle.seek(size - 1)
                if handle.read(1) != b"\n":
                    os.write(fd, b"\n")
        for line in lines:
            written = os.write(fd, line)
            while written < len(line):  # a short write on a full disk or a signal: finish the line
                written += os.write(fd, line[written:])
    finally:
        os.close(fd)


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                continue
    fcntl.flock(fd, fcntl.LOCK_EX)


def _lines_with(data: bytes, needles: tuple[bytes, ...]) -> list[bytes]:
    """The lines of DATA that hold any of NEEDLES, in order: found by a byte search of the whole
    (a service answering a retried id looks in every shard, and most lines hold no needle)."""
    starts: set[int] = set()
    for needle in needles:
        at = data.find(needle)
        while at != -1:
            start = data.rfind(b"\n", 0, at) + 1
            starts.add(start)
            end = data.find(b"\n", at)
            at = data.find(needle, end) if end != -1 else -1
    lines = []
    for start in sorted(starts):
        end = data.find(b"\n", start)
        # split as bytes.splitlines would (a stray \r ends a line too)
        lines += [part for part in data[start : end if end != -1 else len(data)].splitlines()
                  if any(needle in part for needle in needles)]
    return lines
