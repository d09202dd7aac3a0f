"""The fast path for POST /v1/ask and /v1/notes answers exactly as FastAPI's routes do: the same
bodies, statuses and headers for good and bad requests, the same order of checks; notes of
concurrent requests stored once each; an engine busy elsewhere never blocks the event loop."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kbgen.api import create_app
from kbgen.project import Project
from kbgen.store import open_store
from kbgen.tokens import TokenStore
from tests.conftest import ROOT

Reply = tuple[int, dict[str, str], Any]


def call(app: Any, path: str, body: bytes, headers: dict[str, str], method: str = "POST") -> Reply:
    return asyncio.run(acall(app, path, body, headers, method))


async def acall(app: Any, path: str, body: bytes, headers: dict[str, str], method: str = "POST") -> Reply:
    """One request through the whole ASGI app (guard, fast path, FastAPI), as uvicorn hands it over."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in
                         {"content-length": str(len(body)), **headers}.items()],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    sent = False
    out: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["headers"], json.loads(out["body"]) if out["body"] else None


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, str]]:
    """(the app with its fast path, the app without, a token), each on a copy of its own."""
    made = []
    token = ""
    for name in ("fast", "plain"):
        root = tmp_path_factory.mktemp(name) / "kb"
        shutil.copytree(ROOT / "tests" / "reply_cases" / "kb", root, ignore=shutil.ignore_patterns(".kbgen-cache"))
        store = TokenStore(root)
        if token:  # the same token text in both copies: copy the token file
            (root / ".kbgen").mkdir(exist_ok=True)
            shutil.copy(made[0][1] / ".kbgen" / "tokens.json", root / ".kbgen" / "tokens.json")
        else:
            token = store.create("maya")[1]
        made.append((create_app(Project.find(root), fast=name == "fast"), root))
    yield made[0][0], made[1][0], token


BAD = [
    ("/v1/ask", b'{"question": "refund"', None),  # not JSON, no token: the JSON first
    ("/v1/ask", b'{"question": "refund"', "T"),
    ("/v1/ask", b'\xff\xfe\xfa{"question"', "T"),  # not UTF-8
    ("/v1/ask", b"", "T"),
    ("/v1/ask", b"", None),
    ("/v1/ask", b'{"question": "refund"}', None),
    ("/v1/ask", b'{"question": "refund"}', "kbg_000000000000_wrong"),
    ("/v1/ask", b'{"question": "refund"}', "Basic T"),
    ("/v1/ask", b'{"limit": "3"}', None),  # token before fields
    ("/v1/ask", b'{"question": "refund", "limit": "3"}', "T"),
    ("/v1/ask", b'{"question": "refund", "limit": 0}', "T"),
    ("/v1/ask", b'{"question": "refund", "colour": 1}', "T"),
    ("/v1/ask", b'{"question": ""}', "T"),
    ("/v1/ask", b'{"question": "   "}', "T"),
    ("/v1/ask", b'{"question": "' + b"x" * 2001 + b'"}', "T"),
    ("/v1/ask", b'["refund"]', "T"),
    ("/v1/ask", b'"refund"', "T"),
    ("/v1/ask", b"null", "T"),
    ("/v1/ask", b'{"question": "refund", "reply": "yes"}', "T"),
    ("/v1/notes", b'{"question": ', "T"),
    ("/v1/notes", b"", "T"),
    ("/v1/notes", b'{"answer": "x"}', "T"),
    ("/v1/notes", b'{"question": "q", "agent": "sam"}', "T"),
    ("/v1/notes", b'{"question": "q", "colour": "red"}', "T"),
    ("/v1/notes", b'{"question": "q", "tags": [1]}', "T"),
    ("/v1/notes", b'{"question": "   "}', "T"),
    ("/v1/notes", b'{"question": "q"}', None),
    ("/v1/notes", b"[]", "T"),
]


@pytest.mark.parametrize(("path", "body", "auth"), BAD)
def test_a_bad_request_is_refused_as_fastapi_refuses_it(apps: tuple[Any, Any, str], path: str, body: bytes, auth: str | None) -> None:
    fast, plain, token = apps
    headers = {"content-type": "application/json"}
    if auth is not None:
        headers["authorization"] = "Bearer " + token if auth == "T" else (auth.replace("T", token) if auth.startswith("Basic") else f"Bearer {auth}")
    got, expected = call(fast, path, body, headers), call(plain, path, body, headers)
    assert got[0] >= 400
    assert got == expected


@pytest.mark.parametrize("body", [{"question": "how do I get a refund"}, {"question": "how do I get a refund", "limit": 1},
                                  {"question": "do you sell branded hoodies"},
                                  {"question": "how do I get a refund", "reply": True, "channel": "email", "customer_name": "Sam"}])
def test_an_answer_is_fastapis_answer(apps: tuple[Any, Any, str], body: dict[str, Any]) -> None:
    fast, plain, token = apps
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    first = call(fast, "/v1/ask", json.dumps(body).encode(), headers)
    assert first[0] == 200 and first == call(plain, "/v1/ask", json.dumps(body).encode(), headers)
    assert call(fast, "/v1/ask", json.dumps(body).encode(), headers) == first  # kept, the same


def test_a_note_is_fastapis_note_and_its_id_an_idempotency_key(apps: tuple[Any, Any, str]) -> None:
    fast, plain, token = apps
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    body = json.dumps({"question": "can I pay by bank transfer", "answer": "yes, from the billing page",
                       "id": "FP-1", "tags": "billing", "time": "2026-12-01T10:00:00Z"}).encode()
    got, expected = call(fast, "/v1/notes", body, headers), call(plain, "/v1/notes", body, headers)
    assert got[0] == 201 and got == expected
    again = call(fast, "/v1/notes", body, headers)
    assert again[0] == 200 and again[2] == {**got[2], "stored": False}


def test_concurrent_notes_are_stored_together_each_once(apps: tuple[Any, Any, str]) -> None:
    fast, _, token = apps
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}

    async def many() -> list[Reply]:
        bodies = [json.dumps({"question": f"does the plan {n % 20} include SSO", "id": f"C-{n % 20}"}).encode()
                  for n in range(40)]  # each id twice, at once
        return await asyncio.gather(*(acall(fast, "/v1/notes", body, headers) for body in bodies))

    replies = asyncio.run(many())
    assert sorted(status for status, _, _ in replies) == [200] * 20 + [201] * 20
    for n in range(20):
        pair = [body for _, _, body in replies if body["id"] == f"C-{n}"]
        assert sorted(body["stored"] for body in pair) == [False, True]
        assert pair[0]["question"] == pair[1]["question"] == f"does the plan {n} include SSO"
    ids = [note.id for note in open_store(fast.state.warm.project).read() if note.id.startswith("C-")]
    assert sorted(ids) == sorted(f"C-{n}" for n in range(20))


def test_a_busy_engine_never_holds_up_the_event_loop(apps: tuple[Any, Any, str]) -> None:
    """While another thread holds the engine (as a reload does), a new question waits in the thread
    pool and the loop goes on serving: /healthz answers at once, the ask when the engine is free."""
    fast, _, token = apps
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    warm = fast.state.warm
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with warm.lock:
            held.set()
            release.wait(10)

    async def during() -> tuple[float, float, Reply]:
        holder = threading.Thread(target=hold)
        holder.start()
        held.wait(10)
        started = time.monotonic()
        asked = asyncio.ensure_future(acall(fast, "/v1/ask", b'{"question": "can I pay with a cheque"}', headers))
        health = await acall(fast, "/healthz", b"", {}, method="GET")
        healthy = time.monotonic() - started
        assert health[0] == 200 and not asked.done()
        await asyncio.sleep(0.5)
        release.set()
        answer = await asked
        holder.join()
        return healthy, time.monotonic() - started, answer

    healthy, answered, answer = asyncio.run(during())
    assert healthy < 0.4 and answered >= 0.5 and answer[0] == 200
