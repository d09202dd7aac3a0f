"""Gap notes: questions the knowledge base could not answer, as agents logged them.

What a note is (FIELDS, `Note`), how untrusted input becomes one (`make_note`: validated and
redacted before anything is written) and how its state follows from its events (`fold`: the
latest wins). Where notes are kept is `kbgen.store`'s job: the `gaps/` JSON Lines shards by
default, PostgreSQL at scale; both append only.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .errors import KbgenError
from .note_fields import CHANNELS, FIELD, FIELDS, Field  # noqa: F401 (the one table of a note's fields, re-exported)

EVENTS = ("drafted", "resolved", "dismissed", "reopened")
STATES = ("open", "drafted", "resolved", "dismissed")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNDECODED_RE = re.compile("[\ud800-\udfff]")  # lone surrogates: bytes that were not UTF-8, or a broken \ud83d
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)  # a note older than this is a typo in its year
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_GIVEN = tuple(f.name for f in FIELDS if f.given)
LIMITS = {**{f.name: f.limit for f in FIELDS if f.limit}, "tag": 100}  # "tag": each of "tags"
_TEXT_ONLY = tuple(f.name for f in FIELDS if f.kind is str and not f.number_ok)


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
        data: dict[str, Any] = {"type": "note"}
        for spec in FIELDS:
            value = getattr(self, spec.name)
            if value or spec.required:
                data[spec.name] = value
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
    unknown = sorted(set(record) - set(_GIVEN))
    if unknown:
        raise NoteError(f"unknown field '{unknown[0]}' (known: {', '.join(_GIVEN)})", key=unknown[0])
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
    """What happened to one note given to a store's `append`."""

    note: Note
    stored: bool  # False when a note with the same id was already in the log


@dataclass
class ReadProblem:
    path: str
    line: int
    message: str

def _note_from_record(record: dict[str, Any]) -> Note:
    """A stored note line (or row) as a Note; ValueError (with a plain reason) when a field has the
    wrong type.

    Reports read every line of the log, so the checks are plain isinstance tests, no helpers.
    """
    get = record.get
    values: dict[str, Any] = {}
    for spec in FIELDS:
        value = get(spec.name)
        if spec.kind is str:
            if spec.required and not value:
                raise ValueError(f"a note needs '{spec.name}'")
            if value is not None and not isinstance(value, str):
                raise ValueError(f"'{spec.name}' must be text, not {type(value).__name__}")
            values[spec.name] = value or spec.default
        elif spec.kind is list:
            value = value or []
            if not isinstance(value, list):
                raise ValueError(f"'{spec.name}' must be a list")
            item = dict if spec.name == "matched" else str
            values[spec.name] = [v for v in value if isinstance(v, item)]
        else:
            values[spec.name] = bool(value or spec.default)
    _check_time(values["time"])
    return Note(**values)


def fold(notes: Iterable[Note], events: Iterable[dict[str, Any]], until: datetime | None = None) -> list[Note]:
    """NOTES with EVENTS (records naming a note by "note") folded in, oldest event first, the
    latest winning; events after UNTIL are left out. The one place a note's state is worked out:
    the file store, PostgreSQL and the report's "as of" all call it. Changes NOTES in place and
    returns them; an event that names no note in NOTES is ignored."""
    by_id = {note.id: note for note in notes}
    for event in sorted(events, key=lambda e: str(e.get("time", ""))):
        note = by_id.get(event.get("note"))  # type: ignore[arg-type]
        if note is None:
            continue
        if until is not None and event_time(event, note) > until:
            continue
        note.events.append({k: v for k, v in event.items() if k not in ("type", "note")})
        note.state = "open" if event.get("event") == "reopened" else str(event.get("event"))
    return list(by_id.values())


def event_time(event: dict[str, Any], note: Note) -> datetime:
    """When EVENT happened (its note's time when it carries none it can give)."""
    try:
        return parse_time(str(event.get("time") or note.time))
    except ValueError:
        return note.when


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


def __getattr__(name: str) -> Any:
    """`NoteLog` and its helpers moved to kbgen.store.jsonl (the file store); still found here."""
    if name in ("NoteLog", "shard_lines", "LOCK_NAME", "_append_lines"):
        from .store import jsonl

        return getattr(jsonl, "JsonlStore" if name == "NoteLog" else name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
