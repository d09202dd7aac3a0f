"""Commands agents and their bots run many times a day: `kbgen ask` and `kbgen log`.

Start-up matters here: only typer is imported at module level; the engine and the redaction
patterns load inside the commands.
"""


import os
import shlex
from typing import Annotated, Any, Optional

import typer

from kbgen.jsonio import loads

from . import app
from .output import QUICK_EXIT, JsonOption, fail, print_json, print_json_line, warn


def _engine(project: Any = None):  # type: ignore[no-untyped-def]
    """The project's engine, brought up to date (a first build over a large knowledge base shows progress)."""
    from kbgen.engine import open_engine
    from kbgen.project import Project

    from .output import progress_on_stderr

    with progress_on_stderr(min_total=500) as step:
        return open_engine(project or Project.find(), on_warning=warn, progress=step)


def _one_question() -> None:
    """One question's matrix products are tiny: OpenBLAS's thread pool would cost more to start
    (about 60 ms of numpy's import on two cores) than it could save. Batches keep it."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _hit_lines(hits: list[Any], start: int = 1) -> list[str]:
    from kbgen.escape import terminal

    lines = []
    for number, hit in enumerate(hits, start):
        internal = "  [internal: for agents only, do not send to customers]" if hit.audience == "internal" else ""
        lines.append(f"{number}. {terminal(hit.title)}  (score {hit.score:.2f}){internal}")
        lines.append(f"   {terminal(hit.url or hit.path)}")
        if hit.snippet:
            lines.append(f"   {terminal(hit.snippet)}")
    return lines


@app.command("ask")
def ask_command(
    question: Annotated[str, typer.Argument(help="The customer's question, in their words; '-' reads one a line from stdin.")],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=50, help="How many articles to show.")] = 3,
    reply: Annotated[bool, typer.Option(
        "--reply", help="Also a customer-ready reply (answer, link, offer of help) from the answering article.")] = False,
    channel: Annotated[str, typer.Option(
        "--channel", help="The reply's template: chat or email, or one the team added (replies in mkdocs.yml).")] = "chat",
    customer_name: Annotated[str, typer.Option("--customer-name", help="The customer's name, for the reply's greeting.")] = "",
    agent_name: Annotated[Optional[str], typer.Option(
        "--agent-name", help="Your name, to sign the reply (default: $KBGEN_AGENT).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Is this question already answered? Ranked articles with a snippet and the link to send.

    With --reply, also a message to paste into the chat or e-mail, in the team's template: never
    from an internal article, nor when the question is not answered.

    With '-', reads one question a line (plain text, or JSON with "question" and optional "id"
    and "customer_name") and writes one JSON object a line, in order.

    Example: kbgen ask "how do I get a refund?" --reply --channel email --customer-name Sam
    """
    QUICK_EXIT["on"] = True
    if question != "-":
        _one_question()
        question = _decodable(question)
        if not question.strip():
            raise typer.BadParameter("the question is empty", param_hint="QUESTION")
    writer = _replier(channel, customer_name, agent_name) if reply else None
    engine = _engine(writer.project if writer else None)
    if question == "-":
        _ask_stream(engine, limit, writer)
        return
    answer = engine.ask(question, limit=limit)
    outcome = writer.reply(answer) if writer else None
    if json_output:
        print_json({**answer.to_dict(), **_reply_fields(outcome)} if writer else answer.to_dict())
        return
    if answer.answered:
        best, *others = answer.hits
        typer.echo("Answered by:")
        typer.echo("\n".join(_hit_lines([best])))
        if others:
            typer.echo("\nAlso related:")
            typer.echo("\n".join(_hit_lines(others, 2)))
        if writer:
            _print_reply(outcome, question)
        return
    typer.echo("Not answered by the knowledge base yet.")
    if not answer.topical:
        typer.echo("\nThe question names no topic (only words like \"how do I\" or the product's name); "
                   "ask it in the customer's words about what they need.")
    elif answer.hits:
        typer.echo("\nClosest articles (below the answered threshold):")
        typer.echo("\n".join(_hit_lines(answer.hits)))
    if writer:
        typer.echo(f"\nNo reply: {outcome.reason}.")
    typer.echo("\nLog it, with the answer you gave, so it can become an article:")
    typer.echo(f"  kbgen log {_shell_quote(question)} --answer \"...\"")


class _Replier:
    """The reply template for one run of `ask --reply`, read and compiled once."""

    def __init__(self, project: Any, template: Any, customer_name: str, agent_name: str):
        self.project, self.template = project, template
        self.customer_name, self.agent_name = customer_name, agent_name

    def reply(self, answer: Any, customer_name: str | None = None) -> Any:
        from kbgen.reply import compose

        name = self.customer_name if customer_name is None else customer_name
        return compose(answer, self.project, self.template, name, self.agent_name)


def _replier(channel: str, customer_name: str, agent_name: str | None) -> _Replier:
    """The channel's template, checked before any matching is done: a typo in --channel or a
    broken template is one clear error, not a reply that fails after the search."""
    from kbgen.project import Project
    from kbgen.reply import compile_template, templates

    project = Project.find()
    found = templates(project)
    if channel not in found:
        raise typer.BadParameter(f"no reply template '{channel}' (known: {', '.join(found)})", param_hint="--channel")
    compile_template(found[channel])
    agent = os.environ.get("KBGEN_AGENT", "") if agent_name is None else agent_name
    return _Replier(project, found[channel], _decodable(customer_name), _decodable(agent))


def _reply_fields(outcome: Any) -> dict[str, Any]:
    """The "reply" of `ask --json --reply` (null when there is none) and, then, "no_reply": why."""
    from kbgen.reply import Reply

    if isinstance(outcome, Reply):
        return {"reply": outcome.to_dict()}
    return {"reply": None, "no_reply": outcome.reason}


def _print_reply(outcome: Any, question: str) -> None:
    from kbgen.escape import terminal
    from kbgen.reply import Reply

    if isinstance(outcome, Reply):
        typer.echo(f"\nReply ({outcome.channel}), ready to send:\n")
        typer.echo(terminal(outcome.text))
        return
    typer.echo(f"\nNo reply: {terminal(outcome.reason)}.")
    typer.echo("If customers need a public answer, log it so it can become an article:")
    typer.echo(f"  kbgen log {_shell_quote(question)} --answer \"...\"")


def _shell_quote(text: str) -> str:
    """TEXT as one shell word that is also safe to print: terminal controls shown as U+FFFD."""
    from kbgen.escape import terminal

    return shlex.quote(terminal(text))


def _ask_stream(engine: Any, limit: int, writer: _Replier | None = None) -> None:
    from .lines import batches

    failed = False
    for batch in batches():
        questions: list[tuple[int, Any, str, str | None]] = []
        for number, raw in batch:
            if raw is None:
                typer.echo(f"line {number}: error: the line is longer than 1,000,000 bytes", err=True)
                failed = True
                continue
            parsed = _question_line(number, raw)
            if parsed is None:
                continue
            if isinstance(parsed, str):
                typer.echo(parsed, err=True)
                failed = True
                continue
            questions.append((number, *parsed))
        answers = engine.ask_many([text for _, _, text, _ in questions], limit=limit, snippets=True) if questions else []
        for (number, question_id, _, customer), answer in zip(questions, answers):
            extra = _reply_fields(writer.reply(answer, customer)) if writer else {}
            print_json_line({"id": question_id, "line": number, **answer.to_dict(), **extra})
    if failed:
        raise typer.Exit(1)


def _question_line(number: int, raw: str) -> Any:
    """(id, question, customer's name or None) from one line of `ask -`; None for a blank line; an
    error message otherwise."""
    line = _decodable(raw).strip()
    if not line:
        return None
    if not line.startswith("{"):
        return None, line, None
    try:
        record = loads(line)
        text = record["question"]
        question_id = record.get("id")
        customer = record.get("customer_name")
        if not isinstance(text, str) or not isinstance(question_id, (str, int, type(None))) or isinstance(question_id, bool):
            raise TypeError
    except ValueError as exc:
        return f"line {number}: error: {exc}"
    except (KeyError, TypeError):
        return f"line {number}: error: expected a question, or a JSON object with a text \"question\" (and a text or number \"id\")"
    if not isinstance(customer, (str, type(None))):
        return f"line {number}: error: \"customer_name\" must be text"
    text = _decodable(text)
    if not text.strip():
        return f"line {number}: error: the question is empty"
    return (_decodable(question_id) if isinstance(question_id, str) else question_id), text, \
        (_decodable(customer) if customer is not None else None)


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
    QUICK_EXIT["on"] = True
    if question != "-":
        _one_question()
    from kbgen.notes import NoteError, NoteLog, make_note
    from kbgen.project import Project

    if question == "-" and note_id:
        raise typer.BadParameter("each line of '-' gives its own id; --id names one note", param_hint="--id")
    project = Project.find()
    default_agent = os.environ.get("KBGEN_AGENT") or os.environ.get("USER") or ""
    log = NoteLog(project.gaps_dir)
    categories = _categories(project)
    public_domains = list(project.options.get("public_email_domains") or [])

    def build(record: dict[str, Any]) -> Any:
        """A validated, redacted note from one record; NoteError names the field at fault."""
        if not record.get("agent"):
            record["agent"] = default_agent
        note = make_note(record, public_domains=public_domains)
        if note.category and categories and note.category not in categories:
            raise NoteError(f"category '{note.category}' is not a folder of kb/ (known: {', '.join(sorted(categories))})", key="category")
        return note

    if question == "-":
        # the other options are defaults for every line that does not give its own
        given = {"answer": answer, "agent": agent, "channel": channel if channel != "other" else "",
                 "ticket": ticket, "tags": tag or [], "category": category}
        _log_stream(log, _Matcher(project), build, {key: value for key, value in given.items() if value})
        return
    record = {"question": question, "answer": answer, "agent": agent or default_agent, "channel": channel,
              "ticket": ticket, "tags": tag or [], "category": category, "id": note_id}
    try:
        note = build(record)
    except NoteError as exc:
        where = ("QUESTION" if exc.key == "question" else f"--{exc.key}") if exc.key else ""
        fail(f"{where}: {exc.message}" if where else exc.message)
    (result,) = _Matcher(project).match([note])
    (stored,) = log.append([note])
    if json_output:
        kept = stored.note if stored.stored else (log.find(note.id) or stored.note)  # what the log holds
        print_json({**kept.to_dict(), "stored": stored.stored})
        return
    if stored.stored:
        typer.echo(f"Logged note {note.id}" + (f" (redacted: {', '.join(note.redacted)})" if note.redacted else ""))
    else:
        typer.echo(f"Note {note.id} was already logged; nothing new was stored.")
    best = result.best if result.answered else None
    if best is not None and best.audience == "internal":
        typer.echo("An internal article covers this (for agents only: do not send it to customers):\n"
                   f"  {_terminal(best.title)}\n  {_terminal(best.path)}")
    elif best is not None:
        typer.echo(f"An article already answers this; you can send it now:\n  {_terminal(best.title)}\n  {_terminal(best.url)}")


def _terminal(text: str) -> str:
    from kbgen.escape import terminal

    return terminal(text)


class _Matcher:
    """What the engine says of notes as they are logged; never in the way of storing them.

    A read-only, full or broken cache, or an engine that cannot start, must not refuse a note:
    the note is stored unmatched, with a warning."""

    def __init__(self, project: Any):
        self.project = project
        self.engine: Any = None
        self.failed = False

    def match(self, notes: list[Any]) -> list[Any]:
        from kbgen.engine import Answer

        answers = [Answer(note.question, False, []) for note in notes]
        if not self.failed and notes:
            try:
                if self.engine is None:
                    self.engine = _engine(self.project)
                answers = self.engine.ask_many([note.question for note in notes], limit=3, snippets=False)
                self.engine.remember([note.question for note in notes])
            except Exception as exc:  # the note log is what must never be refused
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
                warn(f"could not match against the knowledge base ({reason}); notes are stored unmatched")
                self.failed = True
        for note, result in zip(notes, answers):
            note.answered = result.answered
            note.matched = [{"slug": h.slug, "score": round(h.score, 4)} for h in result.hits]
        return answers


def _log_stream(log: Any, matcher: _Matcher, build: Any, defaults: dict[str, Any]) -> None:
    from kbgen.notes import NoteError

    from .lines import batches

    failed = False
    for batch in batches():
        notes: list[tuple[int, Any]] = []
        for number, raw in batch:
            if raw is None:
                typer.echo(f"line {number}: error: the line is longer than 1,000,000 bytes", err=True)
                failed = True
                continue
            if not raw.strip():
                continue
            try:
                record = loads(raw)
                if not isinstance(record, dict):
                    raise NoteError("a line must be a JSON object with at least \"question\"")
                for key, value in defaults.items():
                    if record.get(key) in (None, "", []):
                        record[key] = value
                notes.append((number, build(record)))
            except NoteError as exc:
                field = f" ({exc.key})" if exc.key else ""
                typer.echo(f"line {number}{field}: error: {exc.message}", err=True)
                failed = True
            except ValueError as exc:  # not JSON, nested too deeply, NaN or Infinity
                typer.echo(f"line {number}: error: {exc}", err=True)
                failed = True
        if not notes:
            continue
        results = matcher.match([note for _, note in notes])
        stored = log.append([note for _, note in notes])
        for (number, note), result, outcome in zip(notes, results, stored):
            best = result.best if result.answered else None
            print_json_line({
                "line": number, "id": note.id, "stored": outcome.stored, "answered": result.answered,
                "article": {"slug": best.slug, "title": best.title, "url": best.url, "path": best.path,
                            "audience": best.audience} if best else None,
                "redacted": note.redacted,
            })
    if failed:
        raise typer.Exit(1)


def _categories(project: Any) -> set[str]:
    try:
        return {entry.name for entry in os.scandir(project.kb_dir) if entry.is_dir() and not entry.name.startswith(".")}
    except OSError:
        return set()
