"""`kbgen api` as one variant of the benchmarks' comparison, run in the knowledge base's folder.

The kbgen it serves is whichever PYTHONPATH names (a checkout of main for the baseline, this
branch otherwise); the variant is read from the environment so that uvicorn's worker processes
build the same app:

- KBGEN_BENCH_FAST: 1 (the branch's fast path for /v1/ask and /v1/notes) or 0 (FastAPI's routes);
  left out for a kbgen that has no such choice (main);
- KBGEN_BENCH_CACHE: answers kept (0: none);
- KBGEN_BENCH_LOOP / KBGEN_BENCH_HTTP: uvicorn's loop (asyncio, uvloop) and HTTP parser (h11,
  httptools); main's `kbgen api` leaves them to uvicorn, which took asyncio and h11 there;
- KBGEN_BENCH_WORKERS: worker processes (each loads the engine).

Usage: python service_variant.py PORT
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Any


def app() -> Any:
    """The app for the variant the environment names (uvicorn's factory, in every worker)."""
    from kbgen.api import create_app
    from kbgen.project import Project

    options: dict[str, Any] = {}
    if "fast" in inspect.signature(create_app).parameters:
        options = {"fast": os.environ.get("KBGEN_BENCH_FAST", "1") == "1",
                   "cache": int(os.environ.get("KBGEN_BENCH_CACHE", "1024"))}
    return create_app(Project.find(), lambda message: None, **options)


def main() -> None:
    import uvicorn

    port = int(sys.argv[1])
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    uvicorn.run("service_variant:app", factory=True, host="127.0.0.1", port=port, log_level="warning",
                server_header=False, loop=os.environ.get("KBGEN_BENCH_LOOP", "asyncio"),
                http=os.environ.get("KBGEN_BENCH_HTTP", "h11"), workers=int(os.environ.get("KBGEN_BENCH_WORKERS", "1")),
                app_dir=str(Path(__file__).resolve().parent))


if __name__ == "__main__":
    main()
