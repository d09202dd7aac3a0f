"""The matching engine: every decision kbgen makes about a question goes through here.

Two decisions rest on it, and everything editors see rests on them: "does an article already
answer this question?" (`kbgen ask`, `kbgen log`, the report's findability list) and "which
questions ask the same thing?" (the report's gaps, `kbgen draft`). No other module knows scores,
thresholds, the sentence encoder or whoosh.

Callers hold the `Engine` interface and get an implementation from `open_engine`:

- `semantic` (the default): a sentence encoder's vectors of the articles' titles and phrasings,
  fused with the lexical index's scores (`kbgen.engine.semantic`);
- `lexical`: the whoosh index alone (`kbgen.engine.lexical`), for a knowledge base that chose it
  or an install without the encoder package.

The `engine` option of the kbgen plugin in mkdocs.yml (or `KBGEN_ENGINE`) picks one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from ..project import Project

Progress = Callable[[str, int, int], None]  # (what, done, total)
SNIPPET_CHARS = 240
ENGINES = ("semantic", "lexical")
DEFAULT_ENGINE = "semantic"


@dataclass
class Hit:
    """One article that may answer a question."""

    slug: str
    title: str
    category: str
    url: str  # the public address; "" for an internal article, which has none
    path: str  # the article's file, relative to the project root
    score: float
    snippet: str
    audience: str

    def to_dict(self) -> dict[str, Any]:  # by hand: dataclasses.asdict costs a warm ask a third of its time
        return {"slug": self.slug, "title": self.title, "category": self.category, "url": self.url, "path": self.path,
                "score": round(self.score, 4), "snippet": self.snippet, "audience": self.audience}


@dataclass
class Answer:
    """What the engine says of one question: the ranked articles and whether the first answers it."""

    question: str
    answered: bool
    hits: list[Hit] = field(default_factory=list)
    topical: bool = True  # False: the question names no topic ("how do I"), so nothing answers it
    near: bool = False  # the first article is on the question's subject, answering or not (its category is a fair guess)
    covered: bool = False  # surely enough, on its own, for the report to call it a findability fix rather than a gap
    evidence: float = 0.0  # the engine's own measure of how surely the first article answers it (`Engine.covered` pools it)

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answered": self.answered, "results": [h.to_dict() for h in self.hits]}


class Engine(Protocol):
    """Matching questions to articles, and questions to each other."""

    name: str

    @property
    def signature(self) -> str:
        """Changes whenever an answer could: an article, a setting, the model, the site's address."""
        ...

    def ask(self, question: str, limit: int = 5) -> Answer:
        """The ranked articles for one question (with snippets) and whether the first answers it."""
        ...

    def ask_many(self, questions: Sequence[str], limit: int = 1, snippets: bool = False,
                 progress: Progress | None = None) -> list[Answer]:
        """`ask` for many questions at once (bots' batches, the report's notes), in order."""
        ...

    def vectors(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Unit vectors for TEXTS whose dot products say how alike in meaning they are."""
        ...

    def group(self, vectors: np.ndarray) -> list[int]:
        """A label for each row of VECTORS (this engine's `vectors` of texts given oldest first):
        equal labels ask the same thing.

        Deterministic, and earlier texts keep their groups as later ones arrive, as far as the
        method allows."""
        ...

    def covered(self, answers: Sequence[Answer], vectors: np.ndarray) -> list[bool]:
        """Which of ANSWERS (to the open questions of one report, with this engine's VECTORS of
        them) an article already answers, so the report lists them as findability fixes.

        Judged together: questions that ask one thing and lean on one article pool their
        evidence, which one question's words are too few to give. Deterministic for the same
        answers and vectors."""
        ...

    def same_topic(self, groups: Sequence[Sequence[str]], texts: Sequence[str]) -> int | None:
        """Which of GROUPS of texts (drafts' titles and questions) asks what TEXTS ask (a gap's
        phrasings): the index of the closest, or None when none is on the same topic."""
        ...

    def remember(self, texts: Sequence[str]) -> None:
        """Keep the vectors of TEXTS (a note's question as it is logged) for later reports."""
        ...

    def close(self) -> None:
        ...


def engine_kind(project: Project) -> str:
    """The engine the project asks for: KBGEN_ENGINE, else the plugin's `engine` option, else semantic."""
    from ..errors import KbgenError

    kind = os.environ.get("KBGEN_ENGINE") or str(project.options.get("engine") or DEFAULT_ENGINE)
    if kind not in ENGINES:
        raise KbgenError(f"engine '{kind}' is not one of: {', '.join(ENGINES)} (KBGEN_ENGINE or the plugin's `engine` option)")
    return kind


def open_engine(project: Project, on_warning: Callable[[str], None] | None = None,
                progress: Progress | None = None, kind: str | None = None, ahead: Sequence[str] = ()) -> Engine:
    """The project's engine, with its indexes brought up to date for whatever changed under kb/.

    AHEAD: the few questions the caller asks next (a single `kbgen ask`); the semantic engine
    starts encoding them on the other core before it loads the indexes' modules and files."""
    warn = on_warning or (lambda message: None)
    kind = kind or engine_kind(project)
    if kind == "semantic":
        from .encoder import Encoder, encoder_text

        encoder = Encoder(project.cache_dir)
        if ahead:
            # numpy first: the forked process then starts with it, and this one goes on with the
            # indexes' modules (whoosh) while the other imports onnxruntime and loads the model
            import numpy  # noqa: F401

            encoder.start(list(dict.fromkeys(encoder_text(question) for question in ahead)))
        try:
            from .semantic import SemanticEngine

            return SemanticEngine.open(project, warn, progress, encoder=encoder)
        except BaseException:
            encoder.close()  # no forked encoding outlives a failed open
            raise
    from .lexical import LexicalEngine

    return LexicalEngine.open(project, warn, progress)


def snippet(summary: str, passages: Sequence[str], question: str) -> str:
    """The summary, or else the passage sharing the most words with the question."""
    from ..text import words

    if summary:
        text = summary
    elif passages:
        wanted = {w for w in words(question) if len(w) > 2}
        text = max(passages, key=lambda p: (len(wanted & set(words(p))), -passages.index(p)))
    else:
        return ""
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"
