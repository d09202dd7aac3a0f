"""The helpdesk hook documented in guide/agents.md: its JSON body, with the placeholders filled
as a helpdesk fills them, is accepted by the service's models and stored by the real app
(called in-process through ASGI, no server), once per ticket, under the token's agent."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from kbgen.api import models
from tests.conftest import ROOT

GUIDE = ROOT / "guide" / "agents.md"
MARKER = "<!-- helpdesk-body:"

# what a helpdesk puts in place of each placeholder: text with quotes, a line break and an address
TICKET = {
    "ticket.description": 'Hi, can I get my invoices in "EUR" instead of USD?\nThanks, sam@customer.example',
    "ticket.latest_public_comment": "Not yet: invoices are in USD only. We will tell you when EUR arrives.",
    "ticket.id": "48213",
    "ticket.group.name": "Billing",
}


def documented_body() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    assert MARKER in text, "guide/agents.md has lost the helpdesk body"
    block = re.search(r"```json\n(.*?)\n```", text.split(MARKER, 1)[1], re.S)
    assert block is not None
    return block.group(1)


def filled(body: str, values: dict[str, str]) -> dict[str, Any]:
    """BODY with each {{placeholder}} replaced as a JSON request format does: inside its string."""
    placeholders = set(re.findall(r"\{\{\s*([\w.]+)\s*\}\}", body))
    assert placeholders <= set(values), f"undocumented placeholders: {placeholders - set(values)}"
    text = re.sub(r"\{\{\s*([\w.]+)\s*\}\}", lambda m: json.dumps(values[m.group(1)])[1:-1], body)
    return json.loads(text)


def test_the_documented_body_is_json_with_placeholders_only_inside_strings() -> None:
    body = filled(documented_body(), TICKET)
    assert "agent" not in body  # the service takes the agent from the token
    assert body["id"] == "zendesk-48213" and body["ticket"] == "48213"


def test_the_documented_body_passes_the_services_note_model() -> None:
    request = models.NoteRequest.model_validate(filled(documented_body(), TICKET))  # strict: no unknown fields or types
    assert request.question.startswith("Hi, can I get my invoices")


def call(app: Any, path: str, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
    """One POST through the ASGI app, as uvicorn would pass it."""
    raw = json.dumps(body).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"kbgen.test"), (b"content-type", b"application/json"),
                    (b"authorization", f"Bearer {token}".encode()), (b"content-length", str(len(raw)).encode())],
        "client": ("10.0.0.9", 50000), "server": ("kbgen.test", 443),
    }
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(ROOT / "tests" / "reply_cases" / "kb", root, ignore=shutil.ignore_patterns(".kbgen-cache"))
    monkeypatch.setenv("KBGEN_ENGINE", "lexical")  # the hook's path, not the matching, is under test
    return root


def test_the_service_stores_the_hooks_note_once_under_the_tokens_agent(project: Path) -> None:
    from kbgen.api.app import create_app
    from kbgen.notes import NoteLog
    from kbgen.project import Project
    from kbgen.tokens import TokenStore

    _, token = TokenStore(project).create("zendesk")
    app = create_app(Project.load(project))
    body = filled(documented_body(), TICKET)
    status, note = call(app, "/v1/notes", body, token)
    assert status == 201, note
    assert (note["agent"], note["ticket"], note["id"], note["channel"]) == ("zendesk", "48213", "zendesk-48213", "email")
    assert "sam@customer.example" not in note["question"] and "email" in note["redacted"]
    assert set(note["tags"]) == {"zendesk", "billing"}
    # a retried webhook, or the ticket solved again: stored once
    status, again = call(app, "/v1/notes", body, token)
    assert (status, again["stored"]) == (200, False)
    assert [n.id for n in NoteLog(project / "gaps").read()] == ["zendesk-48213"]
    # the solving agent cannot be named: the token decides
    status, refused = call(app, "/v1/notes", {**body, "id": "zendesk-1", "agent": "dana"}, token)
    assert status == 422 and refused["field"] == "agent"
