"""Docusaurus help centers: docs/ with `id`, `slug`, `sidebar_position` and `_category_.json`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import KbgenError
from .model import CategoryInfo, Problem, Source, SourcePage
from .reading import inside, read_page, read_yaml_file, rel_of, text_list, walk

CONFIGS = ("docusaurus.config.js", "docusaurus.config.ts", "docusaurus.config.mjs", "docusaurus.config.cjs")
_NUMBER_PREFIX = re.compile(r"^\d+[-_.\s]+(?=.)")


def detect(root: Path) -> bool:
    return any((root / name).is_file() for name in CONFIGS)


def _setting(config: str, key: str, default: str) -> str:
    """A string setting of docusaurus.config.js, read by pattern (the file is code, never run)."""
    match = re.search(rf"\b{key}\s*:\s*(['\"`])([^'\"`]*)\1", config)
    return match.group(2) if match else default


def _docs_setting(config: str, key: str, default: str) -> str:
    """A setting of the classic preset's `docs: {...}` (the blog has a `path` and `routeBasePath` too)."""
    block = re.search(r"\bdocs\s*:\s*\{([^{}]*)\}", config)
    return _setting(block.group(1), key, default) if block else default


def plain(name: str) -> str:
    """A file or folder name as Docusaurus shows it: without the number prefix that orders it."""
    return _NUMBER_PREFIX.sub("", name)


def read(root: Path) -> Source:
    config_file = next(root / name for name in CONFIGS if (root / name).is_file())
    try:
        config = config_file.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise KbgenError(f"the file cannot be read: {exc.strerror}", path=config_file.name) from None
    source = Source("docusaurus", root, static_roots=[root / "static"])
    base = _setting(config, "baseUrl", "/").strip("/")
    source.base_url = f"/{base}" if base else ""
    route = _docs_setting(config, "routeBasePath", "docs").strip("/")
    docs = root / _docs_setting(config, "path", "docs")
    if not inside(root, docs) or not docs.is_dir():
        raise KbgenError("no docs folder inside the source (Docusaurus keeps its pages in docs/)", path=config_file.name)
    prefix = f"/{route}" if route else ""
    if (root / "blog").is_dir():
        source.problems.append(Problem("blog", 0, "the blog is not imported: only the docs are help-center pages"))
    for path in walk(root, docs, source.problems):
        rel = rel_of(root, path)
        inner = path.relative_to(docs).parts
        meta, body, body_line = read_page(root, path)
        meta = meta or {}
        if path.name.startswith("_"):  # a partial: its text goes where other pages include it
            source.partials[rel] = SourcePage(path, rel, meta, body, body_line)
            continue
        page = SourcePage(path, rel, meta, body, body_line)
        folders = [plain(p) for p in inner[:-1]]
        stem = plain(path.name.rsplit(".", 1)[0])
        doc_id = str(meta.get("id") or stem)
        index = stem.lower() in ("index", "readme") or (folders and stem == folders[-1])
        slug = meta.get("slug") if isinstance(meta.get("slug"), str) else ""
        slug = slug.strip()
        if slug:
            url = slug if slug.startswith("/") else "/".join(["", *folders, slug])
            page.slug = slug.strip("/").rsplit("/", 1)[-1] or doc_id
        else:
            url = "/".join(["", *folders]) + "/" if index else "/".join(["", *folders, doc_id])
            page.slug = folders[-1] if index and folders else doc_id
        if url.strip("/") == "" or (index and not folders and not slug):
            source.problems.append(Problem(rel, 0, "the home page of the docs: not imported (kbgen makes its own home page)"))
            source.home_files.add(rel)
            continue
        page.urls = [prefix + url]
        tags = text_list(meta.get("category"))
        page.category = tags[0] if tags else (inner[0] if len(inner) > 1 else "")
        source.pages.append(page)
    for folder in sorted(p for p in docs.iterdir() if p.is_dir() and not p.is_symlink()):
        info = _category_file(root, folder)
        if info is not None:
            source.categories[folder.name] = info
    return source


def _category_file(root: Path, folder: Path) -> CategoryInfo | None:
    """A folder's _category_.json or _category_.yml: its label, position and description."""
    data = None
    for name in ("_category_.json", "_category_.yml", "_category_.yaml"):
        path = folder / name
        if not path.is_file() or path.is_symlink():
            continue
        if name.endswith(".json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError) as exc:
                raise KbgenError(f"the file cannot be read: {exc}", path=rel_of(root, path)) from None
            except ValueError as exc:
                raise KbgenError(f"the file is not valid JSON ({exc.msg})", path=rel_of(root, path),
                                 line=getattr(exc, "lineno", 0)) from None
        else:
            data = read_yaml_file(root, path)
        break
    if not isinstance(data, dict):
        return None
    link = data.get("link") if isinstance(data.get("link"), dict) else {}
    description = data.get("description") or link.get("description") or ""
    position = data.get("position")
    return CategoryInfo(
        title=str(data.get("label") or "").strip(),
        description=str(description).strip() if isinstance(description, (str, int, float)) else "",
        order=int(position) if isinstance(position, (int, float)) and not isinstance(position, bool) else None,
    )
