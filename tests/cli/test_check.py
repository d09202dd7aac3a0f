"""`kbgen check` as editors and CI run it: real subprocesses, both streams asserted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.conftest import KbBuilder, assert_clean_failure, run_kbgen


def test_demo_knowledge_base_passes(demo_root: Path) -> None:
    result = run_kbgen("check", cwd=demo_root)
    assert result.code == 0, result.stdout + result.stderr
    assert "0 errors" in result.stderr and "Traceback" not in result.stderr


def test_works_from_a_subfolder(demo_root: Path) -> None:
    result = run_kbgen("check", "--json", cwd=demo_root / "kb" / "billing")
    assert result.code == 0
    assert json.loads(result.stdout)["articles"] >= 30


def test_reports_every_problem_at_once_and_exits_1(kb: KbBuilder) -> None:
    kb.write("basics/broken.md", "---\ntitle: [oops\n---\nBody\n")
    kb.write("basics/status.md", "---\ntitle: Fine\nstatus: live\n---\nBody\n")
    kb.write("basics/binary.md", b"\x00\x01\x02")
    result = run_kbgen("check", cwd=kb.root)
    assert_clean_failure(result)
    lines = result.stdout.splitlines()
    assert any(line.startswith("kb/basics/broken.md:2: error:") and "[yaml-syntax]" in line for line in lines)
    assert any(line.startswith("kb/basics/status.md:3 (status): error:") for line in lines)
    assert any("kb/basics/binary.md: error: this is a binary file" in line for line in lines)
    assert "failed: 1 article checked, 3 errors" in result.stderr


def test_json_output(kb: KbBuilder) -> None:
    kb.article("basics/a.md", "A", summary="s", questions=["q"], body="See [b](b.md).")
    result = run_kbgen("check", "--json", cwd=kb.root)
    assert result.code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["errors"] == 1 and data["articles"] == 1
    (diag,) = data["diagnostics"]
    assert diag == {
        "path": "kb/basics/a.md",
        "line": 7,
        "severity": "error",
        "rule": "broken-link",
        "message": "the link 'b.md' points to kb/basics/b.md, which does not exist",
        "key": "",
    }


def test_github_annotations_and_strict(kb: KbBuilder) -> None:
    kb.article("basics/a.md", "A", body="Text.")  # no summary, no questions: warnings only
    plain = run_kbgen("check", "--format", "github", cwd=kb.root)
    assert plain.code == 0
    assert "::warning file=kb/basics/a.md,line=1,title=kbgen missing-summary::" in plain.stdout
    strict = run_kbgen("check", "--format", "github", "--strict", cwd=kb.root)
    assert strict.code == 1
    assert "::error file=kb/basics/a.md,line=1,title=kbgen missing-summary::" in strict.stdout


def test_changed_since_reports_only_changed_files(kb: KbBuilder) -> None:
    kb.write("basics/old.md", "---\ntitle: Old\nstatus: bogus\n---\nBody\n")
    git = lambda *a: subprocess.run(["git", *a], cwd=kb.root, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "base")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=kb.root, capture_output=True, text=True).stdout.strip()
    git("add", "-A")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "old")
    kb.write("basics/new.md", "---\ntitle: New\naudience: world\n---\nBody\n")
    head = run_kbgen("check", "--changed-since", "HEAD", cwd=kb.root)
    assert "new.md" in head.stdout and "old.md" not in head.stdout and head.code == 1
    since_base = run_kbgen("check", "--changed-since", base, cwd=kb.root)
    assert "new.md" in since_base.stdout and "old.md" in since_base.stdout
    bad_ref = run_kbgen("check", "--changed-since", "no-such-ref", cwd=kb.root)
    assert_clean_failure(bad_ref)
    assert "no-such-ref" in bad_ref.stderr


def test_outside_a_knowledge_base(tmp_path: Path) -> None:
    result = run_kbgen("check", cwd=tmp_path)
    assert_clean_failure(result)
    assert "no mkdocs.yml" in result.stderr and "kbgen init" in result.stderr


def test_broken_site_configuration(kb: KbBuilder) -> None:
    (kb.root / "mkdocs.yml").write_text("site_name: [broken\n", encoding="utf-8")
    result = run_kbgen("check", cwd=kb.root)
    assert_clean_failure(result)
    assert result.stderr.startswith("error: mkdocs.yml:")


def test_bad_format_is_a_usage_error(kb: KbBuilder) -> None:
    result = run_kbgen("check", "--format", "xml", cwd=kb.root)
    assert result.code == 2 and "Traceback" not in result.stderr
