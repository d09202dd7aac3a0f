"""A cheap closed-loop HTTP load for the service's benchmarks (api.py, store.py).

CLIENTS clients, each one kept-alive connection (or a new one a request) sending its requests
one after another, spread over a few processes, each an asyncio loop writing HTTP/1.1 by hand
and reading the answer by its Content-Length. On 2 cores shared with the service, 32 or 64
Python threads with http.client would cost about as much CPU as the service itself and measure
their own queueing; this costs a few tens of microseconds a request (on uvloop when installed).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Sent:
    """One request's outcome: which client and request, its status (0: no answer), its time and body."""

    client: int
    index: int
    status: int
    seconds: float
    body: bytes = b""


def request(path: str, body: bytes, token: str = "", port: int = 0) -> bytes:
    """A POST of a JSON BODY as bytes on the wire."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            + (f"Authorization: Bearer {token}\r\n" if token else "") + f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> tuple[int, bytes]:
    writer.write(data)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length) if length else b""


async def _client(port: int, number: int, requests: list[bytes], out: list[Sent], new_connections: bool,
                  think: float, keep_bodies: bool, ready: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await ready.wait()
    for index, data in enumerate(requests):
        started = time.perf_counter()
        status, body = 0, b""
        for _ in range(3):  # a connection the service dropped (or a service restarted): again, as a retrying tool
            try:
                if new_connections and index:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                status, body = await _exchange(reader, writer, data)
                break
            except (OSError, asyncio.IncompleteReadError, ValueError):
                writer.close()
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.1)
        out.append(Sent(number, index, status, time.perf_counter() - started, body if keep_bodies else b""))
        if think:
            await asyncio.sleep(think * (0.5 + ((number * 7 + index * 13) % 11) / 10))  # 0.5 to 1.5 times THINK
    writer.close()


def _process(port: int, numbers: list[int], requests: list[list[bytes]], new_connections: bool, think: float,
             keep_bodies: bool, barrier: Any, results: Any) -> None:
    async def run() -> tuple[list[Sent], float, float]:
        out: list[Sent] = []
        ready = asyncio.Event()
        tasks = [asyncio.ensure_future(_client(port, n, requests[n], out, new_connections, think, keep_bodies, ready))
                 for n in numbers]
        await asyncio.sleep(0.2)  # let every connection open
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
        began = time.perf_counter()
        ready.set()
        await asyncio.gather(*tasks)
        return out, began, time.perf_counter()

    try:  # libuv's loop when the service's dependencies brought it: a cheaper client still
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    results.put(asyncio.run(run()))


def load(port: int, requests: list[list[bytes]], processes: int = 2, new_connections: bool = False,
         think: float = 0.0, keep_bodies: bool = False) -> tuple[list[Sent], float]:
    """Every client's REQUESTS (one list a client) sent at once: each request's outcome, and the
    seconds from the first sent to the last answered."""
    context = multiprocessing.get_context("fork")
    processes = max(1, min(processes, len(requests)))
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [context.Process(target=_process, args=(port, list(range(p, len(requests), processes)), requests,
                                                      new_connections, think, keep_bodies, barrier, results))
               for p in range(processes)]
    for worker in workers:
        worker.start()
    gathered = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    sent = [s for out, _, _ in gathered for s in out]
    return sent, max(end for _, _, end in gathered) - min(began for _, began, _ in gathered)
