"""Live markup in untrusted text: HTML that would run or change a page if it were ever rendered.

Notes are shown escaped everywhere, so this is defence in depth and a clear error for the
agent, not the only guard. It must tell live markup from words about markup: "my <form>
field", "JavaScript: is it required?" or "the <script></script> snippet" are a customer's
words. So the text is tokenized the way a browser would (the standard library's HTML
parser: quoted attributes, `/` between attributes, entities, `</script x>`), and only these
count:

- an element with an event handler attribute (`onerror=`, `onload=`...);
- a script or style element with content, or an element with an attribute that loads or
  redirects (`<script src>`, `<iframe src>`, `<object data>`, `<base href>`, `<link href>`,
  `<meta http-equiv>`...);
- an attribute whose value is a `javascript:`, `vbscript:` or HTML/SVG `data:` URL (after
  entities, spaces and control characters are taken out, as browsers do).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# elements that load or redirect, and the attributes that make them do it
_LOADING = {
    "script": {"src", "href", "xlink:href"}, "iframe": {"src", "srcdoc"}, "frame": {"src"}, "object": {"data", "codebase"},
    "embed": {"src"}, "applet": {"code", "codebase", "archive"}, "portal": {"src"}, "base": {"href"},
    "link": {"href"}, "meta": {"http-equiv"},
}
_CONTENT = {"script", "style"}
_SCRIPT_URL = re.compile(r"^(?:javascript|vbscript|livescript):|^data:(?:text/html|image/svg|application/)")
_IGNORED_IN_URL = re.compile(r"[\x00-\x20]+")


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = ""
        self._open: str = ""  # a script or style element whose content is being read
        self._content = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag in _CONTENT:
            self._open, self._content = tag, ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._open:
            self._content += data

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            if self._content.strip() and not self.found:
                self.found = f"a <{tag}> element with content"
            self._open = ""

    def ended_late(self, pending: str) -> bool:
        """Whether an open script or style element ends in PENDING, text the parser held back
        (browsers also end it at "</script x>" or "</script/>"), with content before the end."""
        if not self._open:
            return False
        content, _, rest = (self._content + pending).lower().partition(f"</{self._open}")
        return rest[:1] in (" ", "/", "\t", "\n") and bool(content.strip())

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.found:
            return
        for name, value in attrs:
            if name.startswith("on") and len(name) > 2:
                self.found = f"<{tag} {name}=...>"
                return
            if value and _SCRIPT_URL.match(_IGNORED_IN_URL.sub("", value).lower()):
                self.found = f"<{tag} {name}=\"{value[:20]}...\">"
                return
        loading = [name for name, value in attrs if value and name in _LOADING.get(tag, ())]
        if loading:
            self.found = f"<{tag} {loading[0]}=...>"


# Where a browser may end raw text or a comment sooner than Python's parser does: after any of
# these, what follows is read again as markup of its own (`<noscript><p title="</noscript><img
# onerror=...>">` runs in a browser with scripting on; `<!--><img onerror=...>` is an empty comment).
_RESTARTS = re.compile(r"</(?:noscript|textarea|title|style|xmp|noembed|noframes|iframe|script|template|svg|math)|-->|--!>|<!-->", re.I)


# a tag still open when the text ends: `<img src=x onerror=...` with no `>` (a tag name, then space or /)
_OPEN_AT_END = re.compile(r"<[A-Za-z][A-Za-z0-9-]*[\s/][^<>]*$")


def live_markup(text: str) -> str:
    """The first live construct in TEXT, described briefly; "" when there is none.

    TEXT counts as live if any way a browser might read it is: as it stands, from after each
    place raw text or a comment could end early, and with a tag left open at the end closed (a
    template or page around it could close it)."""
    if "<" not in text:
        return ""
    readings = [text, *(text[m.end() :] for m in _RESTARTS.finditer(text))]
    if _OPEN_AT_END.search(text):
        readings.append(text + ">")
    for reading in readings:
        found = _live(reading)
        if found:
            return found
    return ""


def _live(text: str) -> str:
    if "<" not in text:
        return ""
    finder = _Finder()
    try:
        finder.feed(text)
        pending = finder.rawdata  # what the parser holds back: an element it saw no end of
        finder.close()
    except Exception:  # the parser is lenient by design; never let odd text stop a note
        return ""
    if not finder.found and finder.ended_late(pending):
        return "a script or style element with content"
    return finder.found
