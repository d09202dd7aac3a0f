"""What agents and their bots do with the knowledge base: ask a question, log a gap note.

One implementation under both ways in: the command line (`kbgen ask`, `kbgen log`) and the team
service (`kbgen api`), so an answer or a stored note is the same JSON whichever an agent used.
Nothing here prints or knows HTTP; heavy modules (the engine, redaction, templates) load inside
the functions, so the command line's start-up stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import KbgenError

if TYPE_CHECKING:
    from .engine import Answer, Engine
    from .notes import Note, Stored
    from .project import Project
    from .store import NoteStore

Warn = Callable[[str], None]


class UnknownChannel(KbgenError):
    """`--channel` (or "channel" of a request) names no reply template."""


def decodable(text: str) -> str:
    """TEXT with lone surrogates (bytes that were not UTF-8, or a broken JSON escape such as
    \\ud83d) shown as U+FFFD, so what is printed back is valid UTF-8."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


# --- ask -----------------------------------------------------------------------------------------


class Replier:
    """One reply template for a run of `ask --reply` (or a service request), read and compiled once."""

    def __init__(self, project: Project, template: Any, customer_name: str, agent_name: str):
        self.project, self.template = project, template
        self.customer_name, self.agent_name = customer_name, agent_name

    def reply(self, answer: Answer, customer_name: str | None = None) -> Any:
        from .reply import compose

        name = self.customer_name if customer_name is None else customer_name
        return compose(answer, self.project, self.template, name, self.agent_name)


def replier(project: Project, channel: str, customer_name: str, agent_name: str) -> Replier:
    """The channel's template, checked before any matching is done: a typo in the channel or a
    broken template is one clear error (UnknownChannel, KbgenError), not a reply that fails after
    the search."""
    from .reply import compile_template, templates

    found = templates(project)
    if channel not in found:
        raise UnknownChannel(f"no reply template '{channel}' (known: {', '.join(found)})", key="channel")
    compile_template(found[channel])
    return Replier(project, found[channel], decodable(customer_name), decodable(agent_name))


def reply_fields(outcome: Any) -> dict[str, Any]:
    """The "reply" of `ask --json --reply` (null when there is none) and, then, "no_reply": why."""
    from .reply import Reply

    if isinstance(outcome, Reply):
        return {"reply": outcome.to_dict()}
    return {"reply": None, "no_reply": outcome.reason}


def answer_json(answer: Answer, writer: Replier | None = None, customer_name: str | None = None) -> dict[str, Any]:
    """One answer as `kbgen ask --json` prints it (with the reply when WRITER is given)."""
    if writer is None:
        return answer.to_dict()
    return {**answer.to_dict(), **reply_fields(writer.reply(answer, customer_name))}


def ask_json(engine: Engine, question: str, limit: int = 3, writer: Replier | None = None) -> dict[str, Any]:
    """`kbgen ask QUESTION --json` (with `--reply` when WRITER is given)."""
    return answer_json(engine.ask(question, limit=limit), writer)


def ask_many_json(engine: Engine, questions: Sequence[tuple[Any, str, str | None]], limit: int = 3,
                  writer: Replier | None = None) -> list[dict[str, Any]]:
    """What `kbgen ask -` writes for each of QUESTIONS, (id, question, customer's name or None), in
    order and without the line number: {"id": ..., **ask --json}."""
    if not questions:
        return []
    answers = engine.ask_many([text for _, text, _ in questions], limit=limit, snippets=True)
    return [{"id": question_id, **answer_json(answer, writer, customer)}
            for (question_id, _, customer), answer in zip(questions, answers)]


# --- log -----------------------------------------------------------------------------------------


class Matcher:
    """What the engine says of notes as they are logged; never in the way of storing them.

    A read-only, full or broken cache, or an engine that cannot start, must not refuse a note:
    the note is stored unmatched, with a warning."""

    def __init__(self, project: Project, open_engine: Callable[[Project], Engine], warn: Warn | None = None):
        self.project = project
        self.open_engine = open_engine
        self.warn = warn or (lambda message: None)
        self.engine: Any = None
        self.failed = False

    def match(self, notes: list[Note]) -> list[Answer]:
        from .engine import Answer

        answers = [Answer(note.question, False, []) for note in notes]
        if not self.failed and notes:
            try:
                if self.engine is None:
                    self.engine = self.open_engine(self.project)
                answers = self.engine.ask_many([note.question for note in notes], limit=3, snippets=False)
                self.engine.remember([note.question for note in notes])
            except Exception as exc:  # the note log is what must never be refused
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
                self.warn(f"could not match against the knowledge base ({reason}); notes are stored unmatched")
                self.failed = True
        for note, result in zip(notes, answers):
            note.answered = result.answered
            note.matched = [{"slug": h.slug, "score": round(h.score, 4)} for h in result.hits]
        return answers


@dataclass
class Logged:
    """One note given to `Logger.store`: what was stored and what the engine said of it."""

    note: Note
    outcome: Stored
    answer: Answer

    @property
    def stored(self) -> bool:
        return self.outcome.stored

    @property
    def best(self) -> Any:
        """The article that already answers the note, if one does."""
        return self.answer.best if self.answer.answered else None

    def summary(self) -> dict[str, Any]:
        """What `kbgen log -` writes for the note (without the line number)."""
        best = self.best
        return {
            "id": self.note.id, "stored": self.stored, "answered": self.answer.answered,
            "article": {"slug": best.slug, "title": best.title, "url": best.url, "path": best.path,
                        "audience": best.audience} if best else None,
            "redacted": self.note.redacted,
        }


class Logger:
    """Gap notes from untrusted records: validated, redacted, matched, stored once per id.

    DEFAULT_AGENT fills a record without an agent; AGENT, when given, is the only agent a record
    may name (the service's token holder: a client cannot log as someone else). STORE: where notes
    go (default: the project's, by KBGEN_STORE; the service passes the one it keeps open)."""

    def __init__(self, project: Project, open_engine: Callable[[Project], Engine], warn: Warn | None = None,
                 default_agent: str = "", agent: str | None = None, store: NoteStore | None = None):
        from .store import open_store

        self.project = project
        self.log: NoteStore = store if store is not None else open_store(project)
        self.matcher = Matcher(project, open_engine, warn)
        self.default_agent = default_agent
        self.agent = agent
        self.categories = kb_categories(project)
        self.public_domains = list(project.options.get("public_email_domains") or [])

    def build(self, record: dict[str, Any]) -> Note:
        """A validated, redacted note from one record; NoteError names the field at fault."""
        from .notes import NoteError, make_note

        if self.agent is not None:
            given = record.get("agent")
            if given not in (None, "", self.agent):
                raise NoteError(f"'agent' is set by the token ({self.agent}); leave it out", key="agent")
            record["agent"] = self.agent
        elif not record.get("agent"):
            record["agent"] = self.default_agent
        note = make_note(record, public_domains=self.public_domains)
        if note.category and self.categories and note.category not in self.categories:
            raise NoteError(f"category '{note.category}' is not a folder of kb/ (known: {', '.join(sorted(self.categories))})",
                            key="category")
        return note

    def store(self, notes: list[Note]) -> list[Logged]:
        """Match NOTES against the knowledge base, then append them under the log's lock."""
        if not notes:
            return []
        answers = self.matcher.match(notes)
        outcomes = self.log.append(notes)
        return [Logged(note, outcome, answer) for note, outcome, answer in zip(notes, outcomes, answers)]

    def note_json(self, logged: Logged) -> dict[str, Any]:
        """`kbgen log --json`: the note as the log holds it (the earlier one for a repeated id)."""
        kept = logged.note if logged.stored else (self.log.find(logged.note.id) or logged.note)
        return {**kept.to_dict(), "stored": logged.stored}


def with_defaults(record: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """RECORD with DEFAULTS filled in where it gives no value of its own (`log -` and its options)."""
    for key, value in defaults.items():
        if record.get(key) in (None, "", []):
            record[key] = value
    return record


def kb_categories(project: Project) -> set[str]:
    """The folders of kb/: the categories a note may name."""
    try:
        return {entry.name for entry in os.scandir(project.kb_dir) if entry.is_dir() and not entry.name.startswith(".")}
    except OSError:
        return set()


def default_agent() -> str:
    """Who logs when no agent is named: $KBGEN_AGENT, else $USER."""
    return os.environ.get("KBGEN_AGENT") or os.environ.get("USER") or ""


__all__ = [
    "Logged", "Logger", "Matcher", "Replier", "UnknownChannel", "answer_json", "ask_json", "ask_many_json",
    "decodable", "default_agent", "kb_categories", "replier", "reply_fields", "with_defaults",
]
