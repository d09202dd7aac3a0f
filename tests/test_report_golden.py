"""Golden files for `kbgen report`: each folder in report_cases/ is a knowledge base with a fixed
note log, beside the exact JSON (expected.json) and Markdown (expected.md) the report must print
for it as of a fixed date. Regenerate after an intended change with KBGEN_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_kbgen

CASES = Path(__file__).parent / "report_cases"
AS_OF = "2026-10-25"


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
@pytest.mark.parametrize("rendering", ["json", "markdown"])
def test_report_renders_exactly_the_expected_output(case: Path, rendering: str, tmp_path: Path) -> None:
    root = tmp_path / case.name
    shutil.copytree(case, root, ignore=shutil.ignore_patterns("expected.*", ".kbgen-cache"))
    result = run_kbgen("report", f"--{rendering}", "--as-of", AS_OF, cwd=root)
    assert result.code == 0, result.stderr
    expected_file = case / ("expected.json" if rendering == "json" else "expected.md")
    if os.environ.get("KBGEN_UPDATE_GOLDEN"):
        expected_file.write_text(result.stdout, encoding="utf-8")
    assert expected_file.exists(), f"{expected_file} is missing"
    assert result.stdout == expected_file.read_text(encoding="utf-8")


def test_every_open_note_appears_exactly_once(tmp_path: Path) -> None:
    root = tmp_path / "basic"
    shutil.copytree(CASES / "basic", root, ignore=shutil.ignore_patterns("expected.*", ".kbgen-cache"))
    report = json.loads(run_kbgen("report", "--json", "--as-of", AS_OF, cwd=root).stdout)
    assert set(report) >= {"kpis", "gaps", "findability", "stale"}
    listed = [i for g in report["gaps"] for i in g["note_ids"]] + [i for f in report["findability"] for i in f["note_ids"]]
    assert len(listed) == len(set(listed)) == report["kpis"]["open_notes"] == 12
    assert "N13" not in listed and "N14" not in listed  # dismissed and resolved notes are not open
    assert all(f["slug"] for f in report["findability"])
