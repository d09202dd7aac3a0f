"""The fast front-matter reader agrees with PyYAML wherever it answers, and defers otherwise."""

from __future__ import annotations


import pytest
import yaml

from kbgen import fastyaml
from kbgen.articles import _yaml_loader, split_front_matter
from tests.conftest import ROOT

LOADER = _yaml_loader()


def pyyaml(text: str) -> object:
    return yaml.load(text, Loader=LOADER)


SIMPLE = [
    "title: How do I pay?\nstatus: draft\n",
    "title: 'It''s quoted: yes'\nsummary: \"double: quoted\"\n",
    "questions:\n  - one\n  - two words\n",
    "questions:\n- a\n- b\ntags: [x, y z]\n",
    "tags: []\nempty:\nowner: docs-team#1\n",
    "# a comment\ntitle: T\n\n# another\nupdated: 2026-11-20\nreview_by: 2026-1-2\n",
    "title: Settings > Data\nsummary: Use the menu - then pick one\n",
    "title: C++ and C# questions\n",
    "owner:\n",
    "title: first\ntitle: second\n",
]
DEFERRED = [
    "title: yes\n",
    "order: 3\n",
    "title: 1.5\n",
    "title: null\n",
    "title: ~\n",
    "title: a: b\n",
    "title: x # comment\n",
    "title: \"esc\\n\"\n",
    "title: |\n  block\n",
    "title: >\n  folded\n",
    "nested:\n  key: value\n",
    "title: multi\n  line\n",
    "tags: [a, [b]]\n",
    "tags: {a: 1}\n",
    "title: &anchor x\n",
    "title: *alias\n",
    "questions:\n  - yes\n",
    "questions:\n  -\n",
    "title: 'unbalanced\n",
    "? complex\n",
    "questions:\n  - one\n- two\n",
    "owner: docs-team # comment\n",
]


@pytest.mark.parametrize("text", SIMPLE)
def test_agrees_with_pyyaml(text: str) -> None:
    fast = fastyaml.load(text)
    assert fast is not None, "expected the fast path to read this"
    assert fast == pyyaml(text)


@pytest.mark.parametrize("text", DEFERRED)
def test_defers_what_it_does_not_fully_understand(text: str) -> None:
    assert fastyaml.load(text) is None


def test_agrees_on_every_article_of_the_demo_and_the_golden_cases() -> None:
    read = 0
    for path in [*ROOT.glob("kb/**/*.md"), *ROOT.glob("tests/check_cases/**/*.md")]:
        try:
            parts = split_front_matter(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
        if parts is None:
            continue
        fast = fastyaml.load(parts[0])
        if fast is not None:
            read += 1
            assert fast == pyyaml(parts[0]), path
    assert read >= 40
