"""Articles: parse and validate one `kb/<category>/<slug>.md`, and edit its front matter in place.

Parsing never raises on bad content: every problem becomes a Diagnostic with the file, line
and key, so `kbgen check` can show an editor all of them at once. Editing works on the text,
so the keys, comments and layout an editor wrote survive byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from . import fastyaml, yamlio
from .errors import ERROR, WARNING, Diagnostic, KbgenError

STATUSES = ("draft", "published", "archived")
AUDIENCES = ("public", "internal")
KNOWN_KEYS = (
    "title",
    "status",
    "audience",
    "summary",
    "questions",
    "tags",
    "updated",
    "review_by",
    "owner",
    # written by `kbgen draft` / `kbgen promote`
    "source_notes",
    "gap_id",
    "reviewer",
)
MAX_BYTES = 1024 * 1024
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"index", "search", "404", "assets", "tags"})

_BOUNDARY_RE = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)
_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:", re.MULTILINE)


DRAFTING_NOTE = "Drafted by kbgen from gap"  # how a draft's body starts until an editor rewrites it


@dataclass
class Article:
    """One article as an editor wrote it, with typed fields and the unknown keys kept aside."""

    path: Path
    rel: str  # path relative to the project root, for messages
    category: str
    slug: str
    title: str
    body: str
    status: str = "published"
    audience: str = "public"
    summary: str = ""
    questions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    updated: date | None = None
    review_by: date | None = None
    owner: str = ""
    source_notes: list[str] = field(default_factory=list)  # the gap notes a draft came from
    gap_id: str = ""
    reviewer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    body_line: int = 1  # line of the file where the body starts
    front_matter: str = field(default="", repr=False)
    _key_lines: dict[str, int] | None = field(default=None, repr=False)

    @property
    def is_public(self) -> bool:
        """Published and public: the only articles that reach the customers' site."""
        return self.status == "published" and self.audience == "public"

    @property
    def src_uri(self) -> str:
        """Where the article sits in the site's docs tree: `<category>/<slug>.md`."""
        return f"{self.category}/{self.slug}.md"

    @property
    def url_path(self) -> str:
        """The article's page on the site, relative to the site root."""
        return f"{self.category}/{self.slug}/"

    @property
    def kbgen_drafting(self) -> bool:
        """A draft whose body still holds kbgen's drafting note: nobody has rewritten it yet."""
        return DRAFTING_NOTE in self.body

    def line_of(self, key: str) -> int:
        """The line of a front-matter key, for messages (found only when a message needs it)."""
        if self._key_lines is None:
            self._key_lines = key_lines(self.front_matter)
        return self._key_lines.get(key, 1)


def _yaml_loader() -> type:
    """A fast safe loader that keeps dates as text, so a bad date is reported with its key."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type, misc]
        pass

    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    return Loader


_LOADER: type | None = None


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, line where the body starts), or None when the file has none."""
    import frontmatter

    handler = frontmatter.YAMLHandler()
    if not handler.detect(text):
        return None
    try:
        fm, body = handler.split(text)
    except ValueError:  # an opening '---' that is never closed
        return None
    # the closing '---' is on line fm.count("\n") + 1; the body starts on the next line
    return fm, body[1:] if body.startswith("\n") else body, fm.count("\n") + 2


def key_lines(fm: str) -> dict[str, int]:
    """Line numbers (in the file) of the top-level front-matter keys."""
    lines: dict[str, int] = {}
    for match in _KEY_RE.finditer(fm):
        lines.setdefault(match.group(1), fm.count("\n", 0, match.start()) + 1)
    return lines


def read_text(path: Path, rel: str) -> tuple[str | None, list[Diagnostic]]:
    """A file's text, or a diagnostic when it is too large, binary or not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Diagnostic(rel, 0, ERROR, "unreadable", f"the file cannot be read: {exc.strerror}")]
    if len(data) > MAX_BYTES:
        size = len(data) / 1024 / 1024
        return None, [
            Diagnostic(rel, 0, ERROR, "too-large", f"the file is {size:.1f} MB; articles must be under 1 MB")
        ]
    if b"\x00" in data:
        return None, [Diagnostic(rel, 0, ERROR, "not-text", "this is a binary file, not a Markdown text file")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            Diagnostic(
                rel,
                line,
                ERROR,
                "not-utf8",
                "the file is not UTF-8 text; save it as UTF-8 in your editor",
            )
        ]


def parse_article(path: Path, rel: str, category: str, text: str) -> tuple[Article | None, list[Diagnostic]]:
    """Parse and validate one article's text; the article is None when it cannot be used at all."""
    global _LOADER
    import yaml

    slug = path.stem
    diags: list[Diagnostic] = []

    def problem(rule: str, message: str, key: str = "", line: int = 0, severity: str = ERROR) -> None:
        diags.append(Diagnostic(rel, line, severity, rule, message, key))

    if not SLUG_RE.match(slug):
        problem(
            "bad-slug",
            f"the file name '{path.name}' becomes the page address, so it must use only lowercase "
            "letters, digits and single hyphens (for example 'reset-password.md')",
            line=1,
        )
    elif slug in RESERVED_SLUGS:
        problem("bad-slug", f"'{slug}' is reserved for the site's own pages; rename the file", line=1)

    parts = split_front_matter(text)
    if parts is None:
        problem(
            "missing-front-matter",
            "the file has no front matter; start it with a line '---', then 'title: ...', then '---'",
            key="title",
            line=1,
        )
        return None, diags
    fm, body, body_line = parts
    for key, first, again in yamlio.repeated_keys(fm):
        problem(
            "duplicate-key",
            f"'{key}' is given twice (lines {first + 1} and {again + 1}); only the last would count, "
            "so keep the one you mean",
            key,
            again + 1,
        )
    repeated = any(d.rule == "duplicate-key" for d in diags)
    try:
        meta = fastyaml.load(fm)
        if meta is None:
            if _LOADER is None:
                _LOADER = _yaml_loader()
            meta = yamlio.load(fm, _LOADER)
    except yamlio.YamlTooLarge as exc:
        problem("yaml-too-large", f"the front matter cannot be used: {exc}", line=1)
        return None, diags
    except RecursionError:
        problem("yaml-too-large", "the front matter is nested too deeply to read", line=1)
        return None, diags
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or "it cannot be read"
        problem(
            "yaml-syntax",
            f"the front matter is not valid YAML ({what}); check indentation, colons and quotes",
            # a problem found at the closing '---' belongs to the last line of the front matter
            line=min(mark.line + 1, fm.rstrip().count("\n") + 1) if mark else 1,
        )
        return None, diags
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        problem("yaml-syntax", "the front matter must be a list of 'key: value' lines", line=2)
        return None, diags
    if repeated:  # which value was meant is the editor's call: the article is not used until then
        return None, diags

    lines: dict[str, int] | None = None

    def at(key: str) -> int:
        nonlocal lines
        if lines is None:
            lines = key_lines(fm)
        return lines.get(key, 1)

    def text_value(key: str, required: bool = False) -> str:
        value = meta.get(key)
        if value is None:
            if required:
                problem("missing-title", "the article has no title; add a line 'title: ...'", key, 1)
            return ""
        if isinstance(value, (dict, list)) or isinstance(value, bool):
            problem("wrong-type", f"'{key}' must be a line of text", key, at(key))
            return ""
        value = str(value).strip()
        if required and not value:
            problem("missing-title", "the title is empty; write the question the article answers", key, at(key))
        return value

    def text_list(key: str) -> list[str]:
        value = meta.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            problem(
                "wrong-type",
                f"'{key}' must be a list: one '- item' per line, or [a, b] on one line",
                key,
                at(key),
            )
            return []
        items: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
                problem("wrong-type", f"item {index + 1} of '{key}' must be text", key, at(key) + index + 1)
                continue
            item = str(item).strip()
            if item:
                items.append(item)
        return items

    def date_value(key: str) -> date | None:
        value = meta.get(key)
        if value is None or value == "":
            return None
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            problem(
                "bad-date",
                f"'{key}' is '{value}', which is not a date; write it as YYYY-MM-DD, like 2026-11-20",
                key,
                at(key),
            )
            return None

    def choice(key: str, allowed: tuple[str, ...], default: str) -> str:
        value = meta.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or value.strip() not in allowed:
            problem(
                f"unknown-{key}",
                f"'{key}' is '{value}'; it must be one of: {', '.join(allowed)}",
                key,
                at(key),
            )
            return default
        return value.strip()

    title = text_value("title", required=True)
    status = choice("status", STATUSES, "published")
    audience = choice("audience", AUDIENCES, "public")
    summary = text_value("summary")
    owner = text_value("owner")
    questions = text_list("questions")
    tags = text_list("tags")
    updated = date_value("updated")
    review_by = date_value("review_by")
    source_notes = text_list("source_notes")
    gap_id = text_value("gap_id")
    reviewer = text_value("reviewer")
    extra = {key: value for key, value in meta.items() if key not in KNOWN_KEYS}
    for key in extra:
        problem(
            "unknown-key",
            f"'{key}' is not a key kbgen knows; it is kept as is (check the spelling)",
            str(key),
            at(str(key)),
            WARNING,
        )
    if not body.strip():
        problem("empty-body", "the article has no text below the front matter", line=body_line)

    article = Article(
        path=path,
        rel=rel,
        category=category,
        slug=slug,
        title=title,
        body=body,
        status=status,
        audience=audience,
        summary=summary,
        questions=questions,
        tags=tags,
        updated=updated,
        review_by=review_by,
        owner=owner,
        source_notes=source_notes,
        gap_id=gap_id,
        reviewer=reviewer,
        extra=extra,
        body_line=body_line,
        front_matter=fm,
        _key_lines=lines,
    )
    return article, diags


# --- editing ------------------------------------------------------------------------------


def _dump_value(key: str, value: Any) -> str:
    """One top-level entry in the style the demo articles use (lists indented under their key)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            return super().increase_indent(flow, False)

    if isinstance(value, date):
        return f"{key}: {value.isoformat()}\n"
    return yaml.dump(
        {key: value}, Dumper=Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000
    )


def _front_matter_span(text: str, where: str) -> tuple[int, int]:
    """Offsets of the front matter's inside (between the two '---' lines)."""
    if not text.startswith("---"):
        raise KbgenError("the file has no front matter to edit", path=where, line=1)
    first = _BOUNDARY_RE.match(text)
    if not first:
        raise KbgenError("the file has no front matter to edit", path=where, line=1)
    start = first.end() + 1
    closing = _BOUNDARY_RE.search(text, start)
    if not closing:
        raise KbgenError("the front matter is not closed by a '---' line", path=where, line=1)
    return start, closing.start()


def _key_block(fm: str, key: str) -> tuple[int, int] | None:
    """Offsets of KEY's whole entry (its line and the indented lines that continue it)."""
    match = re.search(rf"^{re.escape(key)}[ \t]*:.*$", fm, re.MULTILINE)
    if not match:
        return None
    end = match.end() + 1 if match.end() < len(fm) else match.end()
    for line in re.finditer(r"^.*(?:\n|$)", fm[end:], re.MULTILINE):
        content = line.group(0)
        if not content or not (content[0] in " \t-" or content.strip() == ""):
            break
        if content.startswith("-") and not _KEY_RE.match(content):
            end += len(content)
            continue
        if content[0] in " \t" or content.strip() == "":
            end += len(content)
            continue
        break
    return match.start(), end


def set_front_matter(text: str, changes: dict[str, Any], where: str = "") -> str:
    """TEXT with the given top-level keys set (replaced or appended); everything else untouched."""
    start, stop = _front_matter_span(text, where)
    fm = text[start:stop]
    for key, value in changes.items():
        block = _key_block(fm, key)
        rendered = _dump_value(key, value)
        if block is None:
            if fm and not fm.endswith("\n"):
                fm += "\n"
            fm += rendered
        else:
            old = fm[block[0] : block[1]]
            comment = re.match(rf"{re.escape(key)}[ \t]*:[^#\n]*?([ \t]+#[^\n]*)\n", old)
            if comment and "\n" not in rendered.rstrip("\n"):
                rendered = rendered.rstrip("\n") + comment.group(1) + "\n"
            trailing_blank = old[len(old.rstrip("\n")) + 1 :] if old.endswith("\n\n") else ""
            fm = fm[: block[0]] + rendered + trailing_blank + fm[block[1] :]
    return text[:start] + fm + text[stop:]


def add_to_list(text: str, key: str, items: list[str], where: str = "") -> str:
    """TEXT with ITEMS appended to the front-matter list KEY, keeping the existing lines as they are."""
    import yaml

    if not items:
        return text
    start, stop = _front_matter_span(text, where)
    fm = text[start:stop]
    block = _key_block(fm, key)
    if block is None:
        return set_front_matter(text, {key: list(items)}, where)
    old = fm[block[0] : block[1]]
    body = old.rstrip("\n")
    first_line, _, rest = body.partition("\n")
    item_lines = [line for line in rest.split("\n") if line.lstrip().startswith("- ")]
    if not item_lines:
        # flow style or empty value: rewrite this one key from its parsed value
        current = yaml.safe_load(old) or {}
        values = list(current.get(key) or [])
        return set_front_matter(text, {key: values + list(items)}, where)
    indent = item_lines[-1][: len(item_lines[-1]) - len(item_lines[-1].lstrip())]
    added = "".join(
        indent + "- " + yaml.safe_dump(item, allow_unicode=True, width=1000).removesuffix("\n...\n").strip() + "\n"
        for item in items
    )
    new = body + "\n" + added + old[len(body) + 1 :]
    return text[:start] + fm[: block[0]] + new + fm[block[1] :] + text[stop:]


def render_article(meta: dict[str, Any], body: str) -> str:
    """A new article file: front matter in the documented key order, then the body."""
    ordered = {key: meta[key] for key in KNOWN_KEYS if key in meta}
    ordered.update({key: value for key, value in meta.items() if key not in ordered})
    fm = "".join(_dump_value(key, value) for key, value in ordered.items())
    return f"---\n{fm}---\n{body.rstrip()}\n"


def edit_file(path: Path, rel: str, edit: Callable[[str], str]) -> bool:
    """Apply EDIT to an article file's text and write it back atomically; True when it changed.

    EDIT sees the text with plain '\\n' line ends and no byte-order mark; the file keeps its own
    (Windows line ends, a BOM), so an edit changes only the lines it means to.
    """
    from .files import atomic_write_text

    text, problems = read_text(path, rel)
    if text is None:
        raise KbgenError(problems[0].message if problems else "the file cannot be read", path=rel)
    bom = path.read_bytes()[:3] == b"\xef\xbb\xbf"
    crlf = "\r\n" in text
    plain = text.replace("\r\n", "\n")
    changed = edit(plain)
    if changed == plain:
        return False
    if crlf:
        changed = changed.replace("\n", "\r\n")
    atomic_write_text(path, ("\ufeff" if bom else "") + changed)
    return True
