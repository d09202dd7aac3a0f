"""Lines from stdin for `ask -` and `log -`, in batches of whatever has already arrived.

A file piped in is read in batches (the engine matches a batch far faster than its lines one
by one); a bot that writes one line and waits for the answer gets it at once, because a batch
never waits for more input than is there.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

MAX_BATCH = 2_048  # what the engine matches at once: large enough to share the lexical work between cores
CHUNK = 1 << 16
MAX_LINE = 1_000_000  # bytes; a longer line is reported and skipped, never held in memory whole


def batches(max_batch: int = MAX_BATCH) -> Iterator[list[tuple[int, str | None]]]:
    """Lists of (line number, text): a byte-order mark is dropped, bytes that are not UTF-8 are
    kept as lone surrogates (so one bad line never stops a batch), and a line over MAX_LINE bytes
    comes as None."""
    try:
        fd = sys.stdin.fileno()
        import select
    except (AttributeError, OSError, ValueError, ImportError):  # no real stdin (tests), or no select
        yield from _one_by_one()
        return
    pending = b""
    number = 0
    done = False
    skipping = False  # inside a line that is too long: dropped up to its end
    while not done or pending:
        lines: list[bytes | None] = []
        while True:
            while b"\n" in pending and len(lines) < max_batch:
                line, pending = pending.split(b"\n", 1)
                lines.append(None if skipping else line + b"\n")
                skipping = False
            if len(pending) > MAX_LINE:
                pending, skipping = b"", True
            if done or len(lines) >= max_batch:
                break
            if lines:
                try:
                    ready, _, _ = select.select([fd], [], [], 0)
                except (OSError, ValueError):
                    ready = []
                if not ready:
                    break
            chunk = os.read(fd, CHUNK)
            if not chunk:
                done = True
                if pending or skipping:
                    lines.append(None if skipping else pending)
                    pending, skipping = b"", False
            else:
                pending += chunk
        if not lines:
            continue
        batch: list[tuple[int, str | None]] = []
        for raw in lines:
            number += 1
            batch.append((number, _decoded(raw, number)))
        yield batch


def _decoded(raw: bytes | None, number: int) -> str | None:
    if raw is None or len(raw) > MAX_LINE:
        return None
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8", "surrogateescape")


def _one_by_one() -> Iterator[list[tuple[int, str | None]]]:
    for number, raw in enumerate(sys.stdin.buffer, 1):
        yield [(number, _decoded(raw, number))]
