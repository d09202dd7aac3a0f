"""Commands agents and their bots run many times a day: `kbgen ask` and `kbgen log`.

Start-up matters here: only typer is imported at module level; the search engine and the
redaction patterns load inside the commands.
"""


import os
import shlex
import sys
from typing import Annotated, Any, Optional

import typer

from . import app
from .output import JsonOption, fail, print_json, print_json_line
from kbgen.jsonio import loads


def _searcher():  # type: ignore[no-untyped-def]
    from kbgen.project import Project
    from kbgen.search import Searcher

    return Searcher.open(Project.find(), on_warning=lambda message: typer.echo(f"warning: {message}", err=True))


def _hit_lines(hits: list[Any], start: int = 1) -> list[str]:
    lines = []
    for number, hit in enumerate(hits, start):
        internal = "  [internal: do not send this link to customers]" if hit.audience == "internal" else ""
        lines.append(f"{number}. {hit.title}  (score {hit.score:.2f}){internal}")
        lines.append(f"   {hit.url}")
        if hit.snippet:
            lines.append(f"   {hit.snippet}")
    return lines


@app.command("ask")
def ask_command(
    question: Annotated[str, typer.Argument(help="The customer's question, in their words; '-' reads one a line from stdin.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=50, help="How many articles to show.")] = 3,
    json_output: JsonOption = False,
) -> None:
    """Is this question already answered? Ranked articles with a snippet and the link to send.

    With '-', reads one question a line (plain text, or JSON with "question" and optional "id")
    and writes one JSON object a line, in order.

    Example: kbgen ask "how do I get a refund?" --limit 3
    """
    searcher = _searcher()
    if question == "-":
        _ask_stream(searcher, limit)
        return
    question = _decodable(question)
    if not question.strip():
        raise typer.BadParameter("the question is empty", param_hint="QUESTION")
    answer = searcher.ask(question, limit=limit)
    if json_output:
        print_json(answer.to_dict())
        return
    if answer.answered:
        best, *others = answer.hits
        typer.echo("Answered by:")
        typer.echo("\n".join(_hit_lines([best])))
        if others:
            typer.echo("\nAlso related:")
            typer.echo("\n".join(_hit_lines(others, 2)))
        return
    typer.echo("Not answered by the knowledge base yet.")
    if answer.hits:
        typer.echo("\nClosest articles (below the answered threshold):")
        typer.echo("\n".join(_hit_lines(answer.hits)))
    typer.echo("\nLog it, with the answer you gave, so it can become an article:")
    typer.echo(f"  kbgen log {shlex.quote(question)} --answer \"...\"")


def _ask_stream(searcher: Any, limit: int) -> None:
    failed = False
    for number, raw in _stdin_lines():
        line = _decodable(raw).strip()
        if not line:
            continue
        question_id: Any = None
        text = line
        if line.startswith("{"):
            try:
                record = loads(line)
                text = record["question"]
                question_id = record.get("id")
                if not isinstance(text, str) or not isinstance(question_id, (str, int, type(None))) or isinstance(question_id, bool):
                    raise TypeError
                text = _decodable(text)
                question_id = _decodable(question_id) if isinstance(question_id, str) else question_id
            except ValueError as exc:
                typer.echo(f"line {number}: error: {exc}", err=True)
                failed = True
                continue
            except (KeyError, TypeError):
                typer.echo(f"line {number}: error: expected a question, or a JSON object with a text \"question\" (and a text or number \"id\")", err=True)
                failed = True
                continue
        if not text.strip():
            typer.echo(f"line {number}: error: the question is empty", err=True)
            failed = True
            continue
        result = searcher.ask(text, limit=limit).to_dict()
        print_json_line({"id": question_id, "line": number, **result})
    if failed:
        raise typer.Exit(1)


def _stdin_lines() -> Any:
    """(line number, text) for each line of stdin, read as bytes: a byte-order mark is dropped, and
    bytes that are not UTF-8 are kept as lone surrogates (so one bad line never stops a batch)."""
    for number, raw in enumerate(sys.stdin.buffer, 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield number, raw.decode("utf-8", "surrogateescape")


def _decodable(text: str) -> str:
    """TEXT with lone surrogates (bytes that were not UTF-8, or a broken JSON escape such as
    \\ud83d) shown as U+FFFD, so what is printed back is valid UTF-8."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


@app.command("log")
def log_command(
    question: Annotated[str, typer.Argument(help="The customer's question, in their words; '-' reads JSON Lines from stdin.")],
    answer: Annotated[str, typer.Option("--answer", "-a", help="The answer you gave the customer.")] = "",
    agent: Annotated[Optional[str], typer.Option("--agent", help="Who answered (default: $KBGEN_AGENT, else $USER).")] = None,
    channel: Annotated[str, typer.Option("--channel", help="chat, email, phone, in-person or other.")] = "other",
    ticket: Annotated[str, typer.Option("--ticket", help="Ticket reference in your help desk.")] = "",
    tag: Annotated[Optional[list[str]], typer.Option("--tag", help="A tag; repeat for more.")] = None,
    category: Annotated[str, typer.Option("--category", help="Your guess of the category (a kb/ folder).")] = "",
    note_id: Annotated[
        str, typer.Option("--id", help="The note's id, e.g. from your ticket system; logging an id twice stores it once.")
    ] = "",
    json_output: JsonOption = False,
) -> None:
    """Record a question the knowledge base could not answer, and the answer you gave.

    Personal data is redacted before anything is written. Prints the note id and, when an
    article already answers the question, its title and link to send now. With '-', reads
    JSON Lines records with the same fields (question, answer, agent, channel, ticket, tags,
    category, id, time) and writes one result a line.

    Example: kbgen log "can I pay by invoice?" --answer "Yes, on Team plans" --channel chat --ticket T-1234
    """
    from kbgen.notes import NoteError, NoteLog, make_note
    from kbgen.project import Project

    project = Project.find()
    default_agent = os.environ.get("KBGEN_AGENT") or os.environ.get("USER") or ""
    log = NoteLog(project.gaps_dir)
    try:
        searcher = _searcher()
    except Exception as exc:  # a read-only, full or broken cache must never stop a note being stored
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        typer.echo(f"warning: could not match against the knowledge base ({reason}); the note is stored unmatched", err=True)
        searcher = None
    categories = _categories(project)
    public_domains = [str(d) for d in project.options.get("public_email_domains") or []]

    def build(record: dict[str, Any]) -> Any:
        if not record.get("agent"):
            record["agent"] = default_agent
        note = make_note(record, public_domains=public_domains)
        if note.category and categories and note.category not in categories:
            raise NoteError(f"category '{note.category}' is not a folder of kb/ (known: {', '.join(sorted(categories))})", key="category")
        result = searcher.ask(note.question, limit=3) if searcher is not None else None
        if result is None:
            from kbgen.search import Answer

            result = Answer(note.question, False, [])
        note.answered = result.answered
        note.matched = [{"slug": h.slug, "score": round(h.score, 4)} for h in result.hits]
        return note, result

    if question == "-":
        if note_id:
            raise typer.BadParameter("each line of '-' gives its own id; --id names one note", param_hint="--id")
        # the other options are defaults for every line that does not give its own
        given = {"answer": answer, "agent": agent, "channel": channel if channel != "other" else "",
                 "ticket": ticket, "tags": tag or [], "category": category}
        _log_stream(log, build, {key: value for key, value in given.items() if value})
        return
    record = {"question": question, "answer": answer, "agent": agent or default_agent, "channel": channel,
              "ticket": ticket, "tags": tag or [], "category": category, "id": note_id}
    try:
        note, result = build(record)
    except NoteError as exc:
        where = ("QUESTION" if exc.key == "question" else f"--{exc.key}") if exc.key else ""
        fail(f"{where}: {exc.message}" if where else exc.message)
    (stored,) = log.append([note])
    if json_output:
        kept = stored.note if stored.stored else (log.find(note.id) or stored.note)  # what the log holds
        print_json({**kept.to_dict(), "stored": stored.stored})
        return
    if stored.stored:
        typer.echo(f"Logged note {note.id}" + (f" (redacted: {', '.join(note.redacted)})" if note.redacted else ""))
    else:
        typer.echo(f"Note {note.id} was already logged; nothing new was stored.")
    if result.answered:
        best = result.hits[0]
        if best.audience == "internal":
            typer.echo(f"An internal article covers this (for agents: do not send the link to customers):\n  {best.title}\n  {best.url}")
        else:
            typer.echo(f"An article already answers this; you can send it now:\n  {best.title}\n  {best.url}")


def _log_stream(log: Any, build: Any, defaults: dict[str, Any]) -> None:
    from kbgen.notes import NoteError

    failed = False
    batch: list[tuple[int, Any, Any]] = []
    for number, raw in _stdin_lines():
        if not raw.strip():
            continue
        try:
            record = loads(raw)
            if not isinstance(record, dict):
                raise NoteError("a line must be a JSON object with at least \"question\"")
            for key, value in defaults.items():
                if record.get(key) in (None, "", []):
                    record[key] = value
            note, result = build(record)
        except NoteError as exc:
            field = f" ({exc.key})" if exc.key else ""
            typer.echo(f"line {number}{field}: error: {exc.message}", err=True)
            failed = True
            continue
        except ValueError as exc:  # not JSON, nested too deeply, NaN or Infinity
            typer.echo(f"line {number}: error: {exc}", err=True)
            failed = True
            continue
        batch.append((number, note, result))
        if len(batch) >= 500:
            _flush(log, batch)
            batch = []
    _flush(log, batch)
    if failed:
        raise typer.Exit(1)


def _flush(log: Any, batch: list[tuple[int, Any, Any]]) -> None:
    if not batch:
        return
    stored = log.append([note for _, note, _ in batch])
    for (number, note, result), outcome in zip(batch, stored):
        best = result.hits[0] if result.answered else None
        print_json_line({
            "line": number, "id": note.id, "stored": outcome.stored, "answered": result.answered,
            "article": {"slug": best.slug, "title": best.title, "url": best.url, "audience": best.audience} if best else None,
            "redacted": note.redacted,
        })


def _categories(project: Any) -> set[str]:
    try:
        return {entry.name for entry in os.scandir(project.kb_dir) if entry.is_dir() and not entry.name.startswith(".")}
    except OSError:
        return set()
