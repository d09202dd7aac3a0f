"""Reading JSON that kbgen did not just write: note lines, agents' input, cache files.

`json.loads` raises RecursionError on a line nested a thousand levels deep, and accepts
NaN and Infinity, which JSON does not have. Every reader of untrusted JSON goes through
`loads`, so a bad line is one ValueError with a plain reason, never a traceback or a lost batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

MAX_LINE_BYTES = 1_000_000  # a note is at most ~25,000 characters of text; a longer line is not one


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def loads(text: str | bytes, limit: int = MAX_LINE_BYTES) -> Any:
    """TEXT parsed as JSON; ValueError (with a reason a person can act on) for anything else."""
    if limit and len(text) > limit:
        raise ValueError(f"the line is {len(text):,} bytes; the limit is {limit:,}")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None


def bounded_lines(handle: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for each line of HANDLE; a line longer than LIMIT comes as None, and
    is never held in memory whole (a shard holding one endless line must not stop a report)."""
    number = 0
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # skip the rest of the long line
                rest = handle.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
        else:
            yield number, line
