"""kbgen.escape: each kind of output gets text that shows as written and does nothing else."""

from __future__ import annotations

import html
import re

import markdown
import pytest

from kbgen.escape import github_data, github_property, html_attr, html_text, markdown_inline, rich_text, terminal

HOSTILE = [
    "<script>alert(1)</script>",
    "[click here](https://evil.example/x) and ![img](x.png)",
    "**bold** _em_ `code` # heading",
    "visit https://evil.example or www.evil.example now",
    "<a href='https://evil.example'>x</a> &lt;b&gt; &amp;",
    "| a | b |\n|---|---|\n| c | d |",
    "- a list item",
    "1. numbered",
    "~~struck~~ and $x^2$ maths, @octocat, user@example.com",
    '" onmouseover="alert(1)',
    "javascript:alert(1) data:text/html,x",
]


def _text_of(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace("\u200b", "").strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_inline_renders_as_the_same_words_and_nothing_else(text: str) -> None:
    rendered = markdown.markdown(markdown_inline(text), extensions=["tables"])
    for live in ("<script", "<a ", "<img", "<strong", "<em", "<code", "<h1", "<table", "<ul", "<ol", "<del"):
        assert live not in rendered, (text, rendered)
    assert "\\" not in rendered  # escapes are Python-Markdown's own, so no stray backslashes show
    assert _text_of(rendered) == " ".join(text.split())
    assert "\\#" not in markdown_inline(text) or "#" in text  # character references are left whole


def test_markdown_inline_breaks_mentions_and_links_for_github() -> None:
    line = markdown_inline("ping @octocat at https://evil.example")
    assert "@\u200b" in line and "https\u200b:" in line


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_and_attributes_cannot_be_broken_out_of(text: str) -> None:
    for escaped in (html_text(text), html_attr(text)):
        assert "<" not in escaped and '"' not in escaped and "'" not in escaped
    assert html.unescape(html_text(text)) == text


def test_terminal_text_has_no_control_sequences() -> None:
    shown = terminal("red \x1b[31mtext\x1b[0m \x9b31m bell\x07 \u202egnp.exe\u202c tab\tok\nnext")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", shown)
    assert "tab\tok\nnext" in shown
    assert rich_text("[bold]not bold[/bold]") == "\\[bold]not bold\\[/bold]"


def test_github_commands_cannot_be_extended_by_a_file_name() -> None:
    assert github_property("a,title=x::b.md") == "a%2Ctitle=x%3A%3Ab.md"
    assert github_data("line one\nline two 100%") == "line one%0Aline two 100%25"
