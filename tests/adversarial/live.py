"""Finds markup that would run, redirect or load something in built HTML, as a browser parses it.

Hostile test inputs all carry the word PWNED; only live places that hold it are reported, so
the theme's own scripts and attributes never count.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

MARK = "PWNED"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "srcdoc", "poster", "background"}


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False
        self._data_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and MARK in value:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and MARK in value and value.strip().lower().startswith(("javascript:", "data:", "vbscript:", "//")):
                self.found.append(f"<{tag} {name}={value!r}>")
            if tag == "meta" and name == "http-equiv":
                self.found.append(f"<meta http-equiv={value!r}>")
        if tag in ("iframe", "base", "form", "object", "embed") and any(MARK in (v or "") for _, v in attrs):
            self.found.append(f"<{tag}>")
        self._script = tag == "script"
        kind = (dict(attrs).get("type") or "").strip().lower()
        self._data_script = self._script and kind in ("application/ld+json", "application/json")

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if not (self._script and MARK in data):
            return
        if self._data_script:  # data, not code: live only if the text broke out of the JSON
            try:
                json.loads(data)
                return
            except ValueError:
                pass
        self.found.append(f"<script>{data[:60]!r}")


def live_markup(html: str) -> list[str]:
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.found


def live_markup_in_site(site: Path) -> dict[str, list[str]]:
    found = {}
    for page in sorted(site.rglob("*.html")):
        hits = live_markup(page.read_text(encoding="utf-8", errors="replace"))
        if hits:
            found[str(page.relative_to(site))] = hits
    return found
