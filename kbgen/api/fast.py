"""POST /v1/ask and /v1/notes without FastAPI's per-request machinery: the two routes agents'
tools call in a loop.

FastAPI's routing, dependency solving, request objects and the hop of a synchronous handler
into the thread pool cost an ask about ten times its matching (0.3 ms). This ASGI middleware
answers the two routes itself, with the same models, the same token check in the same order
(a body that is not JSON: 400; then the token: 401; then the fields: 422) and the same error
bodies; FastAPI keeps the routes, so the OpenAPI documents describe them, and serves every
other route. It sits inside the guard, which has already bounded and read the body.

An ask is answered on the event loop when the engine is free and was looked at within the last
few seconds (matching is shorter than a thread hop); otherwise, and when a reply is wanted, in
the thread pool, so reopening the engine after kb/ changed never holds up the loop. Notes are
built on the loop and handed to one storing task that matches and stores every note waiting,
in the thread pool, together (`Combined`), with their answers' bodies (a repeated id is looked
up in the store): one hop a batch, not a thread a request, and nothing that waits on the disk or
the database on the loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from kbgen.errors import KbgenError

from . import models
from .app import Refused
from .guard import ASGIApp, Receive, Scope, Send

ASK, NOTES = "/v1/ask", "/v1/notes"
EMPTY = object()  # a request without a body (JSON null is a body)
JSON_HEADERS = [(b"content-type", b"application/json")]


class Failed(Exception):
    """A request turned down here: the response (a JSONResponse) to send instead."""

    def __init__(self, response: Any):
        self.response = response


class FastPath:
    """Answers POST /v1/ask and /v1/notes; passes everything else to the app."""

    def __init__(self, app: ASGIApp, tokens: Any, warm: Any, answering: Callable[..., dict[str, Any]],
                 logger: Callable[[Any], Any], storing: Callable[[Any, list[Any]], list[Any]],
                 problem: Callable[..., Any], invalid: Callable[[Any], Any]):
        self.app = app
        self.tokens = tokens
        self.warm = warm
        self.answering = answering
        self.logger = logger
        self.storing = storing
        self.notes = Batcher(self._store)
        self.problem = problem
        self.invalid = invalid

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in (ASK, NOTES):
            await self.app(scope, receive, send)
            return
        try:
            if scope["path"] == ASK:
                status, body = 200, await self.ask(scope, receive)
            else:
                status, body = await self.note(scope, receive)
            await _send_json(send, status, body)
        except Failed as refused:
            await refused.response(scope, receive, send)
        except Refused as exc:  # as the app's own handlers word them; anything else: its 500
            await self.problem(exc.status, exc.message, exc.field, exc.headers)(scope, receive, send)
        except KbgenError as exc:
            await self.problem(422, exc.message, exc.key)(scope, receive, send)

    async def _request(self, scope: Scope, receive: Receive, model: Any) -> tuple[Any, Any]:
        """The request's validated body and its token, refused as FastAPI's route would refuse them."""
        data = await _json_body(receive, self.problem, self.invalid)
        token = self._token(scope)
        if data is EMPTY:  # FastAPI: an empty body is a missing one
            raise Failed(self.invalid([{"type": "missing", "loc": ("body",), "msg": "Field required"}]))
        try:
            request = model.model_validate(data, from_attributes=True)
        except ValidationError as exc:
            raise Failed(self.invalid([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)])) from None
        return request, token

    def _token(self, scope: Scope) -> Any:
        """The bearer token's record (as HTTPBearer reads the header), or a 401."""
        header = next((v for k, v in scope["headers"] if k.lower() == b"authorization"), b"").decode("latin-1")
        scheme, _, credentials = header.partition(" ")
        credentials = credentials.strip()
        token = self.tokens.verify(credentials) if scheme.lower() == "bearer" and credentials else None
        if token is None:
            raise Failed(self.problem(401, "a valid bearer token is needed (kbgen api token create --agent NAME)",
                                      headers={"WWW-Authenticate": "Bearer"}))
        return token

    async def ask(self, scope: Scope, receive: Receive) -> bytes:
        request, token = await self._request(scope, receive, models.AskRequest)
        warm = self.warm
        key = (request.question, request.limit)
        if not request.reply and warm.fresh():
            kept = warm.rendered.get(key)  # the answer as sent last time, while the engine is the same
            if kept is not None:
                warm.hits += 1
                return kept  # type: ignore[no-any-return]
            if warm.lock.acquire(blocking=False):
                try:  # the engine is free and current: match here, shorter than a thread hop
                    engine = warm.engine
                    data = _render(self.answering(request, token, engine_held=True))
                    if warm.cache and warm.engine is engine:
                        warm.rendered[key] = data
                        if len(warm.rendered) > warm.cache:
                            del warm.rendered[next(iter(warm.rendered))]  # the oldest kept
                    return data
                finally:
                    warm.lock.release()
        return _render(await run_in_threadpool(self.answering, request, token))

    async def note(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
        request, token = await self._request(scope, receive, models.NoteRequest)
        log = self.logger(token)
        note = log.build(request.model_dump(exclude_unset=True))
        return await self.notes.store(log, note)  # type: ignore[no-any-return]

    def _store(self, batch: list[tuple[Any, Any]]) -> list[tuple[int, dict[str, Any]]]:
        """Store the (logger, note) pairs of BATCH together: each one's status and `kbgen log --json`
        (in the thread pool: a repeated id's note is looked up in the store)."""
        logged = self.storing(batch[0][0], [note for _, note in batch])
        return [(201 if one.stored else 200, log.note_json(one)) for (log, _), one in zip(batch, logged)]


class Batcher:
    """Notes of concurrent requests stored together by one task in the thread pool.

    A request adds its (logger, note) and waits; the task takes every note waiting, stores them
    in one call of STORING (under the engine's lock, matched in one batch), then the next lot.
    Each request gets its own note's outcome, or the error the batch met, as if it had stored it
    alone."""

    def __init__(self, storing: Callable[[list[tuple[Any, Any]]], list[Any]]):
        self.storing = storing
        self.waiting: list[tuple[Any, Any, asyncio.Future[Any]]] = []
        self.task: asyncio.Task[None] | None = None

    async def store(self, log: Any, note: Any) -> Any:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.append((log, note, done))
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._drain())
        return await done

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            try:
                logged = await run_in_threadpool(self.storing, [(log, note) for log, note, _ in batch])
            except Exception as exc:  # every request of the batch fails as it would have alone
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for (_, _, done), one in zip(batch, logged):
                    if not done.done():
                        done.set_result(one)


async def _json_body(receive: Receive, problem: Callable[..., Any], invalid: Callable[[Any], Any]) -> Any:
    """The body read as JSON (EMPTY when there is none), refused as FastAPI refuses a body it cannot read."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    if not body:
        return EMPTY
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        raise Failed(invalid([{"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error"}])) from None
    except ValueError:  # not UTF-8 (nor UTF-16 or 32): FastAPI's words
        raise Failed(problem(400, "There was an error parsing the body")) from None


def _render(body: dict[str, Any]) -> bytes:
    """BODY as Starlette's JSONResponse renders it (compact, UTF-8, non-ASCII kept)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


async def _send_json(send: Send, status: int, body: dict[str, Any] | bytes) -> None:
    data = body if isinstance(body, bytes) else _render(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(data)).encode()), *JSON_HEADERS]})
    await send({"type": "http.response.body", "body": data})
