"""Which articles the engine indexes, and what it shows of each: read from kb/ by file stamps.

Each index the engine keeps (the lexical one, the article vectors) records the stamp
(modification time, size) of every article file it was built from, and on opening re-reads only
the files whose stamps changed. This module does the scanning and parsing for all of them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import Hit, snippet

if TYPE_CHECKING:
    from ..articles import Article
    from ..project import Project

Stamps = dict[str, list[int]]  # kb-relative path -> [mtime_ns, size]


def scan(project: Project) -> Stamps:
    """Every article file under kb/ (one folder deep) with its stamp; symbolic links are left out."""
    found: Stamps = {}
    try:
        folders = [e for e in os.scandir(project.kb_dir) if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
    except OSError:
        return found
    for folder in folders:
        try:
            entries = list(os.scandir(folder.path))
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".md") and entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                found[f"{folder.name}/{entry.name}"] = [info.st_mtime_ns, info.st_size]
    return found


def read(project: Project, paths: Iterable[str]) -> Iterator[tuple[str, Article | None]]:
    """Each kb-relative path with its article, or None when it cannot be read or parsed."""
    from ..articles import parse_article, read_text

    kb_dir = project.kb_dir
    for rel in paths:
        path = kb_dir / rel
        text, _ = read_text(path, rel)
        if text is None:
            yield rel, None
            continue
        article, _ = parse_article(path, rel, rel.split("/", 1)[0], text)
        yield rel, article


def indexable(article: Article | None) -> bool:
    """Published articles, public or internal: internal ones are matched for agents, and marked."""
    return article is not None and article.status == "published" and bool(article.title)


@dataclass
class Entry:
    """What a hit shows of an article, kept with each index so a query reads no article file."""

    rel: str  # kb-relative file path
    slug: str
    title: str
    category: str
    audience: str
    summary: str
    passages: list[str]

    @classmethod
    def of(cls, rel: str, article: Article) -> Entry:
        return cls(rel, article.slug, article.title, article.category, article.audience, article.summary,
                   [] if article.summary else passages(article.body))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        return cls(str(data["rel"]), str(data["slug"]), str(data["title"]), str(data["category"]),
                   str(data["audience"]), str(data.get("summary") or ""), [str(p) for p in data.get("passages") or []])

    def hit(self, project: Project, score: float, question: str | None = None) -> Hit:
        """This article as a hit of SCORE; with a snippet for QUESTION when one is given.

        An internal article has no public address: its hit carries its file path only."""
        public = self.audience == "public"
        return Hit(
            slug=self.slug,
            title=self.title,
            category=self.category,
            url=project.url_for(f"{self.category}/{self.slug}/") if public else "",
            path=f"{project.kb_rel}/{self.rel}",
            score=score,
            snippet=snippet(self.summary, self.passages, question) if question is not None else "",
            audience=self.audience,
        )

    def to_dict(self) -> dict[str, Any]:
        return {"rel": self.rel, "slug": self.slug, "title": self.title, "category": self.category,
                "audience": self.audience, "summary": self.summary, "passages": self.passages}


def passages(body: str) -> list[str]:
    """Plain-text paragraphs of a body, for snippets when an article has no summary."""
    text = re.sub(r"```.*?```", " ", body, flags=re.S)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[#>*_`|]+", " ", text)
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if len(p.split()) >= 4][:40]
