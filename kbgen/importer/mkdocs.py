"""mkdocs help centers: mkdocs.yml and its docs folder, one page a Markdown file."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import KbgenError
from .model import CategoryInfo, Problem, Source, SourcePage
from .reading import inside, read_page, rel_of, text_list, walk

CONFIG = "mkdocs.yml"


def detect(root: Path) -> bool:
    return (root / CONFIG).is_file()


def read(root: Path) -> Source:
    from ..project import read_mkdocs_config

    config = read_mkdocs_config(root / CONFIG)
    docs = root / str(config.get("docs_dir") or "docs")
    if not inside(root, docs) or not docs.is_dir():
        raise KbgenError("docs_dir is not a folder inside the source", path=CONFIG, key="docs_dir")
    source = Source("mkdocs", root, static_roots=[docs])
    base = urlparse(str(config.get("site_url") or "")).path.strip("/")
    source.base_url = f"/{base}" if base else ""
    directory_urls = config.get("use_directory_urls", True) is not False
    titles: dict[str, str] = {}
    for order, (title, files) in enumerate(_navigation(config.get("nav"), titles), start=1):
        folders = {f.split("/", 1)[0] for f in files if "/" in f}
        if len(folders) == 1:  # a section of one folder's pages: that category's title and place
            source.categories[folders.pop()] = CategoryInfo(title=title, order=order)
    for path in walk(root, docs, source.problems):
        rel = rel_of(root, path)
        inner = path.relative_to(docs).parts
        meta, body, body_line = read_page(root, path)
        page = SourcePage(path, rel, meta or {}, body, body_line, nav_title=titles.get("/".join(inner), ""))
        stem = path.name.rsplit(".", 1)[0]
        folders = list(inner[:-1])
        index = stem.lower() in ("index", "readme")
        if index and not folders:
            source.problems.append(Problem(rel, 0, "the home page: not imported (kbgen makes its own home page)"))
            source.home_files.add(rel)
            continue
        if index:
            page.urls = ["/" + "/".join(folders) + "/"]
            page.slug = folders[-1]
        else:
            page.urls = ["/" + "/".join([*folders, stem]) + ("/" if directory_urls else ".html")]
            page.slug = stem
        categories = text_list(page.meta.get("category")) or text_list(page.meta.get("categories"))
        page.category = categories[0] if categories else (folders[0] if folders else "")
        source.pages.append(page)
    return source


def _navigation(nav: Any, titles: dict[str, str]) -> list[tuple[str, list[str]]]:
    """mkdocs' `nav`: each page's title into TITLES; the top-level sections as (title, their files)."""
    sections: list[tuple[str, list[str]]] = []

    def walk(entries: Any, files: list[str]) -> None:
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, str):
                files.append(entry)
                continue
            for title, value in entry.items() if isinstance(entry, dict) else ():
                if isinstance(value, str) and not _external(value):
                    titles.setdefault(value, " ".join(str(title).split()))
                    files.append(value)
                elif isinstance(value, list):
                    inner: list[str] = []
                    walk(value, inner)
                    files.extend(inner)
                    if entries is nav:
                        sections.append((" ".join(str(title).split()), inner))

    walk(nav, [])
    return sections


def _external(value: str) -> bool:
    return "://" in value or value.startswith(("mailto:", "//"))
