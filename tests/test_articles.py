"""The article model: parsing edge cases and editing front matter without losing a byte."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from kbgen.articles import MAX_BYTES, add_to_list, parse_article, read_text, render_article, set_front_matter

SOURCE = """---
# written by the docs team
title: How do I download my data?
status: draft   # waiting for legal
summary: Open Settings > Data.
questions:
  - I can't export my files
  - where is the download button
tags: [export, data]
custom_field: kept
---
Body.
"""


def parse(text: str, name: str = "download-data.md"):
    return parse_article(Path("kb/your-data") / name, f"kb/your-data/{name}", "your-data", text)


def test_parses_typed_fields_and_keeps_unknown_keys() -> None:
    article, diags = parse(SOURCE.replace("custom_field: kept\n", "custom_field: kept\nupdated: 2026-11-20\n"))
    assert article is not None
    assert article.title == "How do I download my data?"
    assert article.status == "draft" and article.audience == "public"
    assert article.questions == ["I can't export my files", "where is the download button"]
    assert article.tags == ["export", "data"]
    assert article.updated == date(2026, 11, 20)
    assert article.extra == {"custom_field": "kept"}
    assert article.url_path == "your-data/download-data/"
    assert article.body_line == 13 and article.body == "Body.\n"
    assert [d.rule for d in diags] == ["unknown-key"]


def test_status_defaults_to_published_public() -> None:
    article, diags = parse("---\ntitle: Hi\n---\nText\n")
    assert article is not None and article.is_public and diags == []


def test_set_front_matter_changes_only_the_named_keys() -> None:
    edited = set_front_matter(SOURCE, {"status": "published", "reviewer": "ana"})
    assert edited == SOURCE.replace("status: draft   # waiting for legal", "status: published   # waiting for legal").replace(
        "custom_field: kept\n", "custom_field: kept\nreviewer: ana\n"
    )


def test_add_to_list_appends_items_in_the_existing_style() -> None:
    edited = add_to_list(SOURCE, "questions", ["download everything: how?"])
    assert edited == SOURCE.replace(
        "  - where is the download button\n", "  - where is the download button\n  - 'download everything: how?'\n"
    )
    article, _ = parse(edited)
    assert article is not None and article.questions[-1] == "download everything: how?"


def test_add_to_list_on_flow_list_and_missing_key() -> None:
    edited = add_to_list(SOURCE, "tags", ["files"])
    article, _ = parse(edited)
    assert article is not None and article.tags == ["export", "data", "files"]
    edited = add_to_list("---\ntitle: T\n---\nB\n", "questions", ["q1"])
    assert edited == "---\ntitle: T\nquestions:\n  - q1\n---\nB\n"


def test_render_article_round_trips() -> None:
    text = render_article({"title": "T: colon", "status": "draft", "questions": ["a", "b"], "updated": date(2026, 1, 2)}, "Body")
    article, diags = parse(text, "t.md")
    assert article is not None and not [d for d in diags if d.is_error]
    assert (article.title, article.status, article.questions, article.updated) == ("T: colon", "draft", ["a", "b"], date(2026, 1, 2))


def test_huge_file_is_refused_without_reading_it_as_an_article(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_bytes(b"---\ntitle: Huge\n---\n" + b"word " * (MAX_BYTES // 5 + 10))
    text, diags = read_text(path, "kb/a/huge.md")
    assert text is None and [d.rule for d in diags] == ["too-large"]
    assert "1 MB" in diags[0].message
