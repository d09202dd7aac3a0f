"""Golden files: each folder in check_cases/ is a small knowledge base beside the exact
diagnostics `kbgen check` must report for it (expected.txt). A new case is a folder, no code.

Regenerate after an intended wording change with KBGEN_UPDATE_GOLDEN=1, then review the diff.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from kbgen import forked
from kbgen.check import check
from kbgen.project import Project

CASES = Path(__file__).parent / "check_cases"
TODAY = date(2026, 11, 22)


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_check_reports_exactly_the_expected_diagnostics(case: Path, tmp_path: Path) -> None:
    root = tmp_path / case.name
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected.txt"))
    (root / "mkdocs.yml").write_text("site_name: Golden\n", encoding="utf-8")
    result = check(Project.load(root), today=TODAY)
    actual = "".join(f"{d}\n" for d in result.diagnostics)
    expected_file = case / "expected.txt"
    if os.environ.get("KBGEN_UPDATE_GOLDEN"):
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.exists(), f"{expected_file} is missing: every case needs its expected diagnostics"
    assert actual == expected_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_check_shared_between_processes_reports_the_same(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file parsed, and its prose read, in forked processes, as at 10,000 articles: the same
    diagnostics in the same order."""
    monkeypatch.setattr(forked, "PARALLEL_FROM", 1)
    monkeypatch.setattr(forked, "cores", lambda: 2)
    root = tmp_path / case.name
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected.txt"))
    (root / "mkdocs.yml").write_text("site_name: Golden\n", encoding="utf-8")
    result = check(Project.load(root), today=TODAY)
    assert "".join(f"{d}\n" for d in result.diagnostics) == (case / "expected.txt").read_text(encoding="utf-8")


def test_every_rule_has_a_case() -> None:
    """Each rule check can report is shown by at least one golden case."""
    rules = {
        "yaml-syntax", "missing-front-matter", "missing-title", "wrong-type", "unknown-status",
        "unknown-audience", "duplicate-slug", "bad-date", "link-to-hidden", "broken-link",
        "link-outside-kb", "not-utf8", "not-text", "empty-body", "unknown-key", "bad-slug",
        "no-category", "nested-folder", "bad-category-name", "stale", "future-date",
        "review-before-update", "missing-summary", "missing-questions", "duplicate-question",
        "unused-category", "duplicate-key", "yaml-too-large", "not-an-article", "live-html",
    }
    seen = set()
    for case in case_dirs():
        expected = case / "expected.txt"
        if expected.exists():
            seen |= {line.rsplit("[", 1)[1].rstrip("]") for line in expected.read_text().splitlines() if "[" in line}
    assert rules - seen == set()


def test_valid_case_is_clean() -> None:
    assert (CASES / "valid" / "expected.txt").read_text() == ""
