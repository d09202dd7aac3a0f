"""Signals from the public site: searches that found nothing or ended on "contact support", and
"Was this helpful?" votes on articles.

They come from anyone on the internet, so every field is bounded and redacted before it is
written, and a signal can only ever be appended. Stored beside the gap notes, in their own JSON
Lines shards (`gaps/signals/YYYY-MM.jsonl`), under the same lock as the notes, one line a
signal; each line is tagged with its type ("search" or "feedback"). On PostgreSQL they are rows
of their own table (`kbgen.store`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .notes import NoteError, ReadProblem, _check_time, _text, utc_now

KINDS = ("search", "feedback")
FIELDS = {"search": ("type", "query", "results", "contact"), "feedback": ("type", "slug", "helpful", "reason")}
LIMITS = {"query": 200, "reason": 500, "slug": 200}
MAX_RESULTS = 10_000
FOLDER = "signals"


class SignalError(NoteError):
    """A signal that cannot be stored, with the field at fault."""


def _bounded(record: dict[str, Any], key: str, required: bool = False) -> str:
    """A text field of a signal: checked as a note's text is (no live markup, valid UTF-8), then
    bounded by LIMITS."""
    value = record.get(key)
    if isinstance(value, str) and len(value) > LIMITS[key]:
        raise SignalError(f"'{key}' is {len(value):,} characters; the limit is {LIMITS[key]:,}", key=key)
    if value is not None and not isinstance(value, str):
        raise SignalError(f"'{key}' must be text", key=key)
    try:
        return _text({"question": value}, "question", required=required)
    except NoteError as exc:
        raise SignalError(exc.message.replace("'question'", f"'{key}'"), key=key) from None


def make_signal(record: dict[str, Any], public_slugs: Iterable[str], public_domains: Iterable[str] = (),
                now: str | None = None) -> dict[str, Any]:
    """The line stored for one signal from untrusted input; SignalError names the field at fault.

    A search: {"type": "search", "query": text, "results": how many the site showed, "contact":
    true when it ended on a click on "contact support" (optional; stored only when true)}.
    Feedback: {"type": "feedback", "slug": a published public article, "helpful": true/false,
    "reason": optional text}.
    """
    from .redact import redact

    if not isinstance(record, dict):
        raise SignalError("a signal must be a JSON object with a 'type'")
    kind = record.get("type")
    if kind not in KINDS:
        raise SignalError(f"'type' must be one of: {', '.join(KINDS)}", key="type")
    fields = FIELDS[kind]
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise SignalError(f"unknown field '{unknown[0]}' (known for {kind}: {', '.join(fields)})", key=unknown[0])
    line: dict[str, Any] = {"type": kind, "time": now or utc_now()}
    kinds: set[str] = set()
    if kind == "search":
        found = redact(_bounded(record, "query", required=True), public_domains=public_domains)
        results = record.get("results")
        if not isinstance(results, int) or isinstance(results, bool) or not 0 <= results <= MAX_RESULTS:
            raise SignalError(f"'results' must be a whole number from 0 to {MAX_RESULTS:,}", key="results")
        contact = record.get("contact", False)
        if not isinstance(contact, bool):
            raise SignalError("'contact' must be true or false", key="contact")
        line.update(query=found.text, results=results)
        if contact:
            line["contact"] = True
        kinds.update(found.kinds)
    else:
        slug = _bounded(record, "slug", required=True)
        if slug not in set(public_slugs):
            raise SignalError(f"'slug' names no published public article: {slug[:60]!r}", key="slug")
        helpful = record.get("helpful")
        if not isinstance(helpful, bool):
            raise SignalError("'helpful' must be true or false", key="helpful")
        line.update(slug=slug, helpful=helpful)
        reason = _bounded(record, "reason")
        if reason:
            found = redact(reason, public_domains=public_domains)
            line["reason"] = found.text
            kinds.update(found.kinds)
    if kinds:
        line["redacted"] = sorted(kinds)
    return line


def stored_signal(record: Any) -> dict[str, Any]:
    """RECORD, a signal read back from a store; ValueError with the reason unless kbgen wrote it."""
    if not isinstance(record, dict) or record.get("type") not in KINDS:
        raise ValueError("not a search or feedback signal")
    _check_time(record.get("time"))
    return record


class SignalLog:
    """The signal shards under gaps/signals/ (the file store's signals, kept for its callers)."""

    def __init__(self, gaps_dir: Path):
        from .store.jsonl import JsonlStore

        self.store = JsonlStore(gaps_dir)
        self.dir = gaps_dir / FOLDER

    def append(self, signals: Iterable[dict[str, Any]]) -> None:
        """Write each signal (a line from `make_signal`) as one whole line."""
        self.store.append_signals(signals)

    def read(self, problems: list[ReadProblem] | None = None) -> list[dict[str, Any]]:
        """Every stored signal, oldest first; lines that are not signals kbgen wrote go to PROBLEMS."""
        return self.store.read_signals(problems)


def read_signals(gaps_dir: Path, problems: list[ReadProblem] | None = None) -> list[dict[str, Any]]:
    """Every signal the site has sent, oldest first (for the report), from the gaps/ shards."""
    return SignalLog(gaps_dir).read(problems)
