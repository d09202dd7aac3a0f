"""Work shared between forked processes, one a core: `kbgen check` parses 10,000 articles and
reads their prose, and one core takes twice as long as two.

Children are forked, so they start with the parent's memory (the items, the function and what
it reads): only the results cross between processes, and the function need not be importable.
Below PARALLEL_FROM items, on one core, or where the system cannot fork, the work is done here,
in order, with the very same function: the results are the same either way.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

PARALLEL_FROM = 1_000  # items; below this, forking costs more than it saves
MAX_WORKERS = 4

_JOB: Any = None  # (function, items), set in the parent just before forking


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def map_forked(function: Callable[[Item], Result], items: Sequence[Item], parallel_from: int | None = None) -> list[Result]:
    """[function(item) for item in items], shared between forked processes when there are many
    (PARALLEL_FROM unless PARALLEL_FROM is given)."""
    import multiprocessing

    workers = min(cores(), MAX_WORKERS)
    if len(items) < (PARALLEL_FROM if parallel_from is None else parallel_from) or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    global _JOB
    _JOB = (function, items)
    # every worker takes every n-th item, so long and short items spread evenly
    parts = [range(start, len(items), workers) for start in range(workers)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            found = pool.map(_part, parts)
    finally:
        _JOB = None
    results: list[Any] = [None] * len(items)
    for part, values in zip(parts, found):
        for index, value in zip(part, values):
            results[index] = value
    return results


def _part(indexes: range) -> list[Any]:
    import gc

    gc.disable()  # a worker lives for one part: what it makes is kept to the end, and then freed at once
    function, items = _JOB
    return [function(items[index]) for index in indexes]
