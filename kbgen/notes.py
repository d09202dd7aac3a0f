"""The gap-note log: questions the knowledge base could not answer, as agents logged them.

Stored as append-only JSON Lines shards under gaps/ (one file a month, `YYYY-MM.jsonl`).
A note is one line, written by one `write` under an exclusive lock on `gaps/.lock`, so many
agents can log at once and nothing is lost or interleaved. Later changes (drafted, resolved,
dismissed) are appended as event lines that name the note; readers fold them in order and the
latest wins. Nothing is rewritten in place. Text is redacted before it is written.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .errors import KbgenError
from .jsonio import bounded_lines, loads

CHANNELS = ("chat", "email", "phone", "in-person", "other")
EVENTS = ("drafted", "resolved", "dismissed", "reopened")
STATES = ("open", "drafted", "resolved", "dismissed")
LIMITS = {
    "question": 2_000, "answer": 20_000, "agent": 200, "ticket": 200, "tag": 100,
    "category": 100, "id": 200, "channel": 20, "time": 40,
}
LOCK_NAME = ".lock"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNDECODED_RE = re.compile("[\ud800-\udfff]")  # lone surrogates: bytes that were not UTF-8, or a broken \ud83d
_TEXT_ONLY = ("question", "answer", "agent", "channel", "category", "time")
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)  # a note older than this is a typo in its year
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FIELDS = ("question", "answer", "agent", "channel", "ticket", "tags", "category", "id", "time")


class NoteError(KbgenError):
    """A note that cannot be stored, with the field at fault."""


@dataclass
class Note:
    """One logged question with its current state (events folded in)."""

    id: str
    time: str  # ISO 8601, UTC
    question: str
    answer: str = ""
    agent: str = ""
    channel: str = "other"
    ticket: str = ""
    tags: list[str] = field(default_factory=list)
    category: str = ""
    redacted: list[str] = field(default_factory=list)
    matched: list[dict[str, Any]] = field(default_factory=list)
    answered: bool = False
    state: str = "open"
    events: list[dict[str, Any]] = field(default_factory=list)
    id_given: bool = field(default=False, repr=False)  # the caller chose the id: check it is new

    def record(self) -> dict[str, Any]:
        """The line stored for this note (without its folded state)."""
        data: dict[str, Any] = {"type": "note", "id": self.id, "time": self.time, "question": self.question}
        for key in ("answer", "agent", "channel", "ticket", "tags", "category", "redacted", "matched"):
            value = getattr(self, key)
            if value:
                data[key] = value
        data["answered"] = self.answered
        return data

    def to_dict(self) -> dict[str, Any]:
        data = self.record()
        data.pop("type")
        data["state"] = self.state
        if self.events:
            data["events"] = self.events
        return data

    @property
    def when(self) -> datetime:
        return parse_time(self.time)


def new_id(now: float | None = None) -> str:
    """A unique, time-sortable id (ULID layout: 48-bit milliseconds, 80 random bits)."""
    millis = int((now if now is not None else time.time()) * 1000)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")  # not `secrets`: its import costs 9 ms
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _text(record: dict[str, Any], key: str, required: bool = False) -> str:
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise NoteError(f"'{key}' is required", key=key)
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool) or (key in _TEXT_ONLY and not isinstance(value, str)):
        raise NoteError(f"'{key}' must be text", key=key)
    value = str(value)
    if _UNDECODED_RE.search(value):  # bytes that were not UTF-8, kept as lone surrogates by Python
        raise NoteError(f"'{key}' is not valid UTF-8 text", key=key)
    value = _CONTROL_RE.sub(" ", value).strip()
    if "<" in value:
        from .markup import live_markup

        active = live_markup(value)
        if active:
            raise NoteError(
                f"'{key}' holds live HTML or script ({active}); describe it in words "
                "(\"a script tag that shows an alert\") rather than pasting the markup",
                key=key,
            )
    if len(value) > LIMITS[key]:
        raise NoteError(f"'{key}' is {len(value):,} characters; the limit is {LIMITS[key]:,}", key=key)
    if required and not value:
        raise NoteError(f"'{key}' is empty", key=key)
    return value


def make_note(record: dict[str, Any], now: str | None = None, public_domains: Iterable[str] = ()) -> Note:
    """Validate and redact one note from untrusted input (a CLI call or a JSON Lines record).

    PUBLIC_DOMAINS: e-mail domains that are the company's own and are kept (support@...).
    """
    from functools import partial

    from .redact import redact as redact_all

    redact = partial(redact_all, public_domains=public_domains)

    if not isinstance(record, dict):
        raise NoteError("a note must be a JSON object with at least 'question'")
    unknown = sorted(set(record) - set(_FIELDS))
    if unknown:
        raise NoteError(f"unknown field '{unknown[0]}' (known: {', '.join(_FIELDS)})", key=unknown[0])
    question = redact(_text(record, "question", required=True))
    answer = redact(_text(record, "answer"))
    ticket = redact(_text(record, "ticket"))
    agent = redact(_text(record, "agent"))
    channel = (_text(record, "channel") or "other").lower()
    if channel not in CHANNELS:
        raise NoteError(f"channel '{channel}' is not one of: {', '.join(CHANNELS)}", key="channel")
    tags_value = record.get("tags") or []
    if isinstance(tags_value, str):
        tags_value = [tags_value]
    if not isinstance(tags_value, list):
        raise NoteError("'tags' must be a list of words", key="tags")
    tags: list[str] = []
    tag_kinds: set[str] = set()
    for tag in tags_value:
        cleaned = redact(_text({"tag": tag}, "tag"))
        tag_kinds.update(cleaned.kinds)
        tag = cleaned.text.lower()
        if tag and tag not in tags:
            tags.append(tag)
    note_id = _text(record, "id")
    if note_id and not _ID_RE.match(note_id):
        raise NoteError("'id' may use only letters, digits and . _ : / # -", key="id")
    if note_id:
        # an id is stored as given (it is the caller's key), so it may not carry personal data
        found = redact(note_id.replace(".", " . ").replace("_", " ")).kinds
        if found:
            raise NoteError(f"'id' looks like it holds personal data ({', '.join(found)}); use a ticket or message number", key="id")
    moment = _text(record, "time")
    if moment:
        try:
            moment = parse_time(moment).astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
        except (ValueError, OverflowError):
            raise NoteError(f"'time' is '{moment}', not an ISO 8601 time like 2026-11-20T14:03:00Z", key="time") from None
        if parse_time(moment) > datetime.now(timezone.utc) + timedelta(days=1):
            raise NoteError(f"'time' is {moment}, in the future; give the time the question was asked", key="time")
        if parse_time(moment) < EARLIEST:
            raise NoteError(f"'time' is {moment}, before 2000; check the year", key="time")
    return Note(
        id_given=bool(note_id),
        id=note_id or new_id(),
        time=moment or now or utc_now(),
        question=question.text,
        answer=answer.text,
        agent=agent.text,
        channel=channel,
        ticket=ticket.text,
        tags=tags,
        category=_text(record, "category"),
        redacted=sorted(set(question.kinds) | set(answer.kinds) | set(ticket.kinds) | set(agent.kinds) | tag_kinds),
    )


@dataclass
class Stored:
    """What happened to one note given to `NoteLog.append`."""

    note: Note
    stored: bool  # False when a note with the same id was already in the log


@dataclass
class ReadProblem:
    path: str
    line: int
    message: str


class NoteLog:
    """The shards under gaps/: append notes and events, read notes with their state."""

    def __init__(self, gaps_dir: Path):
        self.dir = gaps_dir

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
                    line = json.dumps(note.record(), ensure_ascii=False, separators=(",", ":")) + "\n"
                    lines.setdefault(self.shard_for(note.time), []).append(line.encode("utf-8"))
                    results.append(Stored(note, True))
                for shard, chunk_lines in lines.items():
                    _append_lines(shard, chunk_lines)
        return results

    def add_event(self, note_id: str, event: str, **data: Any) -> dict[str, Any]:
        """Append an event (drafted, resolved, dismissed, reopened) that names a note."""
        if event not in EVENTS:
            raise NoteError(f"unknown event '{event}' (known: {', '.join(EVENTS)})")
        return self.add_events([(note_id, event, data)])[0]

    def add_events(self, events: Iterable[tuple[str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
        now = utc_now()
        records = [{"type": "event", "note": note_id, "event": event, "time": now, **data} for note_id, event, data in events]
        if records:
            with self.locked():
                _append_lines(
                    self.shard_for(now),
                    [(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8") for r in records],
                )
        return records

    def find(self, note_id: str) -> Note | None:
        """The stored note with NOTE_ID, events folded in (a byte search, so only its lines are parsed)."""
        quoted = json.dumps(note_id, ensure_ascii=False)
        needles = (f'"id":{quoted}'.encode(), f'"note":{quoted}'.encode())
        found: Note | None = None
        events: list[dict[str, Any]] = []
        for shard in self.shards():
            for raw in shard.read_bytes().splitlines():
                if not any(needle in raw for needle in needles):
                    continue
                try:
                    record = loads(raw)
                    if record.get("type") == "note" and record.get("id") == note_id and found is None:
                        found = _note_from_record(record)
                    elif record.get("type") == "event" and record.get("note") == note_id and record.get("event") in EVENTS:
                        events.append(record)
                except (ValueError, TypeError, AttributeError):
                    continue
        if found is not None:
            for event in sorted(events, key=lambda e: str(e.get("time", ""))):
                found.events.append({k: v for k, v in event.items() if k not in ("type", "note")})
                found.state = "open" if event["event"] == "reopened" else event["event"]
        return found

    def _existing_ids(self, wanted: set[str]) -> set[str]:
        """Which of WANTED are already stored (a byte search first, so most shards are not parsed)."""
        found: set[str] = set()
        if not wanted:
            return found
        needles = {note_id: f'"id":{json.dumps(note_id, ensure_ascii=False)}'.encode() for note_id in wanted}
        for shard in self.shards():
            data = shard.read_bytes()
            for note_id, needle in needles.items():
                if note_id not in found and needle in data:
                    found.add(note_id)
        return found

    def read(self, problems: list[ReadProblem] | None = None) -> list[Note]:
        """Every note, oldest first, with its events folded in; bad lines go to PROBLEMS."""
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
        events.sort(key=lambda e: str(e.get("time", "")))
        for event in events:
            note = notes.get(event["note"])
            if note is None:
                continue
            note.events.append({k: v for k, v in event.items() if k not in ("type", "note")})
            note.state = "open" if event["event"] == "reopened" else event["event"]
        return sorted(notes.values(), key=lambda n: (n.time, n.id))


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


_OPTIONAL_TEXT = ("answer", "agent", "channel", "ticket", "category")


def _note_from_record(record: dict[str, Any]) -> Note:
    """A stored note line as a Note; ValueError (with a plain reason) when a field has the wrong type.

    Reports read every line of the log, so the checks are plain isinstance tests, no helpers.
    """
    get = record.get
    for key in ("id", "time", "question"):
        value = get(key)
        if not value:
            raise ValueError(f"a note needs '{key}'")
        if not isinstance(value, str):
            raise ValueError(f"'{key}' must be text, not {type(value).__name__}")
    for key in _OPTIONAL_TEXT:
        value = get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"'{key}' must be text, not {type(value).__name__}")
    lists = []
    for key in ("tags", "redacted", "matched"):
        value = get(key) or []
        if not isinstance(value, list):
            raise ValueError(f"'{key}' must be a list")
        lists.append(value)
    moment = record["time"]
    _check_time(moment)
    tags, redacted, matched = lists
    return Note(
        id=record["id"],
        time=moment,
        question=record["question"],
        answer=get("answer") or "",
        agent=get("agent") or "",
        channel=get("channel") or "other",
        ticket=get("ticket") or "",
        tags=[t for t in tags if isinstance(t, str)],
        category=get("category") or "",
        redacted=[k for k in redacted if isinstance(k, str)],
        matched=[m for m in matched if isinstance(m, dict)],
        answered=bool(get("answered", False)),
    )


def _check_time(moment: Any) -> None:
    """ValueError with a plain reason unless MOMENT is an ISO 8601 time text."""
    if not isinstance(moment, str):
        raise ValueError(f"'time' must be text, not {type(moment).__name__}")
    try:
        when = parse_time(moment)
    except (ValueError, OverflowError):
        raise ValueError(f"'time' is '{moment[:40]}', not an ISO 8601 time") from None
    if when < EARLIEST:  # what `kbgen log` refuses is not read either (a year-1 note would span 2,000 years of weeks)
        raise ValueError(f"'time' is {moment[:40]}, before 2000")


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
