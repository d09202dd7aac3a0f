"""What a reader finds in a help center's source folder, before anything is converted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """Something the import could not convert, named by its source file and line."""

    path: str  # relative to the source folder, POSIX separators
    line: int  # 1-based; 0 for the whole file
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}" if self.line else f"{self.path}: {self.reason}"

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "reason": self.reason}


@dataclass
class SourcePage:
    """One Markdown page of the source, with the addresses the old site served it at."""

    path: Path
    rel: str  # relative to the source folder
    meta: dict[str, Any]
    body: str
    body_line: int  # line of the file where the body starts
    category: str = ""  # the category as the source names it ("Account & Billing"); "" for none
    slug: str = ""  # the name the source gives the page (file name, id, slug), not yet made safe
    urls: list[str] = field(default_factory=list)  # site-relative addresses, without the base URL
    draft: bool = False  # in a drafts folder
    nav_title: str = ""  # the page's title in the site's navigation (mkdocs' nav), when it has no other


@dataclass
class CategoryInfo:
    """What the source says about a category beyond its name (Docusaurus' _category_.json)."""

    title: str = ""
    description: str = ""
    order: int | None = None


@dataclass
class Source:
    """A help center's source folder as one reader understood it."""

    kind: str  # jekyll | docusaurus | mkdocs
    root: Path
    pages: list[SourcePage] = field(default_factory=list)
    base_url: str = ""  # the site's path prefix ("/help"), stripped from site-relative links
    static_roots: list[Path] = field(default_factory=list)  # folders served at the site's root
    categories: dict[str, CategoryInfo] = field(default_factory=dict)  # by the source's category name
    problems: list[Problem] = field(default_factory=list)
    partials: dict[str, SourcePage] = field(default_factory=dict)  # by path: text other pages include
    home_urls: tuple[str, ...] = ("/",)
    home_files: set[str] = field(default_factory=set)  # the home page's file: links to it go to kbgen's home
