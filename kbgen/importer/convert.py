"""Template and MDX constructs in a page's body: converted where kbgen has an equivalent,
removed and reported where it has none (Liquid includes, MDX imports and components).

Removals keep the line breaks they held, so every later problem is reported at its source line.
"""

from __future__ import annotations

import posixpath
import re
import textwrap
from collections.abc import Callable
from typing import Any

from ..escape import markdown_inline
from .model import Problem

BREAK = "\x00"  # a line break added once every problem has been reported at its source line
PARTIAL = "\x01"  # around the source path of a partial whose text goes here (`<Snippet />`)
FILE_LINK = "kbgen-source-file:"  # `{% link path %}`, resolved with the other links
POST_LINK = "kbgen-source-post:"  # `{% post_url name %}`

_FENCE = re.compile(r"^[ \t\x00]*(```|~~~).*?^[ \t\x00]*\1[ \t\x00]*$", re.MULTILINE | re.DOTALL)  # \x00: convert.BREAK
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
_SITE_URL = re.compile(r"\{\{-?\s*site\.(?:baseurl|url)\s*-?\}\}")
_URL_FILTER = re.compile(r"\{\{-?\s*(['\"])(.*?)\1\s*\|\s*(?:relative_url|absolute_url|prepend:\s*site\.baseurl)\s*-?\}\}")
_LINK_TAG = re.compile(r"\{%-?\s*link\s+(\S+?)\s*-?%\}")
_POST_TAG = re.compile(r"\{%-?\s*post_url\s+(\S+?)\s*-?%\}")
_PAGE_VALUE = re.compile(r"\{\{-?\s*page\.(\w+)\s*-?\}\}")
_IMAGE_INCLUDE = re.compile(r"\{%-?\s*include\s+([\w./-]*(?:image|figure|img|picture|screenshot)[\w./-]*)\s+(.*?)-?%\}",
                            re.IGNORECASE | re.DOTALL)
_INCLUDE_PARAM = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|page\.(\w+))""")
IMAGE_PARAMS = ("image", "src", "url", "file", "path", "img")
_LIQUID = re.compile(r"\{%-?.*?-?%\}|\{\{-?.*?-?\}\}", re.DOTALL)
# `import X from '...'`, `import {A, B} from "..."`, `import '...'`, `export const x = ...` (not prose that
# starts a line with "import your contacts" or "export the file")
_MDX_IMPORT = re.compile(r"^(?:import\s+(?:\w+|\{[^}]*\}|\*\s+as\s+\w+)(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?\s+from\s+"
                         r"['\"][^'\"]+['\"]|import\s+['\"][^'\"]+['\"]|export\s+(?:default|const|let|var|function|class)\b.*?)"
                         r";?[ \t]*$", re.MULTILINE)
_PARTIAL_IMPORT = re.compile(r"import\s+(\w+)\s+from\s+['\"]([^'\"]+\.mdx?)['\"]")
_MDX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.DOTALL)
_JSX_TAG = re.compile(r"</?([A-Z][\w.]*)(?:\s(?:[^<>{}]|\{[^{}]*\})*)?/?>")
_CODE_OR_TAG = re.compile(r"(`+)[^`\n]*?\1|" + _JSX_TAG.pattern)
_OPEN_LINE = re.compile(r"^([ \t]*)<([A-Z][\w.]*)((?:\s(?:[^<>{}]|\{[^{}]*\})*)?)>[ \t]*$")
_CLOSE_LINE = re.compile(r"^[ \t]*</([A-Z][\w.]*)>[ \t]*$")
_SELF_LINE = re.compile(r"^[ \t]*<([A-Z][\w.]*)(?:\s(?:[^<>{}]|\{[^{}]*\})*)?/>[ \t]*$")
_ATTRIBUTE = re.compile(r"""(\w+)=(?:"([^"]*)"|'([^']*)'|\{["'`]([^"'`]*)["'`]\})""")
_ADMONITION = re.compile(r"^:::[ \t]*(\w+)(?:[ \t]*\[(.*?)\]|[ \t]+(.*?))?[ \t]*\n(.*?)^:::[ \t]*$", re.MULTILINE | re.DOTALL)
# components a Docusaurus page may use without importing them (the theme provides them)
THEME_COMPONENTS = frozenset({"Tabs", "TabItem", "Admonition", "CodeBlock", "Details", "DocCardList", "Highlight",
                              "BrowserWindow", "Mermaid"})
CONVERTED_COMPONENTS = frozenset({"CodeBlock", "Admonition"})  # shown the same way on kbgen's site
ADMONITION_KINDS = {"note", "tip", "info", "warning", "danger", "caution", "important", "success", "question",
                    "failure", "bug", "example", "quote", "abstract"}


class Converter:
    """Converts one page's body, collecting what it could not convert with the source line."""

    def __init__(self, rel: str, body_line: int, problems: list[Problem]):
        self.rel = rel
        self.body_line = body_line
        self.problems = problems

    def report(self, lines_before: int, text: str, offset: int, reason: str) -> None:
        """A problem at OFFSET of TEXT, a part of the body that starts after LINES_BEFORE line breaks."""
        self.problems.append(Problem(self.rel, self.body_line + lines_before + text.count("\n", 0, offset), reason))

    def outside_code(self, body: str, change: Callable[[str, int], str]) -> str:
        """BODY with CHANGE(part, offset of part) applied to the text between fenced code blocks."""
        out, last = [], 0
        for fence in _FENCE.finditer(body):
            out.append(change(body[last:fence.start()], last))
            out.append(fence.group(0))
            last = fence.end()
        out.append(change(body[last:], last))
        return "".join(out)

    # --- Liquid (Jekyll) ------------------------------------------------------------------------

    def liquid_links(self, body: str, meta: dict[str, Any]) -> str:
        """Site addresses and link tags written in Liquid, as plain addresses the link step resolves;
        `{{ page.key }}` as the page's own value, and an image include as a Markdown image."""
        def page_value(name: str) -> str | None:
            value = meta.get(name)
            return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None

        def image(match: re.Match[str]) -> str:
            params = {m.group(1): m.group(2) or m.group(3) or page_value(m.group(4) or "") or ""
                      for m in _INCLUDE_PARAM.finditer(match.group(2))}
            src = next((params[k] for k in IMAGE_PARAMS if params.get(k)), "")
            if not src or " " in src.strip():
                return match.group(0)  # not an image include kbgen understands: removed and reported later
            alt = next((params[k] for k in ("alt", "caption", "title") if params.get(k)), "")
            return f"![{markdown_inline(alt)}]({src.strip()})"

        body = _IMAGE_INCLUDE.sub(image, body)
        body = _PAGE_VALUE.sub(lambda m: page_value(m.group(1)) or m.group(0), body)
        body = _URL_FILTER.sub(lambda m: m.group(2), body)
        body = _SITE_URL.sub("", body)
        body = _LINK_TAG.sub(lambda m: FILE_LINK + m.group(1), body)
        return _POST_TAG.sub(lambda m: POST_LINK + m.group(1), body)

    def liquid_rest(self, body: str) -> str:
        """Every other Liquid construct removed and reported; `{% raw %}` blocks kept as written."""
        out, last = [], 0
        for raw in _RAW.finditer(body):
            out.append(self._strip_liquid(body, last, raw.start()))
            out.append(raw.group(1))
            last = raw.end()
        out.append(self._strip_liquid(body, last, len(body)))
        return "".join(out)

    def _strip_liquid(self, body: str, start: int, stop: int) -> str:
        before = body.count("\n", 0, start)
        part = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), body[start:stop])

        def remove(match: re.Match[str]) -> str:
            text = " ".join(match.group(0).split())
            what = "an include" if re.match(r"\{%-?\s*include", text) else "Liquid"
            self.report(before, part, match.start(), f"{what} '{_short(text)}' removed: kbgen pages have no "
                        "templates; write its text into the article if it is needed")
            return "\n" * match.group(0).count("\n")

        return _LIQUID.sub(remove, part)

    # --- MDX (Docusaurus) -------------------------------------------------------------------------

    def mdx(self, body: str, partials: frozenset[str] = frozenset()) -> str:
        """MDX as Markdown: imports and exports removed, components converted or removed; a tag that
        names no component of the page (`<Enter>` in prose) is kept as text. `<Snippet />` on a line
        of its own, for a Markdown file of PARTIALS the page imports, becomes a PARTIAL mark the
        caller replaces with that file's text."""
        components = set(THEME_COMPONENTS)
        imported: dict[str, str] = {}  # component name -> the partial it stands for

        def change(part: str, offset: int) -> str:
            before = body.count("\n", 0, offset)  # every removal below keeps its line breaks
            original = part

            def drop_import(match: re.Match[str]) -> str:
                names = match.group(0).split(" from ", 1)[0].removeprefix("import")
                components.update(re.findall(r"\b[A-Z]\w*", names))
                partial = _PARTIAL_IMPORT.match(match.group(0))
                if partial and partial.group(2).startswith("."):
                    rel = posixpath.normpath(posixpath.join(posixpath.dirname(self.rel), partial.group(2)))
                    if rel in partials:
                        imported[partial.group(1)] = rel
                        return ""
                self.report(before, original, match.start(), f"MDX '{_short(match.group(0))}' removed: kbgen "
                            "articles are Markdown, without code")
                return ""

            part = _MDX_IMPORT.sub(drop_import, part)
            return _MDX_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), part)

        body = self.outside_code(body, change)
        seen: set[str] = set()
        body = self._component_blocks(body, seen, components, imported)

        def inline(part: str, offset: int) -> str:
            before = body.count("\n", 0, offset)

            def drop_tag(match: re.Match[str]) -> str:
                if match.group(1):  # a code span: shown as written
                    return match.group(0)
                name = match.group(2)
                if name.split(".")[0] not in components:
                    return match.group(0).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                if name not in seen:
                    seen.add(name)
                    self.report(before, part, match.start(), _removed(name))
                return "\n" * match.group(0).count("\n")

            return _CODE_OR_TAG.sub(drop_tag, part)

        return self.outside_code(body, inline)

    def _component_blocks(self, body: str, seen: set[str], components: set[str], imported: dict[str, str]) -> str:
        """Components whose tags stand on lines of their own: `<CodeBlock>` becomes a fenced block,
        `<Admonition>` an admonition, a `<TabItem>` its label in bold; any other is removed. The lines
        inside lose the indentation JSX gave them (else Markdown would read them as code)."""
        lines = body.split("\n")
        stack: list[tuple[str, int, dict[str, str]]] = []
        space_before: set[int] = set()  # lines a converted block starts on
        space_after: set[int] = set()  # and ends on
        fence = ""
        for i, line in enumerate(lines):
            stripped = line.strip()
            if fence:
                if stripped.startswith(fence):
                    fence = ""
                continue
            if stripped.startswith(("```", "~~~")):
                fence = stripped[:3]
                continue
            opening = _OPEN_LINE.match(line)
            if opening and opening.group(2).split(".")[0] not in components:
                continue  # not a component: the inline pass shows it as text
            if opening and not stripped.endswith("/>"):
                stack.append((opening.group(2), i, _attributes(opening.group(3))))
                continue
            closing = _CLOSE_LINE.match(line)
            if closing and any(name == closing.group(1) for name, _, _ in stack):
                while stack:
                    name, start, attrs = stack.pop()
                    if name == closing.group(1):
                        break
                    lines[start] = ""  # never closed: only its tag goes
                    self._note(seen, name, start)
                indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
                first, last, deeper = _block(name, attrs)
                if name not in CONVERTED_COMPONENTS:
                    self._note(seen, name, start)
                inner = textwrap.dedent("\n".join(lines[start + 1 : i])).split("\n")
                pad = indent + " " * deeper
                lines[start + 1 : i] = [pad + text if text.strip() else "" for text in inner]
                lines[start] = indent + first if first else ""
                lines[i] = indent + last if last else ""
                if first:
                    space_before.add(start)
                    space_after.add(i if last else start if not deeper else i)
                continue
            single = _SELF_LINE.match(line)
            if single and single.group(1) in imported:
                lines[i] = PARTIAL + imported[single.group(1)] + PARTIAL
                continue
            if single and single.group(1).split(".")[0] in components:
                self._note(seen, single.group(1), i)
                lines[i] = ""
        for name, start, _ in stack:  # opened, never closed
            self._note(seen, name, start)
            lines[start] = ""
        # blocks need blank lines around them; added at the very end (BREAK), so lines still count
        for index in space_before:
            lines[index] = BREAK + lines[index]
        for index in space_after:
            lines[index] += BREAK
        return "\n".join(lines)

    def _note(self, seen: set[str], name: str, index: int) -> None:
        if name not in seen:
            seen.add(name)
            self.report(index, "", 0, _removed(name))

    def admonitions(self, body: str) -> str:
        """Docusaurus' `:::tip Title` blocks as the site's `!!! tip "Title"` admonitions."""
        def change(part: str, offset: int) -> str:
            def convert(match: re.Match[str]) -> str:
                kind = match.group(1).lower()
                kind = kind if kind in ADMONITION_KINDS else "note"
                title = (match.group(2) or match.group(3) or "").strip().replace('"', "'")
                inner = "".join(("    " + line if line.strip() else line) for line in match.group(4).splitlines(True))
                heading = f' "{title}"' if title else ""
                return f"!!! {kind}{heading}\n{inner}"

            return _ADMONITION.sub(convert, part)

        return self.outside_code(body, change)


def _removed(name: str) -> str:
    return f"MDX component <{name}> removed (the text inside it is kept): kbgen articles are Markdown"


def _attributes(text: str) -> dict[str, str]:
    return {m.group(1): next(g for g in m.groups()[1:] if g is not None) for m in _ATTRIBUTE.finditer(text or "")}


def _block(name: str, attrs: dict[str, str]) -> tuple[str, str, int]:
    """(first line, last line, extra indentation of the lines inside) for a component on lines of its own."""
    if name == "CodeBlock":
        return "```" + re.sub(r"[^\w+-]", "", attrs.get("language", "")), "```", 0
    if name == "Admonition":
        kind = attrs.get("type", "note").lower()
        kind = kind if kind in ADMONITION_KINDS else "note"
        title = " ".join(attrs.get("title", "").split()).replace('"', "'")
        return f"!!! {kind}" + (f' "{title}"' if title else ""), "", 4
    if name == "TabItem" and attrs.get("label", "").strip():
        return f"**{markdown_inline(attrs['label'])}**", "", 0  # the tab's name, above its text
    return "", "", 0


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
