"""`kbgen ask` and `kbgen log` when KBGEN_SERVER names a team service: the same options, the same
output (text, --json, '-' streams), the work done by the service (kbgen.client).

Nothing here needs a knowledge base: no Project, no engine, no redaction patterns.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NoReturn

import typer

from kbgen.client import Client, ServiceError, batched_post

from .output import fail, print_json, print_json_line


def _client() -> Client:
    try:
        return Client.from_env()
    except ServiceError as exc:
        fail(exc.message)


def _refused(exc: ServiceError, question_hint: str = "QUESTION") -> NoReturn:
    """A refusal as the local command words it: the option at fault named, a bad channel a usage error."""
    field = exc.field
    if field == "channel" and exc.status == 422 and "template" in exc.message:
        raise typer.BadParameter(exc.message, param_hint="--channel")
    if not field:
        fail(exc.message)
    from .note_options import option_name

    where = question_hint if field == "question" else option_name(field)
    fail(f"{where}: {exc.message}")


def ask_remote(question: str, limit: int, reply: bool, channel: str, customer_name: str, agent_name: str | None,
               json_output: bool) -> None:
    """`kbgen ask` through the service: POST /v1/ask, or /v1/ask/batch for '-'."""
    client = _client()
    options: dict[str, Any] = {}
    if reply:
        options = {"reply": True, "channel": channel, **({"agent_name": agent_name} if agent_name is not None else {})}
    if question == "-":
        _ask_stream(client, limit, options, customer_name)
        return
    body = {"question": question, "limit": limit, **options, **({"customer_name": customer_name} if reply else {})}
    try:
        _, data = client.post("/v1/ask", body)
    except ServiceError as exc:
        _refused(exc)
    if json_output:
        print_json(data)
        return
    from .agent_commands import print_answer

    said = None
    if reply:
        said = data["reply"] if data.get("reply") else {"reason": data.get("no_reply", "")}
    hits = [SimpleNamespace(**hit) for hit in data.get("results", [])]
    # the JSON does not say whether the question named a topic; the engine returns no article at
    # all only for one that names none (the semantic engine always has a nearest article)
    topical = data.get("topical", bool(hits) or bool(data.get("answered")))
    print_answer(question, bool(data.get("answered")), topical, hits, said)


def _ask_stream(client: Client, limit: int, options: dict[str, Any], customer_name: str) -> None:
    from .agent_commands import question_lines
    from .lines import batches

    failed = False
    for batch in batches():
        questions, refused = question_lines(batch)
        items: list[dict[str, Any]] = []
        for _, question_id, text, customer in questions:
            item: dict[str, Any] = {"question": text, "id": question_id}
            if options:
                item["customer_name"] = customer if customer is not None else customer_name
            items.append(item)
        numbers = [number for number, *_ in questions]
        failed = _send(client, "/v1/ask/batch", "questions", numbers, items, {"limit": limit, **options}, ask=True) \
            or refused or failed
    if failed:
        raise typer.Exit(1)


def _send(client: Client, path: str, key: str, numbers: list[int], items: list[dict[str, Any]],
          extra: dict[str, Any], ask: bool) -> bool:
    """Post one batch of a stream and write its lines in order; True when a line was refused."""
    if not items:
        return False
    try:
        rows, refused = batched_post(client, path, key, items, extra)
    except ServiceError as exc:
        fail(exc.message)
    failed = False
    for index, (number, row) in enumerate(zip(numbers, rows)):
        if row is None or "error" in row:
            problem = refused.get(index)
            message = problem.message if problem else (row or {}).get("error", "refused")
            field = problem.field if problem else (row or {}).get("field") or ""
            where = f" ({field})" if field and not ask else ""
            typer.echo(f"line {number}{where}: error: {message}", err=True)
            failed = True
            continue
        row = {key: value for key, value in row.items() if not (key == "field" and value is None) and key != "error"}
        print_json_line({"id": row.pop("id"), "line": number, **row} if ask else {"line": number, **row})
    return failed


def log_remote(question: str, fields: dict[str, Any], json_output: bool) -> None:
    """`kbgen log` through the service: POST /v1/notes (--json), /v1/notes/batch (text, and '-')."""
    client = _client()
    if question == "-":
        from .note_options import line_defaults

        _log_stream(client, line_defaults(fields))
        return
    record = {"question": question, **{key: value for key, value in fields.items() if value is not None}}
    try:
        if json_output:
            _, data = client.post("/v1/notes", record)
            print_json(data)
            return
        _, data = client.post("/v1/notes/batch", {"notes": [record]})
    except ServiceError as exc:
        _refused(exc)
    row = data["results"][0]
    if "error" in row and row["error"]:
        _refused(ServiceError(row["error"], 422, row.get("field") or ""))
    from .agent_commands import _terminal

    redacted = row.get("redacted") or []
    if row.get("stored"):
        typer.echo(f"Logged note {row['id']}" + (f" (redacted: {', '.join(redacted)})" if redacted else ""))
    else:
        typer.echo(f"Note {row['id']} was already logged; nothing new was stored.")
    best = row.get("article")
    if best and best.get("audience") == "internal":
        typer.echo("An internal article covers this (for agents only: do not send it to customers):\n"
                   f"  {_terminal(best['title'])}\n  {_terminal(best['path'])}")
    elif best:
        typer.echo(f"An article already answers this; you can send it now:\n  {_terminal(best['title'])}\n  {_terminal(best['url'])}")


def _log_stream(client: Client, defaults: dict[str, Any]) -> None:
    from kbgen.agents import with_defaults

    from .agent_commands import record_lines
    from .lines import batches

    failed = False
    for batch in batches():
        records, refused = record_lines(batch, lambda record: with_defaults(record, defaults))
        numbers = [number for number, _ in records]
        failed = _send(client, "/v1/notes/batch", "notes", numbers, [record for _, record in records], {}, ask=False) \
            or refused or failed
    if failed:
        raise typer.Exit(1)
