"""What stands between the internet and the service: body-size limits on every route, and for
the public signal route (the one that needs no token) a per-client rate limit and CORS that
admits the site's origin only.

A plain ASGI middleware, so a refused request costs no parsing and reaches no handler.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SIGNALS = "/v1/signals"
KB = 1024
# a note may hold 22,000 characters (question, answer, ticket...), up to 3 bytes each in UTF-8
LIMITS = {SIGNALS: 8 * KB, "/v1/ask": 64 * KB, "/v1/notes": 256 * KB,
          "/v1/ask/batch": 4 * KB * KB, "/v1/notes/batch": 8 * KB * KB}
DEFAULT_LIMIT = 64 * KB
MAX_CLIENTS = 100_000  # buckets kept at most; full ones are dropped first


@dataclass
class Buckets:
    """A token bucket a client address: RATE requests a minute, in bursts of at most RATE."""

    rate: int
    clock: Callable[[], float] = time.monotonic
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, client: str) -> float:
        """0 when CLIENT may go on (one token taken); else the seconds until it may."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens, then = self.buckets.get(client, (float(self.rate), now))
        tokens = min(float(self.rate), tokens + (now - then) * self.rate / 60)
        if tokens < 1:
            self.buckets[client] = (tokens, now)
            return (1 - tokens) * 60 / self.rate
        if len(self.buckets) >= MAX_CLIENTS and client not in self.buckets:
            self._forget(now)
        self.buckets[client] = (tokens - 1, now)
        return 0.0

    def _forget(self, now: float) -> None:
        """Drop the buckets that have refilled (their clients are as new), or else the oldest half."""
        full = [c for c, (tokens, then) in self.buckets.items() if tokens + (now - then) * self.rate / 60 >= self.rate]
        for client in full or sorted(self.buckets, key=lambda c: self.buckets[c][1])[: len(self.buckets) // 2]:
            del self.buckets[client]


class Guard:
    """Body limits everywhere; rate limit and site-only CORS on /v1/signals."""

    def __init__(self, app: ASGIApp, origin: str, per_minute: int):
        self.app = app
        self.origin = origin
        self.buckets = Buckets(per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/") or "/"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cors: list[tuple[bytes, bytes]] = []
        if path == SIGNALS:
            origin = headers.get("origin")
            if origin is not None:
                if not self.origin or origin != self.origin:
                    await _problem(send, 403, "this origin may not send signals")
                    return
                cors = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
            if scope["method"] == "OPTIONS":  # a browser's preflight
                await _respond(send, 204, b"", cors + [
                    (b"access-control-allow-methods", b"POST"), (b"access-control-allow-headers", b"Content-Type"),
                    (b"access-control-max-age", b"600")])
                return
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.buckets.take(client)
            if wait:
                await _problem(send, 429, "too many signals from this address; try again later", cors,
                               [(b"retry-after", str(max(1, round(wait))).encode())])
                return
        if scope["method"] == "POST":
            kind = headers.get("content-type", "").split(";")[0].strip().lower()
            if path == SIGNALS and kind == "text/plain":  # navigator.sendBeacon's: read as the JSON it is
                scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"content-type"]
                         + [(b"content-type", b"application/json")]}
            elif kind != "application/json":
                await _problem(send, 415, "send the body as JSON, with Content-Type: application/json", cors)
                return
        limit = LIMITS.get(path, DEFAULT_LIMIT)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _problem(send, 413, f"the request body is over {limit // KB:,} KB", cors)
            return
        body = bytearray()
        more = True
        while more:  # read the body here (it is small), counting it: a body sent in chunks is bounded too
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(b"", message), send)
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _problem(send, 413, f"the request body is over {limit // KB:,} KB", cors)
                return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and cors:
                message["headers"] = [*message.get("headers", []), *cors]
            await send(message)

        await self.app(scope, _replay(bytes(body)), send_with_cors)


def _replay(body: bytes, then: Message | None = None) -> Receive:
    """A receive that gives BODY once, then THEN (or waits as a finished request does)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if then is not None:
                return then
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]],
                   content_type: bytes = b"application/json") -> None:
    head = [(b"content-length", str(len(body)).encode())] + headers
    if body:
        head.append((b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


async def _problem(send: Send, status: int, message: str, cors: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
                   extra: list[tuple[bytes, bytes]] = ()) -> None:  # type: ignore[assignment]
    await _respond(send, status, json.dumps({"error": message}).encode(), [*cors, *extra])
