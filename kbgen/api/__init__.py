"""The team service, `kbgen api`: agents' `ask` and `log` over HTTP, and the public site's signals.

An ASGI app (FastAPI) served by uvicorn with one worker that keeps the engine loaded, so an ask
costs the matching alone; the two routes agents call in a loop, POST /v1/ask and /v1/notes, are
answered by a lean ASGI path (`fast`) with the same models and error bodies. It calls the same library functions as the command line
(`kbgen.agents`, `kbgen.signals`), and is one more writer under the gap log's lock, so the CLI
and the service can share one clone. Imported only by `kbgen api`: the CLI never loads FastAPI
or pydantic.
"""

from .app import create_app

__all__ = ["create_app"]
