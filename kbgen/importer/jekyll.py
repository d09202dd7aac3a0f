"""Jekyll help centers: pages, posts and collections (`_articles/`), addresses from permalinks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .model import Problem, Source, SourcePage
from .reading import read_page, read_yaml_file, rel_of, text_list, walk

CONFIG = "_config.yml"
# folders Jekyll reads for itself, never pages
OWN_FOLDERS = frozenset({"_layouts", "_includes", "_sass", "_data", "_site", "_plugins", "_config"})
_POST_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def detect(root: Path) -> bool:
    return (root / CONFIG).is_file() or (root / "_posts").is_dir() or any(
        p.is_dir() and p.name.startswith("_") and p.name not in OWN_FOLDERS and any(p.glob("*.md"))
        for p in root.iterdir()
    )


def read(root: Path) -> Source:
    source = Source("jekyll", root, static_roots=[root])
    config = read_yaml_file(root, root / CONFIG) if (root / CONFIG).is_file() else {}
    if not isinstance(config, dict):
        config = {}
    source.base_url = "/" + str(config.get("baseurl") or "").strip("/")
    source.base_url = "" if source.base_url == "/" else source.base_url
    collections = config.get("collections") or {}
    if isinstance(collections, list):
        collections = {str(name): {} for name in collections}
    post_pattern = str(config.get("permalink") or "date")
    post_pattern = STYLES.get(post_pattern, post_pattern)
    excluded = {str(e).strip("/") for e in (config.get("exclude") or []) if isinstance(e, (str, int))}
    for path in walk(root, root, source.problems):
        rel = rel_of(root, path)
        if any(rel == e or rel.startswith(e + "/") for e in excluded):
            continue
        parts = rel.split("/")
        if parts[-1].startswith("_"):
            continue  # Jekyll never publishes a file whose name starts with '_' (CloudCannon's _defaults.md)
        special = [p for p in parts[:-1] if p.startswith("_")]
        if special and special[0] in OWN_FOLDERS:
            continue
        meta, body, body_line = read_page(root, path)
        if meta is None:  # Jekyll copies a file without front matter as it is: not a page
            if special:
                source.problems.append(Problem(rel, 1, "no front matter, so Jekyll never made it a page; not imported"))
            continue
        page = SourcePage(path, rel, meta, body, body_line)
        kind = special[0] if special else ""
        if kind in ("_posts", "_drafts"):
            _post(page, parts, kind, post_pattern)
        elif kind:
            name = kind[1:]
            settings = collections.get(name) if isinstance(collections, dict) else None
            pattern = str((settings or {}).get("permalink") or "/:collection/:path:output_ext") if isinstance(settings, dict) else "/:collection/:path:output_ext"
            _document(page, parts, name, pattern)
        else:
            _page(page, parts)
        if page.rel in ("index.md", "index.markdown", "README.md") or page.urls[:1] == ["/"]:
            source.problems.append(Problem(rel, 0, "the home page: not imported (kbgen makes its own home page)"))
            source.home_files.add(rel)
            continue
        source.pages.append(page)
    for path in walk(root, root, [], suffixes=(".html",)):
        rel = rel_of(root, path)
        if not rel.startswith("_") and not any(rel == e or rel.startswith(e + "/") for e in excluded):
            with path.open("rb") as handle:
                if handle.read(3) == b"---":  # front matter: a page of the site, not a file it copies
                    source.problems.append(Problem(rel, 0, "an HTML page: not imported (kbgen imports Markdown "
                                                   "pages; copy its text into an article if it is needed)"))
    return source


def _categories(meta: dict[str, Any]) -> list[str]:
    return text_list(meta.get("categories"), split_words=True) + text_list(meta.get("category"))


def _category(meta: dict[str, Any], categories: list[str], fallback: str) -> str:
    """The page's category: its first category, else the top of its section in the navigation of
    themes such as just-the-docs (`grand_parent`, `parent`; a section's own page is titled like it),
    else FALLBACK (the folder)."""
    if categories:
        return categories[0]
    for key in ("grand_parent", "parent"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    title = meta.get("title")
    if meta.get("has_children") is True and isinstance(title, str) and title.strip():
        return title.strip()
    return fallback


def _expand(pattern: str, values: dict[str, str]) -> str:
    url = re.sub(r":([a-z_]+)", lambda m: values.get(m.group(1), m.group(0)), pattern)
    return "/" + re.sub(r"/+", "/", url).lstrip("/")


def _add_urls(page: SourcePage, *urls: str) -> None:
    permalink = page.meta.get("permalink")
    if isinstance(permalink, str) and permalink.strip():
        page.urls.append("/" + permalink.strip().lstrip("/"))
    for url in urls:
        if url not in page.urls:
            page.urls.append(url)


def _post(page: SourcePage, parts: list[str], kind: str, pattern: str) -> None:
    stem = parts[-1].rsplit(".", 1)[0]
    match = _POST_NAME.match(stem)
    year, month, day, title = match.groups() if match else ("", "", "", stem)
    page.slug = str(page.meta.get("slug") or title)
    page.draft = kind == "_drafts"
    folders = parts[: parts.index(kind)]  # Jekyll takes the folders above _posts as categories
    categories = _categories(page.meta) or folders
    page.category = _category(page.meta, categories, "")
    if match and "date" not in page.meta:
        page.meta["date"] = f"{year}-{month}-{day}"
    values = {"categories": "/".join(c.lower().replace(" ", "-") for c in categories), "year": year, "month": month,
              "day": day, "title": title, "slug": page.slug, "name": stem, "output_ext": ".html"}
    _add_urls(page, _expand(pattern, values))


def _document(page: SourcePage, parts: list[str], collection: str, pattern: str) -> None:
    inner = parts[parts.index("_" + collection) + 1:]
    stem = inner[-1].rsplit(".", 1)[0]
    path = "/".join([*inner[:-1], stem])
    page.slug = str(page.meta.get("slug") or stem)
    categories = _categories(page.meta)
    page.category = _category(page.meta, categories, inner[0] if len(inner) > 1 else "")
    values = {"collection": collection, "path": path, "name": stem, "title": page.slug, "slug": page.slug,
              "categories": "/".join(c.lower().replace(" ", "-") for c in categories), "output_ext": ".html"}
    _add_urls(page, _expand(pattern, values), f"/{collection}/{path}.html", f"/{collection}/{path}/")


def _page(page: SourcePage, parts: list[str]) -> None:
    stem = parts[-1].rsplit(".", 1)[0]
    folder = "/".join(parts[:-1])
    page.slug = str(page.meta.get("slug") or (parts[-2] if stem == "index" and len(parts) > 1 else stem))
    categories = _categories(page.meta)
    page.category = _category(page.meta, categories, parts[0] if len(parts) > 1 else "")
    base = f"/{folder}/" if folder else "/"
    if stem == "index":
        _add_urls(page, base)
    else:
        _add_urls(page, f"{base}{stem}.html", f"{base}{stem}/")
