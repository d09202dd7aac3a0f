"""One escaper per kind of output, for text kbgen did not write itself.

Front matter, category settings, agents' notes and file names are untrusted wherever they
reach HTML, Markdown, a terminal or a GitHub annotation. Every writer of those outputs goes
through the function here for its kind, so there is one place to get each one right.
"""

from __future__ import annotations

import html as _html
import re

__all__ = ["html_text", "html_attr", "markdown_inline", "markdown_url", "terminal", "rich_text", "github_data", "github_property"]


def html_text(text: object) -> str:
    """TEXT as HTML character data. Quotes are escaped too, so the result is also safe inside a
    double- or single-quoted attribute, and templates that print it raw cannot be broken out of."""
    return _html.escape(str(text), quote=True)


def html_attr(text: object) -> str:
    """TEXT as the value of a quoted HTML attribute (what a `<meta content="...">` receives)."""
    return _html.escape(" ".join(str(text).split()), quote=True)


# What Python-Markdown (mkdocs) and GitHub both undo when backslash-escaped.
_MD_BACKSLASH = re.compile(r"([\\`*_{}\[\]()#+!])")
# What Python-Markdown would print with its backslash: written as a character reference instead.
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;", "$": "&#36;", '"': "&quot;"}
_MD_ENTITY_RE = re.compile("[&<>|~$\"]")
_URL_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|javascript|data|vbscript|www)(:|\.)")
_LIST_START = re.compile(r"^(\s*)([-=]|\d+(?=[.)]))")


def markdown_inline(text: object) -> str:
    """TEXT as one line of Markdown that renders as the same words and nothing else.

    No tags, links, emphasis, tables, maths, headings or list markers; no auto-linked URLs or
    e-mail addresses and no @mentions (a zero-width space breaks them). Safe in Python-Markdown
    (the site, drafts) and GitHub (pull-request comments and job summaries) alike.
    """
    line = " ".join(str(text).split())
    line = _MD_BACKSLASH.sub(r"\\\1", line)  # first: the references below hold a '#' of their own
    line = _MD_ENTITY_RE.sub(lambda m: _MD_ENTITY[m.group(0)], line)
    line = _LIST_START.sub(lambda m: m.group(1) + ("\\" + m.group(2) if not m.group(2).isdigit() else m.group(2) + "\\"), line, count=1)
    line = _URL_SCHEME.sub(lambda m: m.group(1) + "\u200b" + m.group(2), line)
    return line.replace("@", "@\u200b")


def markdown_url(url: object) -> str:
    """URL as the target of a Markdown link or a bare address: spaces, brackets, parentheses and
    angle brackets percent-encoded, so the address cannot end early or open markup of its own."""
    from urllib.parse import quote

    return quote(terminal(str(url).strip()), safe="/:?#&=%+~,;@.-_")


# C0 and C1 controls (ESC starts terminal sequences; C1 CSI does too), DEL, and the Unicode
# controls that reorder or hide text (bidi overrides and isolates, zero-width joiners aside).
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal(text: object) -> str:
    """TEXT safe to print on a terminal: controls and bidi overrides shown as U+FFFD, tabs and
    newlines kept. (Rich markup is a separate matter: see `rich_text`.)"""
    return _TERMINAL_UNSAFE.sub("\ufffd", str(text))


def rich_text(text: object) -> str:
    """TEXT for a rich renderable that parses markup: terminal-safe, and `[b]` shown as written."""
    from rich.markup import escape

    return escape(terminal(text))


def github_data(text: object) -> str:
    """TEXT as the message of a GitHub Actions workflow command (`::error ...::MESSAGE`)."""
    return terminal(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: object) -> str:
    """TEXT as a property value of a workflow command (`file=`, `title=`): also `:` and `,`,
    which would end the value and let a file name add properties of its own."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")
