"""Links between pages: every address the old site used, turned into a file link between the
imported articles (or to a copied image), external links left alone.

A page is found by its source file (relative `.md` links, `{% link %}`), by the addresses the old
site served it at (`/article/slug/`, `/docs/x`), or, failing both, by a last path segment that
names one page only.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .convert import FILE_LINK, POST_LINK
from .model import Source, SourcePage
from .reading import PAGE_SUFFIXES, inside

_FENCE = re.compile(r"^[ \t\x00]*(```|~~~).*?^[ \t\x00]*\1[ \t\x00]*$", re.MULTILINE | re.DOTALL)  # \x00: convert.BREAK
_CODE_SPAN = re.compile(r"`[^`\n]+`")
_INLINE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
_REF_DEF = re.compile(r"^[ ]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t]+.*)?$", re.MULTILINE)
_HTML = re.compile(r"<(?:a|img|source|video|audio)\b[^>]*?\s(?:href|src)\s*=\s*([\"'])([^\"']*)\1", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_SUFFIXES = (".html", ".htm", *PAGE_SUFFIXES)
# the site's own configuration and code: never copied into the published docs
NOT_COPIED = frozenset({".yml", ".yaml", ".json", ".toml", ".lock", ".env", ".ini", ".cfg", ".conf", ".pem", ".key",
                        ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".rb", ".py", ".php", ".sh", ".liquid",
                        ".html", ".htm", ".css", ".scss", ".sass"})
MAX_ASSET_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    """What a link points to: an imported page, a file to copy, or the old site's home page."""

    kind: str  # page | asset | home | refused (a file that is not copied, for REASON)
    page: SourcePage | None = None
    file: Path | None = None
    reason: str = ""
    guessed: bool = False  # found by the last part of the address only


def find_links(body: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, target, in_html) of every link and image address in BODY, outside code."""
    masked = body
    if "```" in masked or "~~~" in masked:
        masked = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), masked)
    if "`" in masked:
        masked = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), masked)
    found = [(m.start(1), m.end(1), m.group(1), False) for m in _INLINE.finditer(masked)]
    found += [(m.start(1), m.end(1), m.group(1), False) for m in _REF_DEF.finditer(masked)]
    found += [(m.start(2), m.end(2), m.group(2), True) for m in _HTML.finditer(masked)]
    return sorted(found)


def normal_url(url: str) -> str:
    """An address as the index keeps it: no trailing slash, `index.html`, `.html` or `.md`."""
    url = unquote(url).split("#", 1)[0].split("?", 1)[0]
    url = "/" + url.strip("/")
    if url.endswith("/index.html") or url.endswith("/index"):
        url = url.rsplit("/", 1)[0] or "/"
    for suffix in _SUFFIXES:
        if url.endswith(suffix):
            url = url[: -len(suffix)]
            break
    return url.lower() or "/"


class Resolver:
    """Finds what each link of the source points to."""

    def __init__(self, source: Source):
        self.source = source
        self.by_file = {page.rel: page for page in source.pages}
        self.by_url: dict[str, SourcePage] = {}
        names: dict[str, set[int]] = {}
        for page in source.pages:
            for url in page.urls:
                self.by_url.setdefault(normal_url(url), page)
                last = normal_url(url).rsplit("/", 1)[-1]
                names.setdefault(last, set()).add(id(page))
            for name in (page.slug.lower(), page.path.name.rsplit(".", 1)[0].lower()):
                names.setdefault(name, set()).add(id(page))
        by_id = {id(page): page for page in source.pages}
        # a last segment that names exactly one page, for addresses the permalinks did not foresee
        self.by_name = {name: by_id[next(iter(ids))] for name, ids in names.items() if len(ids) == 1 and name}
        self.homes = {normal_url(url) for url in source.home_urls}

    def resolve(self, page: SourcePage, target: str) -> Target | None:
        """What TARGET points to; None for external and same-page links, and for unknown targets."""
        if target.startswith(FILE_LINK):
            return self._file(target[len(FILE_LINK):].lstrip("/"))
        if target.startswith(POST_LINK):
            name = target[len(POST_LINK):].strip("/")
            for other in self.source.pages:
                stem = other.rel.rsplit(".", 1)[0]
                if "_posts/" in other.rel and (stem.endswith("/" + name) or stem == name):
                    return Target("page", other)
            return None
        if not target or target.startswith(("#", "//")) or _SCHEME.match(target):
            return None
        path = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not path:
            return None
        if path.startswith("/"):
            path = posixpath.normpath(path) + ("/" if path.endswith("/") and path != "/" else "")
            base = self.source.base_url
            if base and (path == base or path.startswith(base + "/")):
                path = path[len(base):] or "/"
            return self._address(path) or self._static(path) or self._by_name(path)
        here = posixpath.dirname(page.rel)
        joined = posixpath.normpath(posixpath.join(here, path))
        if joined.startswith("../") or joined == "..":
            return None  # outside the source: never read
        found = self._file(joined)
        if found:
            return found
        if joined in self.source.home_files:
            return Target("home")
        if joined.lower().endswith(PAGE_SUFFIXES) and (self.source.root / joined).is_file():
            return None  # a page of the source that was not imported
        # an address relative to the page's own address on the old site (`../billing/refunds/`)
        for url in page.urls[:1]:
            folder = url if url.endswith("/") else posixpath.dirname(url) + "/"
            found = self._address(posixpath.normpath(posixpath.join(folder, path)))
            if found:
                return found
        return self._by_name(path)

    def _file(self, rel: str) -> Target | None:
        """A source file by its path from the source root: a page, or a file to copy."""
        rel = rel.strip("/")
        for candidate in (rel, *(rel + s for s in PAGE_SUFFIXES), f"{rel}/index.md", f"{rel}/README.md",
                          f"{rel}/index.mdx"):
            if candidate in self.by_file:
                return Target("page", self.by_file[candidate])
        return self._asset(self.source.root / rel) if rel and not rel.lower().endswith(PAGE_SUFFIXES) else None

    def _address(self, url: str) -> Target | None:
        key = normal_url(url)
        if key in self.by_url:
            return Target("page", self.by_url[key])
        if key in self.homes:
            return Target("home")
        return None

    def _static(self, url: str) -> Target | None:
        for folder in self.source.static_roots:
            path = folder / url.lstrip("/")
            if not path.name.lower().endswith(PAGE_SUFFIXES):
                found = self._asset(path)
                if found:
                    return found
        return self._file(url.lstrip("/"))

    def _asset(self, path: Path) -> Target | None:
        """A file of the source to copy beside the articles (an image, a download), never a hidden
        file, a symbolic link, the site's configuration or code, or anything outside the source."""
        root = self.source.root
        try:
            if path.is_symlink() or not path.is_file() or not inside(root, path):
                return None
            path = path.resolve()
            size = path.stat().st_size
        except OSError:
            return None
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts):
            return None
        if path.suffix.lower() in NOT_COPIED:
            return Target("refused", file=path, reason="it is a file of the old site's own configuration or code, "
                          "not copied")
        if size > MAX_ASSET_BYTES:
            return Target("refused", file=path, reason=f"the file is {size / 1024 / 1024:.0f} MB; files over "
                          f"{MAX_ASSET_BYTES // 1024 // 1024} MB are not copied")
        return Target("asset", file=path)

    def _by_name(self, path: str) -> Target | None:
        last = normal_url(path).rsplit("/", 1)[-1]
        extension = posixpath.splitext(path.rstrip("/"))[1].lower()
        if extension and extension not in _SUFFIXES:
            return None  # a file, not a page address
        page = self.by_name.get(last)
        return Target("page", page, guessed=True) if page else None
