"""kbgen/yamlio.py: repeated top-level keys, with the lines of both."""

from __future__ import annotations

from kbgen.yamlio import repeated_keys


def test_repeated_keys_name_the_first_and_the_repeated_line() -> None:
    text = "title: A\nquestions:\n  - title: not top level\naudience: internal\ntitle: B\naudience: public\ntitle: C\n"
    assert repeated_keys(text) == [("title", 1, 5), ("audience", 4, 6), ("title", 1, 7)]
    assert repeated_keys("title: A\nsummary: B\n") == []
