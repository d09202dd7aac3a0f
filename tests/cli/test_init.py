"""`kbgen init`: a new knowledge base that checks and builds at once, and never clobbers one."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import assert_clean_failure, run_kbgen


def test_init_creates_a_knowledge_base_that_checks_and_builds(tmp_path: Path) -> None:
    target = tmp_path / "help"
    created = run_kbgen("init", str(target), "--name", "Acme Help", cwd=tmp_path)
    assert created.code == 0, created.stderr
    for rel in ("kb/categories.yml", "kb/getting-started/welcome.md", "gaps/README.md", "docs/index.md",
                "mkdocs.yml", ".gitignore", ".gitattributes", "requirements-kbgen.txt",
                ".github/workflows/pull-request.yml", ".github/workflows/publish.yml", ".github/workflows/drafts.yml",
                ".github/pull_request_template.md", ".github/CODEOWNERS"):
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
    workflow = (target / ".github" / "workflows" / "pull-request.yml").read_text()
    assert "kbgen report --markdown" in workflow
    reported = run_kbgen("report", "--markdown", "--min-size", "2", cwd=target)
    assert reported.code == 0 and "No open gaps." in reported.stdout, reported.stderr

    # the pull-request template is the editor's checklist; CODEOWNERS is an example, all comments
    template = (target / ".github" / "pull_request_template.md").read_text()
    assert "- [ ] `kbgen check` passes" in template and "kbgen promote" in template
    owners = (target / ".github" / "CODEOWNERS").read_text().splitlines()
    assert owners and all(not line.strip() or line.startswith("#") for line in owners)
    assert any("/kb/" in line and "@" in line for line in owners)


def test_init_pins_the_kbgen_its_ci_installs(tmp_path: Path) -> None:
    from kbgen import __version__

    source = "git+https://git.example.test/acme/kbgen@0123abc"
    made = run_kbgen("init", "a", "--kbgen-source", source, cwd=tmp_path)
    assert made.code == 0, made.stderr
    pins = [line for line in (tmp_path / "a" / "requirements-kbgen.txt").read_text().splitlines() if not line.startswith("#")]
    assert pins == [f"kbgen-minilm @ {source}#subdirectory=models/kbgen-minilm", f"kbgen @ {source}"]
    assert "warning" not in made.stderr

    by_env = run_kbgen("init", "b", cwd=tmp_path, env={"KBGEN_SOURCE": source})
    assert by_env.code == 0 and (tmp_path / "b" / "requirements-kbgen.txt").read_text() == (
        tmp_path / "a" / "requirements-kbgen.txt").read_text()

    # from a source tree, not from git: this version from an index, and a warning that says so
    plain = run_kbgen("init", "c", cwd=tmp_path, env={"KBGEN_SOURCE": ""})
    assert plain.code == 0
    text = (tmp_path / "c" / "requirements-kbgen.txt").read_text()
    assert f"\nkbgen-minilm==1.0.0\nkbgen=={__version__}\n" in text and f"kbgen {__version__}" in text
    assert "warning: requirements-kbgen.txt pins" in plain.stderr and "--kbgen-source" in plain.stderr


def test_init_refuses_a_source_that_pins_nothing_and_writes_nothing(tmp_path: Path) -> None:
    for bad in ("git+https://git.example.test/acme/kbgen", "https://git.example.test/acme/kbgen@v1",
                "git+https://git.example.test/acme/kbgen@v1\nevil==1", "git+https://git.example.test/kbgen@v1 --index-url=x",
                "git+https://user:secret@git.example.test/kbgen@v1", "git+https://git.example.test/kbgen@v1#egg=x"):
        refused = run_kbgen("init", "kb", "--kbgen-source", bad, cwd=tmp_path)
        assert_clean_failure(refused)
        assert "--kbgen-source" in refused.stderr
        assert not (tmp_path / "kb").exists()


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
