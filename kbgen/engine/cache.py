"""The best article for each question the report has seen, kept while nothing that decides it changes.

A report matches every open note; a second report over the same log and the same articles
(with the same engine, settings and model: its signature) reads the decisions back instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..files import atomic_write_text
from ..jsonio import loads
from . import Answer, Engine, Hit, Progress

MATCH_CACHE = "matches.json"


class AnswerCache:
    """`engine.ask_many(questions, limit=1)`, cached on disk per question for the engine's signature."""

    def __init__(self, engine: Engine, folder: Path):
        self.engine = engine
        self.path = folder / MATCH_CACHE
        self.signature = engine.signature
        self.cache: dict[str, list[Any]] = {}
        self.dirty = False
        try:
            data = loads(self.path.read_text(encoding="utf-8"), limit=0)
            if data.get("signature") == self.signature and isinstance(data.get("matches"), dict):
                self.cache = {q: v for q, v in data["matches"].items() if _valid(v)}
        except (OSError, ValueError, AttributeError):
            pass

    def best(self, questions: Sequence[str], progress: Progress | None = None) -> dict[str, Answer]:
        """The decision for each distinct question: cached ones first, the rest asked in one batch."""
        wanted = [q for q in dict.fromkeys(questions) if q not in self.cache]
        if wanted:
            answers = self.engine.ask_many(wanted, limit=1, snippets=False, progress=progress)
            self.cache.update((q, _pack(a)) for q, a in zip(wanted, answers))
            self.dirty = True
        return {q: _unpack(q, self.cache[q]) for q in dict.fromkeys(questions)}

    def save(self) -> None:
        if not self.dirty:
            return
        import json

        try:
            atomic_write_text(self.path, json.dumps({"signature": self.signature, "matches": self.cache}, ensure_ascii=False))
        except OSError:
            pass  # a cache that cannot be written only costs the next report time
        self.dirty = False


_FIELDS = 8  # slug, title, category, url, path, score, audience, answered; then topical, near, covered and evidence


def _pack(answer: Answer) -> list[Any]:
    best = answer.best
    if best is None:
        return [answer.topical]
    return [best.slug, best.title, best.category, best.url, best.path, round(best.score, 4), best.audience,
            answer.answered, answer.topical, answer.near, answer.covered, round(answer.evidence, 5)]


def _valid(value: Any) -> bool:
    return isinstance(value, list) and (
        (len(value) == 1 and isinstance(value[0], bool))
        or (len(value) == _FIELDS + 4 and all(isinstance(v, str) for v in value[:5]) and isinstance(value[5], (int, float))
            and isinstance(value[6], str) and all(isinstance(v, bool) for v in value[7:11])
            and isinstance(value[11], (int, float)) and not isinstance(value[11], bool))
    )


def _unpack(question: str, value: list[Any]) -> Answer:
    if len(value) == 1:
        return Answer(question, False, [], topical=value[0])
    slug, title, category, url, path, score, audience, answered, topical, near, covered, evidence = value
    hit = Hit(slug, title, category, url, path, float(score), "", audience)
    return Answer(question, answered, [hit], topical=topical, near=near, covered=covered, evidence=float(evidence))
