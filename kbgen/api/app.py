"""The service's routes: thin handlers over `kbgen.agents` and `kbgen.signals`."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Optional
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kbgen import __version__
from kbgen.errors import KbgenError
from kbgen.project import Project
from kbgen.tokens import Token, TokenStore

from . import models
from .guard import Guard

FRESH_SECONDS = 5.0  # how often kb/ is looked at for changed articles (a stat of each file)


class Refused(Exception):
    """A request the service turns down: HTTP STATUS, a message, the field at fault."""

    def __init__(self, status: int, message: str, field: str = "", headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.field, self.headers = status, message, field, headers or {}


class Warm:
    """The project's engine, loaded once and kept; reopened (incrementally) when kb/ changes.

    One lock: the engine and its caches are used by one request at a time. Answers are kept
    (CACHE of them at most, by question and limit) until the engine is reopened: agents ask the
    same questions again, and a kept answer costs no matching."""

    def __init__(self, project: Project, warn: Any = None, cache: int = 0):
        self.project = project
        self.warn = warn or (lambda message: None)
        self.lock = threading.RLock()
        self.engine: Any = None
        self.stamp: Any = None
        self.checked = 0.0
        self.public_slugs: frozenset[str] = frozenset()
        self.cache = cache
        self.answers: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self.rendered: dict[tuple[str, int], bytes] = {}  # the fast path's: answers as sent (no reply)
        self.hits = self.misses = 0
        self.refresh()

    def fresh(self) -> bool:
        """Whether the engine was looked at recently enough to be used without looking at kb/."""
        return self.engine is not None and time.monotonic() - self.checked < FRESH_SECONDS

    def ask(self, question: str, limit: int) -> Any:
        """The engine's answer, kept or matched now; call with the lock held, after refresh()."""
        key = (question, limit)
        answer = self.answers.get(key)
        if answer is not None:
            self.hits += 1
            self.answers.move_to_end(key)
            return answer
        self.misses += 1
        answer = self.engine.ask(question, limit=limit)
        if self.cache:
            self.answers[key] = answer
            if len(self.answers) > self.cache:
                self.answers.popitem(last=False)
        return answer

    def _kb_stamp(self) -> tuple[Any, ...]:
        found = []
        for path in sorted(self.project.kb_dir.rglob("*")):
            try:
                info = path.stat()
            except OSError:
                continue
            found.append((str(path), info.st_mtime_ns, info.st_size))
        return tuple(found)

    def refresh(self) -> Any:
        """The engine, brought up to date if kb/ changed since it was last looked at."""
        with self.lock:
            now = time.monotonic()
            if self.engine is not None and now - self.checked < FRESH_SECONDS:
                return self.engine
            self.checked = now
            stamp = self._kb_stamp()
            if self.engine is None or stamp != self.stamp:
                from kbgen.engine import open_engine
                from kbgen.kb import KnowledgeBase

                if self.engine is not None:
                    self.engine.close()
                self.engine = open_engine(self.project, on_warning=self.warn)
                self.answers.clear()  # the kept answers were the old articles'
                self.rendered.clear()
                self.public_slugs = frozenset(a.slug for a in KnowledgeBase.load(self.project).public_articles())
                self.stamp = stamp
            return self.engine


class Combined:
    """Notes of concurrent requests matched and stored together, under the engine's lock.

    Each request adds its notes to the waiting list, then takes the lock; the first to get it
    matches and stores every waiting note in one batch (the encoder costs about half as much a
    note in a batch), and the others find theirs done. Each request still gets its own notes'
    outcomes, in order, exactly as if it had stored them alone."""

    def __init__(self, lock: Any):
        self.lock = lock
        self.guard = threading.Lock()
        self.waiting: list[dict[str, Any]] = []

    def store(self, logger: Any, notes: list[Any]) -> list[Any]:
        slot: dict[str, Any] = {"notes": notes}
        with self.guard:
            self.waiting.append(slot)
        with self.lock:
            if "results" not in slot and "error" not in slot:
                with self.guard:
                    batch, self.waiting = self.waiting, []
                try:
                    logged = logger.store([note for waiting in batch for note in waiting["notes"]])
                except Exception as exc:  # every request of the batch fails as it would have alone
                    for waiting in batch:
                        waiting["error"] = exc
                else:
                    start = 0
                    for waiting in batch:
                        waiting["results"] = logged[start : start + len(waiting["notes"])]
                        start += len(waiting["notes"])
        if "error" in slot:
            raise slot["error"]
        return slot["results"]


def site_origin(project: Project) -> str:
    """Where the site's browsers call from: the api_site_origin option, else site_url's scheme and host."""
    given = str(project.options.get("api_site_origin") or "") or project.site_url
    parts = urlsplit(given)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


_bearer = HTTPBearer(auto_error=False, description="A token from `kbgen api token create --agent NAME`.")


def create_app(project: Project, warn: Any = None, fast: bool = True, cache: int | None = None) -> FastAPI:
    """The ASGI app for PROJECT, its engine loaded (warm) before the first request.

    FAST: POST /v1/ask and /v1/notes taken by `fast.FastPath` (the same answers, without
    FastAPI's per-request machinery); CACHE: answers kept (the api_answer_cache option, default
    1,024; 0: none)."""
    from kbgen.store import open_store

    if cache is None:
        cache = int(project.options.get("api_answer_cache", 1024) or 0)
    warm = Warm(project, warn, cache)
    store = open_store(project)  # one store (one database connection) for every request
    combined = Combined(warm.lock)
    tokens = TokenStore(project.root)
    max_batch = int(project.options.get("api_max_batch") or 500)
    public_domains = list(project.options.get("public_email_domains") or [])

    app = FastAPI(
        title="kbgen team service",
        version=__version__,
        description="Agents' `ask` and `log` over HTTP (bearer tokens), and the public site's signals.",
    )

    def agent(credentials: Optional[HTTPAuthorizationCredentials] = Depends(_bearer)) -> Token:
        token = tokens.verify(credentials.credentials) if credentials else None
        if token is None:
            raise Refused(401, "a valid bearer token is needed (kbgen api token create --agent NAME)",
                          headers={"WWW-Authenticate": "Bearer"})
        return token

    def batch_size(count: int, what: str) -> None:
        if count > max_batch:
            raise Refused(413, f"{count:,} {what} in one request; the limit is {max_batch:,}", what)

    def writer(options: models.ReplyOptions, token: Token, customer_name: str = "") -> Any:
        from kbgen.agents import replier

        if not options.reply:
            return None
        return replier(project, options.channel, customer_name, token.agent if options.agent_name is None else options.agent_name)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        return _problem(exc.status, exc.message, exc.field, exc.headers)

    @app.exception_handler(KbgenError)
    async def kbgen_error(request: Request, exc: KbgenError) -> JSONResponse:
        return _problem(422, exc.message, exc.key)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        return _problem(500, "the service failed on this request; its log has the details")

    @app.get("/healthz", response_model=models.Health, tags=["service"])
    def healthz() -> Any:
        """The service is up and its engine loaded."""
        return {"status": "ok", "engine": warm.engine.name}

    @app.post("/v1/ask", response_model=models.AskResponse, response_model_exclude_none=True, tags=["agents"],
              responses={401: {"model": models.Problem}, 422: {"model": models.Problem}})
    def ask(request: models.AskRequest, token: Token = Depends(agent)) -> Any:
        """Is this question already answered? Exactly `kbgen ask --json` (with `reply`: `--reply`)."""
        return JSONResponse(answering(request, token))

    @app.post("/v1/ask/batch", response_model=models.AskBatchResponse, tags=["agents"],
              responses={401: {"model": models.Problem}, 413: {"model": models.Problem}, 422: {"model": models.Problem}})
    def ask_batch(request: models.AskBatchRequest, token: Token = Depends(agent)) -> Any:
        """Many questions at once, answered in order (as `kbgen ask -`, with `index` for `line`)."""
        from kbgen.agents import ask_many_json, decodable

        batch_size(len(request.questions), "questions")
        items = []
        for number, item in enumerate(request.questions):
            text = decodable(item.question)
            if not text.strip():
                raise Refused(422, "the question is empty", f"questions[{number}].question")
            items.append((item.id, text, decodable(item.customer_name) if item.customer_name is not None else None))
        reply = writer(request, token)
        with warm.lock:
            rows = ask_many_json(warm.refresh(), items, request.limit, reply)
        return JSONResponse({"results": [{"index": n, **row} for n, row in enumerate(rows)]})

    def logger(token: Token) -> Any:
        from kbgen.agents import Logger

        return Logger(project, lambda _: warm.refresh(), warm.warn, agent=token.agent, store=store)

    @app.post("/v1/notes", response_model=models.NoteResponse, response_model_exclude_none=True, tags=["agents"],
              responses={401: {"model": models.Problem}, 422: {"model": models.Problem}})
    def notes(request: models.NoteRequest, token: Token = Depends(agent)) -> Any:
        """Log a gap note: exactly `kbgen log --json`. `id` is an idempotency key (a repeat stores
        nothing and returns the note the log holds, with "stored": false); the agent is the token's."""
        log = logger(token)
        note = log.build(request.model_dump(exclude_unset=True))
        (logged,) = combined.store(log, [note])
        return JSONResponse(log.note_json(logged), status_code=201 if logged.stored else 200)

    def answering(request: models.AskRequest, token: Token, engine_held: bool = False) -> dict[str, Any]:
        """The body of an answer (both paths): the engine's lock taken here unless ENGINE_HELD."""
        from kbgen.agents import answer_json, decodable

        question = decodable(request.question)
        if not question.strip():
            raise Refused(422, "the question is empty", "question")
        reply = writer(request, token, request.customer_name)
        if engine_held:
            return answer_json(warm.ask(question, request.limit), reply)
        with warm.lock:
            warm.refresh()
            return answer_json(warm.ask(question, request.limit), reply)

    @app.post("/v1/notes/batch", response_model=models.NoteBatchResponse, tags=["agents"],
              responses={401: {"model": models.Problem}, 413: {"model": models.Problem}})
    def notes_batch(request: models.NoteBatchRequest, token: Token = Depends(agent)) -> Any:
        """Many notes at once (as `kbgen log -`, with `index` for `line`): the good ones are stored,
        each bad one gets its error and the field at fault."""
        from kbgen.notes import NoteError

        batch_size(len(request.notes), "notes")
        log = logger(token)
        results: dict[int, dict[str, Any]] = {}
        good: list[tuple[int, Any]] = []
        for number, item in enumerate(request.notes):
            try:
                good.append((number, log.build(item.model_dump(exclude_unset=True))))
            except NoteError as exc:
                results[number] = {"index": number, "error": exc.message, "field": exc.key or None}
        stored = combined.store(log, [note for _, note in good])
        for (number, _), logged in zip(good, stored):
            results[number] = {"index": number, **logged.summary()}
        return JSONResponse({"results": [results[n] for n in sorted(results)]})

    @app.post("/v1/signals", response_model=models.SignalResponse, status_code=201, tags=["site"],
              responses={403: {"model": models.Problem}, 413: {"model": models.Problem},
                         422: {"model": models.Problem}, 429: {"model": models.Problem}})
    def signals(signal: models.Signal) -> Any:
        """From the public site, no token: a search that settled (query, how many results; 0 is a
        failed search) or a "Was this helpful?" vote on an article. Redacted, then appended;
        nothing else. CORS admits the site's origin only; rate and size limited."""
        from kbgen.signals import make_signal

        record = signal.root.model_dump(exclude_unset=True)
        if record["type"] == "feedback" and record["slug"] not in warm.public_slugs:
            warm.refresh()  # perhaps an article published since (looked at every few seconds at most)
        line = make_signal(record, warm.public_slugs, public_domains)
        store.append_signals([line])
        return JSONResponse({"stored": True}, status_code=201)

    if fast:  # inside the guard: body limits, content type and CORS are the guard's as for every route
        from .fast import FastPath

        app.add_middleware(FastPath, tokens=tokens, warm=warm, answering=answering, logger=logger,
                           storing=combined.store, problem=_problem, invalid=validation_problem)
    app.state.warm = warm  # for the tests and benchmarks that look at the engine's lock and kept answers
    app.add_middleware(Guard, origin=site_origin(project), per_minute=int(project.options.get("api_signals_per_minute") or 0))
    return app


def validation_problem(errors: Any) -> JSONResponse:
    """A request the models refused, as the one error body of every route: the first error."""
    first = errors[0] if errors else {}
    field = _field(first.get("loc", ()))
    if first.get("type") == "json_invalid":
        return _problem(400, "the body is not valid JSON")
    if first.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        return _problem(422, "'type' must be search or feedback", "type")
    if first.get("type") == "extra_forbidden":
        return _problem(422, f"unknown field '{field}'", field)
    return _problem(422, f"{field}: {first.get('msg', 'invalid')}" if field else first.get("msg", "invalid"), field)


def _field(loc: Any) -> str:
    """A pydantic error location as a field name: notes[2].channel (no "body", no union tags)."""
    parts: list[str] = []
    for part in loc:
        if part == "body" and not parts:
            continue
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part in ("search", "feedback") and not parts:  # the signal union's tag
            continue
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _problem(status: int, message: str, field: str = "", headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, **({"field": field} if field else {})}, status_code=status, headers=headers)

