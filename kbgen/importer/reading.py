"""Reading a source folder safely: no symbolic link followed, every page's front matter checked.

Shared by the per-kind readers (jekyll, docusaurus, mkdocs)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import KbgenError
from .model import Problem

PAGE_SUFFIXES = (".md", ".markdown", ".mdx")
# build output, dependencies and tooling: never pages of the help center
SKIP_DIRS = frozenset({"node_modules", "vendor", "_site", "site", "build", ".docusaurus", "__pycache__"})
_H1 = re.compile(r"\A\s*#[ \t]+(.+?)[ \t]*#*[ \t]*(?:\n|\Z)")


def rel_of(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def inside(root: Path, path: Path) -> bool:
    """PATH (after resolving links and '..') is ROOT or below it."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError):
        return False


def walk(root: Path, folder: Path, problems: list[Problem], skip: frozenset[str] = SKIP_DIRS,
         suffixes: tuple[str, ...] = PAGE_SUFFIXES) -> Iterator[Path]:
    """Every page (a regular file with one of SUFFIXES) under FOLDER in name order; symbolic links
    are reported, never followed."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise KbgenError(f"the folder cannot be read: {exc.strerror}", path=folder) from None
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            problems.append(Problem(rel_of(root, path), 0, "a symbolic link: not followed, so nothing outside the "
                                    "source is read; copy the file itself into the source if it belongs there"))
            continue
        if entry.is_dir():
            if entry.name not in skip:
                yield from walk(root, path, problems, skip, suffixes)
        elif entry.is_file() and entry.name.lower().endswith(suffixes):
            yield path


def read_page(root: Path, path: Path) -> tuple[dict[str, Any] | None, str, int]:
    """(front matter or None when the page has none, body, line where the body starts).

    Unreadable text and broken YAML stop the import with the file and line: nothing is written."""
    from ..articles import _yaml_loader, read_text, split_front_matter
    from .. import yamlio
    import yaml

    rel = rel_of(root, path)
    text, problems = read_text(path, rel)
    if text is None:
        raise KbgenError(problems[0].message, path=rel, line=problems[0].line)
    text = text.replace("\r\n", "\n")
    parts = split_front_matter(text)
    if parts is None:
        return None, text, 1
    fm, body, body_line = parts
    try:
        meta = yamlio.load(fm, _yaml_loader())
    except yamlio.YamlTooLarge as exc:
        raise KbgenError(f"the front matter cannot be used: {exc}", path=rel, line=1) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or "it cannot be read"
        line = min(mark.line + 1, fm.rstrip().count("\n") + 1) if mark else 1
        raise KbgenError(f"the front matter is not valid YAML ({what}); fix it in the source and import again",
                         path=rel, line=line) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise KbgenError("the front matter must be 'key: value' lines", path=rel, line=2)
    return {str(k): v for k, v in meta.items()}, body, body_line


def read_yaml_file(root: Path, path: Path) -> Any:
    """A settings file of the source (_config.yml, _category_.yml), with its line on a YAML error."""
    from .. import yamlio
    import yaml

    rel = rel_of(root, path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KbgenError(f"the file cannot be read: {getattr(exc, 'strerror', None) or exc}", path=rel) from None

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    try:
        return yamlio.load(text, Loader)
    except yamlio.YamlTooLarge as exc:
        raise KbgenError(f"the file cannot be used: {exc}", path=rel, line=1) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or "it cannot be read"
        raise KbgenError(f"the file is not valid YAML ({what})", path=rel, line=(mark.line + 1) if mark else 0) from None


def first_heading(body: str) -> str:
    """The text of a '# Title' line that opens BODY, or ''."""
    match = _H1.match(body)
    return match.group(1).strip() if match else ""


def without_first_heading(body: str) -> str:
    match = _H1.match(body)
    return body[match.end():].lstrip("\n") if match else body


def text_list(value: Any, split_words: bool = False) -> list[str]:
    """A front-matter value that should be a list of names: a list, or one string (words, with SPLIT_WORDS)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in (value.split() if split_words else [value.strip()]) if v]
    if isinstance(value, list):
        found = []
        for item in value:
            if isinstance(item, dict):  # Docusaurus tags: {label, permalink}
                item = item.get("label")
            if isinstance(item, (str, int, float)) and not isinstance(item, bool) and str(item).strip():
                found.append(str(item).strip())
        return found
    return []
