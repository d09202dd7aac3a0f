"""kbgen: a help center that grows from the questions it could not answer.

The core library: load and check a Markdown knowledge base, search it, log the questions it
could not answer, and turn them into drafts. The CLI (`kbgen.cli`) and the mkdocs plugin
(`kbgen.mkdocs_plugin`) are thin layers over it.

The public names are imported on first use, so `kbgen log` and `kbgen ask`, which agents run
many times a day, pay only for the modules they touch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Article": "articles",
    "CheckResult": "check",
    "check": "check",
    "Diagnostic": "errors",
    "KbgenError": "errors",
    "Category": "kb",
    "KnowledgeBase": "kb",
    "Project": "project",
    "Note": "notes",
    "NoteLog": "notes",
    "NoteStore": "store",
    "open_store": "store",
    "Engine": "engine",
    "open_engine": "engine",
    "Coverage": "gaps",
    "Gap": "gaps",
    "analyze": "gaps",
}

__all__ = sorted([*_EXPORTS, "__version__"])

if TYPE_CHECKING:
    from .articles import Article
    from .check import CheckResult, check
    from .errors import Diagnostic, KbgenError
    from .kb import Category, KnowledgeBase
    from .gaps import Coverage, Gap, analyze
    from .notes import Note, NoteLog
    from .store import NoteStore, open_store
    from .project import Project
    from .engine import Engine, open_engine


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'kbgen' has no attribute {name!r}")
