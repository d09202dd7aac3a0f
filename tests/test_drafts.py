"""kbgen.drafts: titles, slugs and escaping for drafts made from notes."""

from __future__ import annotations

import markdown
import pytest

from kbgen.drafts import first_sentences, inert, plain, slug_for, title_for


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("can i pay my invoice in euros", "Can i pay my invoice in euros?"),
        ("Dark mode???", "Dark mode?"),
        ("see <b>this</b> [link](http://x.example)", "See bthis/b link(http\u200b://x.example)?"),
    ],
)
def test_titles_read_like_questions(question: str, title: str) -> None:
    assert title_for(question) == title


def test_slugs_are_short_meaningful_and_unique() -> None:
    assert slug_for("Can I pay my invoice in euros?", set()) == "pay-invoice-euros"
    assert slug_for("Can I pay my invoice in euros?", {"pay-invoice-euros"}) == "pay-invoice-euros-2"
    assert slug_for("What is the search?", set()) == "search-article"  # reserved slugs are avoided
    assert slug_for("???", set()) == "draft"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "[click here](https://evil.example/x) and ![img](x.png)",
        "**bold** _em_ `code` # heading",
        "visit https://evil.example or www.evil.example now",
        "<a href='https://evil.example'>x</a> &lt;b&gt;",
    ],
)
def test_note_text_renders_as_the_same_words_and_nothing_else(text: str) -> None:
    html = markdown.markdown(inert(text))
    for live in ("<script", "<a ", "<img", "<strong", "<em", "<code", "<h1"):
        assert live not in html, (text, html)
    assert "\\" not in html  # escapes are Python-Markdown's own, so no stray backslashes show


def test_plain_front_matter_text() -> None:
    assert plain("<b>hi</b> [x](y)") == "bhi/b x(y)"
    assert plain("word " * 100, 30).endswith("…") and len(plain("word " * 100, 30)) <= 31
    assert first_sentences("One. Two is longer. " + "Three " * 80, 40) == "One. Two is longer."
