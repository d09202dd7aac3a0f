"""The writing-style check (kbgen/style.py): one golden case a rule lives in check_cases/style-*;
here the readability formula, the settings, and the cache that keeps `check` fast."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kbgen.check import STYLE_CACHE, check
from kbgen.project import Project
from kbgen.style import reading_ease
from tests.conftest import KbBuilder

GOOD = dict(summary="Click Save.", questions=["how to save", "save my work", "save button"])


def test_reading_ease_tells_plain_english_from_a_contract() -> None:
    assert reading_ease("Click Save. Your file is in your folder. You can open it from any device.") > 80
    assert reading_ease("Notwithstanding the aforementioned considerations, administrative authorization "
                        "necessitates comprehensive verification of organizational documentation.") < 0


def _style(root: Path) -> list[str]:
    found = check(Project.load(root)).diagnostics
    return [f"{d.path}:{d.rule}" for d in found if d.rule in (
        "avoid-word", "long-sentence", "few-questions")]


def test_style_warnings_follow_edits_settings_and_a_damaged_cache(kb: KbBuilder) -> None:
    config = kb.root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("      style: false", "      style: true"), encoding="utf-8")
    kb.article("basics/save.md", "How do I save?", body="Simply click Save.", **GOOD)
    assert _style(kb.root) == ["kb/basics/save.md:avoid-word"]
    assert (kb.root / ".kbgen-cache" / STYLE_CACHE).is_file()

    kb.article("basics/save.md", "How do I save?", body="Click Save.", **GOOD)  # edited: read again
    assert _style(kb.root) == []

    config.write_text(config.read_text(encoding="utf-8") + "      style_avoid_words: [save]\n", encoding="utf-8")
    assert _style(kb.root) == ["kb/basics/save.md:avoid-word"]  # settings changed: read again

    (kb.root / ".kbgen-cache" / STYLE_CACHE).write_text('{"settings": 1, "files": {"x": []', encoding="utf-8")
    assert _style(kb.root) == ["kb/basics/save.md:avoid-word"]

    config.write_text(config.read_text(encoding="utf-8").replace("      style: true", "      style: false"), encoding="utf-8")
    assert _style(kb.root) == []


def test_forked_cold_warm_and_edited_checks_equal_the_serial_one(kb: KbBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 10,000 articles a cold check parses and reads the prose in forked processes, in one pass;
    a warm one takes the kept warnings; an edit reads one article again. All equal a check done
    here, file by file, with no cache."""
    from kbgen import check as check_module
    from kbgen import forked, kb as kb_module

    config = kb.root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("      style: false", "      style: true"), encoding="utf-8")
    bodies = ["Simply click Save. It was saved by the system and it was sent to the team.",
              "- Click Save\n- Open the file\n\n[here](other.md)",
              "## Steps\n\n#### Too deep\n\n" + "This is a sentence that goes on and on " * 6 + ".",
              "Drafted by kbgen from gap 1. Just wait."]
    for i in range(24):
        kb.article(f"basics/a-{i}.md", f"Question {i}?", body=bodies[i % len(bodies)], status="draft" if i % 4 == 3 else "published",
                   summary="Click Save." if i % 5 else "word " * 45, questions=["how to save", "save my work"][: 1 + i % 2])
    kb.write("basics/broken.md", "---\ntitle: [unclosed\n---\nBody.\n")

    def fresh(parallel: bool) -> list[str]:
        check_module._MEMO.clear()
        kb_module._PARSED.clear()
        monkeypatch.setattr(forked, "PARALLEL_FROM", 1 if parallel else 10**9)
        monkeypatch.setattr(forked, "cores", lambda: 2)
        return [str(d) for d in check(Project.load(kb.root)).diagnostics]

    def no_cache() -> None:
        shutil.rmtree(kb.root / ".kbgen-cache", ignore_errors=True)

    no_cache()
    serial = fresh(parallel=False)
    assert any("[avoid-word]" in d for d in serial) and any("[yaml-syntax]" in d for d in serial)
    no_cache()
    assert fresh(parallel=True) == serial  # cold, forked
    assert fresh(parallel=True) == serial  # warm: every article's warnings kept
    kb.article("basics/a-0.md", "Question 0?", body="Obviously this is easy.", summary="Click Save.",
               questions=["how to save", "save my work", "save"])
    edited = fresh(parallel=True)
    no_cache()
    assert fresh(parallel=False) == edited != serial


TRICKY = [
    "Click Save. Then open it! Is it there? Yes.  \"Quoted\" start. (Bracket) start. 3 items. a. b.",
    "Version 1.5, 2,000 or ٣٤ items; e-mail isn't it’s don't -dash- x-ray re-sent 'quoted' _under_ 12ab ab12",
    "It was... Done.\tNext! \u00a0Non-breaking.\u2003Em space. end.", "", "   ", "...", "Mr. Smith IS Being Told.",
    "The file Was Deleted and WERE sent; it isn't shown. Arent't weren't kept. İs it? iſ sent.",
]


def test_the_fast_patterns_find_what_the_plain_ones_do() -> None:
    """The sentence and word patterns are written for speed (style.py says how); these are the
    plain forms they must agree with, on tricky text and on every demo article's prose."""
    import re

    from kbgen import style
    from tests.conftest import ROOT

    sentence_end = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
    word = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,]\d+)*")
    texts = TRICKY + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "kb").rglob("*.md"))]
    for text in texts:
        assert style._SENTENCE_END.split(text) == sentence_end.split(text)
        assert style._WORD.findall(text) == word.findall(text)


def test_passive_voice_in_small_letters_is_found_as_ignoring_case() -> None:
    """ASCII sentences are matched in small letters, the rest ignoring case: the same sentences."""
    from kbgen import style

    sentences = [s for text in TRICKY for s in style._SENTENCE_END.split(text)]
    sentences += [s.upper() for s in sentences] + [s.title() for s in sentences]
    for sentence in sentences:
        plain = any(m.group(1).lower() not in style._NOT_PARTICIPLE for m in style._PASSIVE.finditer(sentence))
        assert style._is_passive(sentence) == plain, sentence
        words = style._WORD.findall(sentence)
        assert (not style._BE_ANY_CASE.isdisjoint(words)) == bool(style._BE_WORDS.intersection(map(str.lower, words)))
    assert style._is_passive("The file Was Deleted.") and not style._is_passive("The file was open.")
