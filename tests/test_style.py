"""The writing-style check (kbgen/style.py): one golden case a rule lives in check_cases/style-*;
here the readability formula, the settings, and the cache that keeps `check` fast."""

from __future__ import annotations

from pathlib import Path

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
