"""`kbgen init`: a new knowledge base that checks and builds at once, and never clobbers one."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import assert_clean_failure, run_kbgen


def test_init_creates_a_knowledge_base_that_checks_and_builds(tmp_path: Path) -> None:
    target = tmp_path / "help"
    created = run_kbgen("init", str(target), "--name", "Acme Help", cwd=tmp_path)
    assert created.code == 0, created.stderr
    for rel in ("kb/categories.yml", "kb/getting-started/welcome.md", "gaps/README.md", "docs/index.md",
                "mkdocs.yml", ".gitignore", ".gitattributes", ".github/workflows/kb.yml"):
        assert (target / rel).is_file(), rel
        assert f"created {rel}" in created.stdout
    assert 'site_name: "Acme Help"' in (target / "mkdocs.yml").read_text()
    assert "merge=union" in (target / ".gitattributes").read_text()

    checked = run_kbgen("check", cwd=target)
    assert checked.code == 0 and "0 errors, 0 warnings" in checked.stderr

    built = run_kbgen("build", cwd=target)
    assert built.code == 0, built.stderr
    page = (target / "site" / "getting-started" / "welcome" / "index.html").read_text()
    assert "How do I get started?" in page
    assert "Acme Help" in (target / "site" / "index.html").read_text()

    # the workflow's last step: the coverage report, on a log with no notes yet
    workflow = next((target / ".github" / "workflows").glob("*.yml")).read_text()
    assert "kbgen report --markdown" in workflow
    reported = run_kbgen("report", "--markdown", "--min-size", "2", cwd=target)
    assert reported.code == 0 and "No open gaps." in reported.stdout, reported.stderr


def test_second_init_refuses_and_changes_nothing(tmp_path: Path) -> None:
    assert run_kbgen("init", cwd=tmp_path).code == 0
    article = tmp_path / "kb" / "getting-started" / "welcome.md"
    article.write_text("---\ntitle: Edited by an editor\n---\nMine.\n")
    again = run_kbgen("init", cwd=tmp_path)
    assert_clean_failure(again)
    assert "already exist" in again.stderr and "--force" in again.stderr
    assert article.read_text() == "---\ntitle: Edited by an editor\n---\nMine.\n"

    forced = run_kbgen("init", "--force", cwd=tmp_path)
    assert forced.code == 0
    assert "How do I get started?" in article.read_text()
