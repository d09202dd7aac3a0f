"""Commands agents and their bots run many times a day: `kbgen ask` and `kbgen log`.

Start-up matters here: only typer is imported at module level; the engine and the redaction
patterns load inside the commands.
"""


import gc
import os
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Annotated, Any, Optional

import typer

from kbgen.jsonio import loads

from . import app
from .note_options import given_fields, line_defaults, note_options, option_name
from .output import QUICK_EXIT, JsonOption, fail, print_json, print_json_line, warn

TOO_LONG = "the line is longer than 1,000,000 bytes"


def _engine(project: Any = None, ahead: list[str] | None = None):  # type: ignore[no-untyped-def]
    """The project's engine, brought up to date (a first build over a large knowledge base shows
    progress); AHEAD: the one question asked next, encoded while the indexes open."""
    from kbgen.engine import open_engine
    from kbgen.project import Project

    from .output import progress_on_stderr

    with progress_on_stderr(min_total=500) as step:
        return open_engine(project or Project.find(), on_warning=warn, progress=step, ahead=ahead or ())


@contextmanager
def _one_question() -> Iterator[None]:
    """Settings for a command that answers one question and ends. Batches keep the defaults.

    One question's matrix products are tiny: OpenBLAS's thread pool would cost more to start
    (about 60 ms of numpy's import on two cores) than it could save. And the command allocates
    a few hundred thousand objects (modules, the index) and frees almost none: the cyclic garbage
    collector would only walk them, 10 to 20 ms of a `kbgen ask`. It is back on when the command
    returns, with what the command made counted as old (freeze, unfreeze: moved to the oldest
    generation), else the first allocation after would walk all of it at once."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


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

    With KBGEN_SERVER and KBGEN_TOKEN set, the team service (`kbgen api`) answers: no knowledge
    base is needed here.

    Example: kbgen ask "how do I get a refund?" --reply --channel email --customer-name Sam
    """
    QUICK_EXIT["on"] = True
    with _one_question() if question != "-" else nullcontext():
        if question != "-":
            question = _decodable(question)
            if not question.strip():
                raise typer.BadParameter("the question is empty", param_hint="QUESTION")
        if _remote():
            from .remote import ask_remote

            ask_remote(question, limit, reply, channel, customer_name, agent_name, json_output)
            return
        writer = _replier(channel, customer_name, agent_name) if reply else None
        engine = _engine(writer.project if writer else None, [question] if question != "-" else None)
        if question == "-":
            _ask_stream(engine, limit, writer)
            return
        answer = engine.ask(question, limit=limit)
        if json_output:
            from kbgen.agents import answer_json

            print_json(answer_json(answer, writer))
            return
        said = None
        if writer:
            outcome = writer.reply(answer)
            said = outcome.to_dict() if hasattr(outcome, "to_dict") else {"reason": outcome.reason}
        print_answer(question, answer.answered, answer.topical, answer.hits, said)


def _remote() -> bool:
    """Whether KBGEN_SERVER names a team service to ask instead of a local knowledge base."""
    from kbgen.client import configured

    return configured()


def print_answer(question: str, answered: bool, topical: bool, hits: list[Any], said: Any) -> None:
    """`kbgen ask`'s text: HITS (with title, url, path, score, snippet, audience), and with --reply
    SAID, the reply ({"channel", "text"}) or why there is none ({"reason"})."""
    if answered:
        best, *others = hits
        typer.echo("Answered by:")
        typer.echo("\n".join(_hit_lines([best])))
        if others:
            typer.echo("\nAlso related:")
            typer.echo("\n".join(_hit_lines(others, 2)))
        if said is not None:
            _print_reply(said, question)
        return
    typer.echo("Not answered by the knowledge base yet.")
    if not topical:
        typer.echo("\nThe question names no topic (only words like \"how do I\" or the product's name); "
                   "ask it in the customer's words about what they need.")
    elif hits:
        typer.echo("\nClosest articles (below the answered threshold):")
        typer.echo("\n".join(_hit_lines(hits)))
    if said is not None:
        typer.echo(f"\nNo reply: {said['reason']}.")
    typer.echo("\nLog it, with the answer you gave, so it can become an article:")
    typer.echo(f"  kbgen log {_shell_quote(question)} --answer \"...\"")


def _replier(channel: str, customer_name: str, agent_name: str | None) -> Any:
    """The channel's template (kbgen.agents.replier), a typo in --channel a usage error."""
    from kbgen.agents import UnknownChannel, replier
    from kbgen.project import Project

    agent = os.environ.get("KBGEN_AGENT", "") if agent_name is None else agent_name
    try:
        return replier(Project.find(), channel, customer_name, agent)
    except UnknownChannel as exc:
        raise typer.BadParameter(exc.message, param_hint="--channel") from None


def _print_reply(said: dict[str, Any], question: str) -> None:
    from kbgen.escape import terminal

    if "text" in said:
        typer.echo(f"\nReply ({said['channel']}), ready to send:\n")
        typer.echo(terminal(said["text"]))
        return
    typer.echo(f"\nNo reply: {terminal(said['reason'])}.")
    typer.echo("If customers need a public answer, log it so it can become an article:")
    typer.echo(f"  kbgen log {_shell_quote(question)} --answer \"...\"")


def _shell_quote(text: str) -> str:
    """TEXT as one shell word that is also safe to print: terminal controls shown as U+FFFD."""
    from kbgen.escape import terminal

    return shlex.quote(terminal(text))


def _ask_stream(engine: Any, limit: int, writer: Any = None) -> None:
    from kbgen.agents import ask_many_json

    from .lines import batches

    failed = False
    for batch in batches():
        questions, refused = question_lines(batch)
        failed = failed or refused
        rows = ask_many_json(engine, [(question_id, text, customer) for _, question_id, text, customer in questions],
                             limit, writer)
        for (number, *_), row in zip(questions, rows):
            print_json_line({"id": row.pop("id"), "line": number, **row})
    if failed:
        raise typer.Exit(1)


def question_lines(batch: list[tuple[int, str | None]]) -> tuple[list[tuple[int, Any, str, str | None]], bool]:
    """The questions of one batch of `ask -`, (line number, id, question, customer's name or None),
    and whether a line was refused (each refusal said on stderr)."""
    questions: list[tuple[int, Any, str, str | None]] = []
    refused = False
    for number, raw in batch:
        parsed = _question_line(number, raw) if raw is not None else f"line {number}: error: {TOO_LONG}"
        if parsed is None:
            continue
        if isinstance(parsed, str):
            typer.echo(parsed, err=True)
            refused = True
            continue
        questions.append((number, *parsed))
    return questions, refused


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
    from kbgen.agents import decodable

    return decodable(text)


@app.command("log")
@note_options(extra={"agent": "default: $KBGEN_AGENT, else $USER"})
def log_command(
    question: Annotated[str, typer.Argument(help="The customer's question, in their words; '-' reads JSON Lines from stdin.")],
    json_output: JsonOption = False,
    **given: Any,
) -> None:
    """Record a question the knowledge base could not answer, and the answer you gave.

    Personal data is redacted before anything is written. Prints the note id and, when an
    article already answers the question, its title and link to send now. With '-', reads
    JSON Lines records with the same fields (question, answer, agent, channel, ticket, tags,
    category, id, time) and writes one result a line.

    With KBGEN_SERVER and KBGEN_TOKEN set, the note goes to the team service (`kbgen api`), logged
    as the token's agent.

    Example: kbgen log "can I pay by invoice?" --answer "Yes, on Team plans" --channel chat --ticket T-1234
    """
    QUICK_EXIT["on"] = True
    fields = given_fields(given)  # the options of the note's fields (kbgen.note_fields), by field name
    with _one_question() if question != "-" else nullcontext():
        if question == "-" and fields["id"]:
            raise typer.BadParameter("each line of '-' gives its own id; --id names one note", param_hint="--id")
        if _remote():
            from .remote import log_remote

            log_remote(question, fields, json_output)
            return
        from kbgen.agents import Logger, default_agent
        from kbgen.notes import NoteError
        from kbgen.project import Project

        project = Project.find()
        ahead: list[str] = []  # the one note's question, once redacted: encoded while the indexes open
        logger = Logger(project, lambda project: _engine(project, ahead), warn, default_agent=default_agent())

        if question == "-":
            _log_stream(logger, line_defaults(fields))  # the options: defaults for every line that does not give its own
            return
        record = {"question": question, **fields, "agent": fields["agent"] or default_agent()}
        try:
            note = logger.build(record)
        except NoteError as exc:
            where = ("QUESTION" if exc.key == "question" else option_name(exc.key)) if exc.key else ""
            fail(f"{where}: {exc.message}" if where else exc.message)
        ahead.append(note.question)
        (logged,) = logger.store([note])
        if json_output:
            print_json(logger.note_json(logged))
            return
        if logged.stored:
            typer.echo(f"Logged note {note.id}" + (f" (redacted: {', '.join(note.redacted)})" if note.redacted else ""))
        else:
            typer.echo(f"Note {note.id} was already logged; nothing new was stored.")
        best = logged.best
        if best is not None and best.audience == "internal":
            typer.echo("An internal article covers this (for agents only: do not send it to customers):\n"
                       f"  {_terminal(best.title)}\n  {_terminal(best.path)}")
        elif best is not None:
            typer.echo(f"An article already answers this; you can send it now:\n  {_terminal(best.title)}\n  {_terminal(best.url)}")


def record_lines(batch: list[tuple[int, str | None]], build: Callable[[dict[str, Any]], Any]) -> tuple[list[tuple[int, Any]], bool]:
    """BUILD of each JSON object of one batch of `log -`, with its line number, and whether a line was
    refused (each refusal said on stderr, with the field at fault when there is one)."""
    from kbgen.errors import KbgenError

    built: list[tuple[int, Any]] = []
    refused = False
    for number, raw in batch:
        if raw is None:
            typer.echo(f"line {number}: error: {TOO_LONG}", err=True)
            refused = True
            continue
        if not raw.strip():
            continue
        try:
            record = loads(raw)
            if not isinstance(record, dict):
                raise KbgenError("a line must be a JSON object with at least \"question\"")
            built.append((number, build(record)))
        except KbgenError as exc:
            field = f" ({exc.key})" if exc.key else ""
            typer.echo(f"line {number}{field}: error: {exc.message}", err=True)
            refused = True
        except ValueError as exc:  # not JSON, nested too deeply, NaN or Infinity
            typer.echo(f"line {number}: error: {exc}", err=True)
            refused = True
    return built, refused


def _terminal(text: str) -> str:
    from kbgen.escape import terminal

    return terminal(text)


def _log_stream(logger: Any, defaults: dict[str, Any]) -> None:
    from kbgen.agents import with_defaults

    from .lines import batches

    failed = False
    for batch in batches():
        notes, refused = record_lines(batch, lambda record: logger.build(with_defaults(record, defaults)))
        failed = failed or refused
        for (number, _), logged in zip(notes, logger.store([note for _, note in notes])):
            print_json_line({"line": number, **logged.summary()})
    if failed:
        raise typer.Exit(1)
