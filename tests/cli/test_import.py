"""`kbgen import`: the real command on the golden help centers, then `kbgen check` and `kbgen build`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import assert_clean_failure, run_kbgen

CASES = Path(__file__).resolve().parent.parent / "import_cases"


def new_kb(tmp_path: Path) -> Path:
    root = tmp_path / "help"
    assert run_kbgen("init", str(root), cwd=tmp_path).code == 0
    return root


def source_copy(tmp_path: Path, case: str) -> Path:
    return Path(shutil.copytree(CASES / case / "source", tmp_path / case))


def test_import_then_check_and_build(tmp_path: Path) -> None:
    root = new_kb(tmp_path)
    done = run_kbgen("import", str(source_copy(tmp_path, "docusaurus-basic")), cwd=root)
    assert done.code == 0, done.stderr
    assert "imported 3 pages from a Docusaurus help center into kb/" in done.stdout
    assert "  billing              2  (new)" in done.stdout
    assert "links rewritten: 6; images and files copied: 1" in done.stdout
    assert "wrote 5 files" in done.stdout  # three articles, categories.yml, an image
    assert "docs/02-billing/refunds.mdx:13: MDX component <Tabs> removed" in done.stdout

    checked = run_kbgen("check", cwd=root)
    assert checked.code == 0 and ", 0 errors," in checked.stderr, checked.stdout + checked.stderr
    built = run_kbgen("build", cwd=root)
    assert built.code == 0, built.stderr
    page = (root / "site" / "billing" / "refunds" / "index.html").read_text()
    assert 'src="../../assets/imported/img/card.png"' in page
    assert 'href="../../getting-started/install/#requirements"' in page
    assert (root / "site" / "assets" / "imported" / "img" / "card.png").is_file()


def test_jekyll_template_links_leave_only_the_unknown_one_broken(tmp_path: Path) -> None:
    """The issue's case: site-relative Liquid links fail `check` by the thousand before import."""
    root = new_kb(tmp_path)
    done = run_kbgen("import", str(source_copy(tmp_path, "jekyll-basic")), cwd=root)
    assert done.code == 0, done.stderr
    assert "_articles/missing-emails.md:10: the link '/article/gone-away/' was left as it was" in done.stdout
    checked = run_kbgen("check", cwd=root)
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert errors == ["kb/troubleshooting/missing-emails.md:9: error: the link '/article/gone-away/' points to "
                      "kb/article/gone-away.md, which does not exist [broken-link]"]


def test_mkdocs_import_into_another_folder_as_json(tmp_path: Path) -> None:
    root = new_kb(tmp_path)
    done = run_kbgen("import", str(source_copy(tmp_path, "mkdocs-basic")), "--into", str(root), "--json", cwd=tmp_path)
    assert done.code == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["kind"] == "mkdocs" and report["imported"] == 5 and report["links_rewritten"] == 5
    assert "kb/account/login.md" in report["files"] and (root / "kb" / "account" / "login.md").is_file()
    assert run_kbgen("check", cwd=root).code == 0


def test_dry_run_writes_nothing_and_a_second_import_refuses(tmp_path: Path) -> None:
    root = new_kb(tmp_path)
    source = source_copy(tmp_path, "mkdocs-basic")
    dry = run_kbgen("import", str(source), "--dry-run", cwd=root)
    assert dry.code == 0 and "would import 5 pages" in dry.stdout and "would write kb/account/login.md" in dry.stdout
    assert not (root / "kb" / "account").exists()
    assert run_kbgen("import", str(source), cwd=root).code == 0
    assert "nothing to write" in run_kbgen("import", str(source), cwd=root).stdout  # the same again: no clash
    (source / "docs" / "faq.md").write_text("# Questions we hear often\n\nChanged.\n")
    again = run_kbgen("import", str(source), cwd=root)
    assert_clean_failure(again)
    assert "1 file(s) already exist, for example kb/general/faq.md; nothing was written" in again.stderr
    assert "Changed." not in (root / "kb" / "general" / "faq.md").read_text()
    assert run_kbgen("import", str(source), "--force", cwd=root).code == 0
    assert "Changed." in (root / "kb" / "general" / "faq.md").read_text()


def test_bad_input_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    root = new_kb(tmp_path)
    source = source_copy(tmp_path, "jekyll-basic")
    (source / "_articles" / "broken.md").write_text("---\ntitle: Broken\ndescription: \"unclosed\n---\nText.\n")
    before = sorted(p.relative_to(root) for p in (root / "kb").rglob("*"))
    failed = run_kbgen("import", str(source), cwd=root)
    assert_clean_failure(failed)
    assert failed.stderr.startswith("error: _articles/broken.md:3: the front matter is not valid YAML")
    assert len(failed.stderr.strip().splitlines()) == 1
    assert sorted(p.relative_to(root) for p in (root / "kb").rglob("*")) == before

    for args, message in [
        ((str(tmp_path / "nowhere"),), "the folder does not exist"),
        ((str(root / "docs"),), "not a help center kbgen can import"),
        ((str(source), "--into", str(tmp_path)), "has no mkdocs.yml"),
    ]:
        refused = run_kbgen("import", *args, cwd=root)
        assert_clean_failure(refused)
        assert message in refused.stderr


def test_untrusted_text_is_escaped_on_the_terminal_and_the_site(tmp_path: Path) -> None:
    root = new_kb(tmp_path)
    source = source_copy(tmp_path, "jekyll-basic")
    (source / "_articles" / "x\x1b[2Jx.md").write_text(
        "---\ntitle: \"<script>alert(1)</script>\"\ncategories: [Troubleshooting]\n---\nHi {% include \x1b[31mred %}\n")
    done = run_kbgen("import", str(source), cwd=root)
    assert done.code == 0, done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    assert "_articles/x\ufffd[2Jx.md:5: an include" in done.stdout
    assert run_kbgen("build", cwd=root).code == 1  # the unknown link of the case stops it
    (root / "kb" / "troubleshooting" / "missing-emails.md").write_text("---\ntitle: Emails\n---\nSpam folder.\n")
    built = run_kbgen("build", cwd=root)
    assert built.code == 0, built.stderr
    page = (root / "site" / "troubleshooting" / "x-2jx" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
