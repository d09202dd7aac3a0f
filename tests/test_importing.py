"""`kbgen.importer`: golden help centers (each case's source/ beside the expected/ files and report
the import must produce), the checks the result must pass, and hostile sources.

Regenerate after an intended change with KBGEN_UPDATE_GOLDEN=1, then review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from kbgen.check import check
from kbgen.errors import KbgenError
from kbgen.importer import ImportResult, import_help_center
from kbgen.project import Project
from tests.conftest import KbBuilder

CASES = Path(__file__).parent / "import_cases"
OUTPUT_FOLDERS = ("kb", "docs/assets")


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "source").is_dir())


def report_text(result: ImportResult) -> str:
    lines = [f"kind: {result.kind}", f"links rewritten: {result.links_rewritten}"]
    lines += [f"category {name}: {count}" for name, count in sorted(result.categories.items())]
    lines += [f"copied {a['source']} -> {a['path']}" for a in result.assets]
    lines += [f"problem {p}" for p in result.problems]
    return "\n".join(lines) + "\n"


def files_under(root: Path) -> dict[str, bytes]:
    found = {}
    for folder in OUTPUT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def imported(source: Path, root: Path, **options: bool) -> ImportResult:
    KbBuilder(root)
    return import_help_center(source, Project.load(root), **options)


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_import_writes_exactly_the_expected_files(case: Path, tmp_path: Path) -> None:
    root = tmp_path / "help"
    result = imported(case / "source", root)
    actual = files_under(root)
    expected_dir = case / "expected"
    if os.environ.get("KBGEN_UPDATE_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, data in actual.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_bytes(data)
        (expected_dir / "report.txt").write_text(report_text(result), encoding="utf-8")
    assert (expected_dir / "report.txt").is_file(), f"{expected_dir} is missing: every case needs its expected files"
    expected = files_under(expected_dir)
    assert sorted(actual) == sorted(expected)
    for rel, data in expected.items():
        assert actual[rel].decode("utf-8", "replace") == data.decode("utf-8", "replace"), rel
    assert report_text(result) == (expected_dir / "report.txt").read_text(encoding="utf-8")
    assert sorted(result.files) == sorted(actual)


@pytest.mark.parametrize("case", case_dirs(), ids=lambda p: p.name)
def test_imported_help_center_passes_check_but_for_the_links_it_reported(case: Path, tmp_path: Path) -> None:
    root = tmp_path / "help"
    result = imported(case / "source", root)
    reported = [p.reason for p in result.problems if "was left as it was" in p.reason]
    errors = check(Project.load(root)).errors
    for error in errors:
        assert error.rule == "broken-link", str(error)
        target = error.message.split("'")[1]
        assert any(f"'{target}'" in reason for reason in reported), str(error)
    assert len(errors) == len(reported)


def test_the_jekyll_case_shows_every_kind_of_link(tmp_path: Path) -> None:
    """The golden case covers what the issue names: site.baseurl links, {% link %}, {% post_url %},
    relative_url, images (also through an image include), an include, and one address no page has."""
    result = imported(CASES / "jekyll-basic" / "source", tmp_path / "help")
    body = (tmp_path / "help" / "kb" / "account-sign-in" / "reset-password.md").read_text()
    assert "](../troubleshooting/missing-emails.md)" in body and "](change-email.md)" in body
    assert "](../assets/imported/img/screen.png)" in body and "{%" not in body and "site.baseurl" not in body
    assert result.links_rewritten == 10
    # raw HTML is not Markdown: its links become page addresses, relative to the article's page
    assert '<a href="../../troubleshooting/missing-emails/">' in body and 'src="../../assets/imported/img/screen.png"' in body
    other = (tmp_path / "help" / "kb" / "account-sign-in" / "change-email.md").read_text()
    assert "![The \\[account\\] form](../assets/imported/img/form.png)" in other  # {% include image.html image=page.x %}
    assert [p.line for p in result.problems if "include" in p.reason] == [16]


# --- hostile and bad sources ---------------------------------------------------------------------


def jekyll(tmp_path: Path, files: dict[str, str]) -> Path:
    source = tmp_path / "source"
    (source / "_articles").mkdir(parents=True)
    (source / "_config.yml").write_text("collections:\n  articles:\n    permalink: /article/:name/\n")
    for rel, text in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return source


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
            and ".kbgen-cache" not in p.parts}


def test_a_slug_or_category_from_front_matter_cannot_leave_kb(tmp_path: Path) -> None:
    source = jekyll(tmp_path, {"_articles/evil.md": """
        ---
        title: Evil
        slug: ../../../etc/passwd
        categories: ["../../outside", "/abs"]
        permalink: /../../x/
        ---
        Text.
        """})
    root = tmp_path / "help"
    result = imported(source, root)
    assert result.files == ["kb/categories.yml", "kb/outside/etc-passwd.md"]
    assert not (tmp_path / "outside").exists() and not (root / "outside").exists()
    assert check(Project.load(root)).errors == []


def test_markup_in_titles_stays_text(tmp_path: Path) -> None:
    title = '<script>alert(1)</script> "Quotes" & [links](javascript:x) \x1b[31mred'
    source = jekyll(tmp_path, {"_articles/markup.md": f"---\ntitle: {json.dumps(title)}\ncategories: ['<b>Bold</b>']\n---\nText.\n"})
    root = tmp_path / "help"
    imported(source, root)
    kb = check(Project.load(root)).kb
    assert [a.title for a in kb.articles] == [title]
    assert kb.categories["b-bold-b"].title == "<b>Bold</b>"  # escaped by the site, like any editor's title


def test_broken_yaml_names_file_and_line_and_writes_nothing(tmp_path: Path) -> None:
    source = jekyll(tmp_path, {
        "_articles/good.md": "---\ntitle: Good\n---\nText.\n",
        "_articles/bad.md": "---\ntitle: Bad\ntags: [unclosed\nsummary: x\n---\nText.\n",
    })
    root = tmp_path / "help"
    KbBuilder(root)
    before = snapshot(root)
    with pytest.raises(KbgenError) as caught:
        import_help_center(source, Project.load(root))
    assert str(caught.value).startswith("_articles/bad.md:4: the front matter is not valid YAML")
    assert snapshot(root) == before


def test_symbolic_links_are_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    source = jekyll(tmp_path, {"_articles/page.md": "---\ntitle: Page\n---\n![s](../../secret.txt) ![t](leak.png)\n"})
    (source / "_articles" / "leak.png").symlink_to(secret)
    (source / "_articles" / "linked.md").symlink_to(source / "_articles" / "page.md")
    root = tmp_path / "help"
    result = imported(source, root)
    assert result.assets == [] and result.files == ["kb/categories.yml", "kb/general/page.md"]
    reasons = [str(p) for p in result.problems]
    assert any(r.startswith("_articles/linked.md: a symbolic link") for r in reasons)
    assert sum("was left as it was" in r for r in reasons) == 2


def test_images_and_downloads_are_copied_never_the_sites_own_files(tmp_path: Path) -> None:
    source = jekyll(tmp_path, {
        "_articles/page.md": "---\ntitle: Page\n---\n[a](/_config.yml) [b](/.env) [c](/files/guide.pdf) [d](/a/../files/guide.pdf)\n",
        ".env": "TOKEN=secret", "files/guide.pdf": "%PDF-1.4",
    })
    root = tmp_path / "help"
    result = imported(source, root)
    assert [a["path"] for a in result.assets] == ["docs/assets/imported/files/guide.pdf"]
    body = (root / "kb" / "general" / "page.md").read_text()
    assert "[a](/_config.yml) [b](/.env) [c](../assets/imported/files/guide.pdf) [d](../assets/imported/files/guide.pdf)" in body
    assert [p.reason for p in result.problems] == [
        "the link '/.env' was left as it was: no page or file of the source has this address",
        "the link '/_config.yml' was left as it was: it is a file of the old site's own configuration or code, not copied",
    ]


def test_existing_files_are_kept_unless_forced_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    source = jekyll(tmp_path, {"_articles/page.md": "---\ntitle: Page\ncategories: [billing]\n---\nNew text.\n"})
    root = tmp_path / "help"
    kb = KbBuilder(root)
    kb.article("billing/page.md", title="Mine", body="My text.")
    before = snapshot(root)
    dry = import_help_center(source, Project.load(root), dry_run=True, force=True)
    assert dry.files == ["kb/billing/page.md"] and snapshot(root) == before
    with pytest.raises(KbgenError, match="1 file.* already exist, for example kb/billing/page.md; nothing was written"):
        import_help_center(source, Project.load(root))
    assert snapshot(root) == before
    import_help_center(source, Project.load(root), force=True)
    assert "New text." in (root / "kb" / "billing" / "page.md").read_text()


def test_a_name_taken_in_another_category_is_renamed(tmp_path: Path) -> None:
    source = jekyll(tmp_path, {"_articles/refunds.md": "---\ntitle: Refunds\ncategories: [payments]\n---\nSee [it](/article/refunds/).\n"})
    root = tmp_path / "help"
    KbBuilder(root).article("billing/refunds.md", title="Refunds", body="Ours.")
    result = import_help_center(source, Project.load(root))
    assert "kb/payments/refunds-2.md" in result.files
    assert "](refunds-2.md)" in (root / "kb" / "payments" / "refunds-2.md").read_text()
    assert check(Project.load(root)).errors == []


@pytest.mark.parametrize("files, message", [
    ({"notes.txt": "hello"}, "not a help center kbgen can import"),
    ({"mkdocs.yml": "docs_dir: ../../\n"}, "docs_dir is not a folder inside the source"),
    ({"mkdocs.yml": "site_name: [x\n"}, "mkdocs.yml:2: this file is not valid YAML"),
    ({"_config.yml": "title: x\n  bad: indent\n", "_articles/a.md": "---\ntitle: A\n---\nA.\n"}, "_config.yml:2:"),
    ({"mkdocs.yml": "site_name: x\n", "docs/a.md": b"\xff\xfe not utf-8"}, "docs/a.md:1: the file is not UTF-8"),
    ({"docusaurus.config.js": "module.exports = {};\n", "docs/x/a.md": "# A\n\nText.\n",
      "docs/x/_category_.json": '{\n  "label": "X",,\n}'}, "docs/x/_category_.json:2: the file is not valid JSON"),
    ({"docusaurus.config.js": "module.exports = {presets: [['classic', {docs: {path: '../../etc'}}]]};\n"},
     "no docs folder inside the source"),
])
def test_a_source_that_cannot_be_read_is_refused(tmp_path: Path, files: dict[str, str | bytes], message: str) -> None:
    source = tmp_path / "source"
    for rel, text in files.items():
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        (source / rel).write_bytes(text if isinstance(text, bytes) else text.encode())
    root = tmp_path / "help"
    KbBuilder(root)
    with pytest.raises(KbgenError) as caught:
        import_help_center(source, Project.load(root))
    assert message in str(caught.value)


def test_the_knowledge_base_itself_is_not_a_source(tmp_path: Path) -> None:
    KbBuilder(tmp_path)
    with pytest.raises(KbgenError, match="holds this knowledge base's kb/ folder"):
        import_help_center(tmp_path, Project.load(tmp_path))


def test_unpublished_pages_become_drafts_and_a_public_link_to_one_is_reported(tmp_path: Path) -> None:
    source = jekyll(tmp_path, {
        "_articles/public.md": "---\ntitle: Public\n---\nSee [the plan](/article/plan/).\n",
        "_articles/plan.md": "---\ntitle: Plan\npublished: false\n---\nNot yet.\n",
        "_drafts/idea.md": "---\ntitle: Idea\n---\nLater; see [the plan](/article/plan/).\n",
    })
    root = tmp_path / "help"
    result = imported(source, root)
    assert "status: draft" in (root / "kb" / "general" / "plan.md").read_text()
    assert "status: draft" in (root / "kb" / "general" / "idea.md").read_text()
    assert [str(p) for p in result.problems] == [
        "_articles/public.md:4: the link '/article/plan/' goes to a draft (general/plan.md); `kbgen check` fails on it "
        "until that article is published"]
    assert [e.rule for e in check(Project.load(root)).errors] == ["link-to-hidden"]


def test_just_the_docs_sections_become_categories(tmp_path: Path) -> None:
    """Jekyll themes such as just-the-docs place a page by `parent` and `grand_parent`, not by category."""
    source = jekyll(tmp_path, {
        "docs/billing.md": "---\ntitle: Billing\nhas_children: true\nnav_order: 2\n---\nPlans and payments.\n",
        "docs/refunds.md": "---\ntitle: Refunds\nparent: Billing\nnav_order: 1\n---\nWithin 30 days.\n",
        "docs/cards/expired.md": "---\ntitle: Expired cards\nparent: Cards\ngrand_parent: Billing\n---\nUpdate it.\n",
    })
    result = imported(source, tmp_path / "help")
    assert sorted(a["path"] for a in result.articles) == [
        "kb/billing/billing.md", "kb/billing/expired.md", "kb/billing/refunds.md"]
    assert "nav_order: 1" in (tmp_path / "help" / "kb" / "billing" / "refunds.md").read_text()


def test_1305_site_relative_template_links_all_become_file_links(tmp_path: Path) -> None:
    """The issue's help center failed `check` with 1,305 broken links, all `{{ site.baseurl }}/article/slug/`."""
    import time

    pages, per_page = 261, 5
    files = {}
    for n in range(pages):
        links = " ".join(f"[see]({{{{ site.baseurl }}}}/article/page-{(n + k) % pages}/)" for k in range(1, per_page + 1))
        files[f"_articles/page-{n}.md"] = (f"---\ntitle: Page {n}\ndescription: Answer {n}.\n"
                                           f"categories: [Topic {n % 7}]\n---\nText {n}. {links}\n")
    source = jekyll(tmp_path, files)
    root = tmp_path / "help"
    started = time.perf_counter()
    result = imported(source, root)
    took = time.perf_counter() - started
    assert result.links_rewritten == pages * per_page == 1305 and result.problems == []
    assert check(Project.load(root)).errors == []
    assert took < 20, f"importing {pages} pages took {took:.1f} s"


def test_a_write_that_fails_leaves_kb_as_it_was(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = tmp_path / "help"
    KbBuilder(root)
    (root / "kb" / "troubleshooting").write_text("a file where a category folder must go")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = root / ".kbgen-cache" / f".kbgen-import-{dead.stdout.strip()}"
    (leftover / "0").parent.mkdir(parents=True)
    (leftover / "0").write_text("from an import that was killed")
    before = snapshot(root)
    with pytest.raises(OSError):
        import_help_center(CASES / "jekyll-basic" / "source", Project.load(root))
    assert snapshot(root) == before
    assert list((root / ".kbgen-cache").glob(".kbgen-import-*")) == []


def test_mdx_code_is_removed_but_prose_that_looks_like_it_is_kept(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "docs" / "data").mkdir(parents=True)
    (source / "docusaurus.config.js").write_text("module.exports = {};\n")
    (source / "docs" / "data" / "move.mdx").write_text(
        "---\ntitle: Move your data\n---\n"
        "import Tabs from '@theme/Tabs';\nimport {A, B} from \"./parts\";\nexport const meta = {a: 1};\n\n"
        "To bring your address book in, you can\nimport your contacts from 'Outlook'\nexport the file first.\n"
        "<Warning>Press <Enter> twice.</Warning> Type `<Name>` in the `<Tabs>` field.\n")
    root = tmp_path / "help"
    result = imported(source, root)
    body = (root / "kb" / "data" / "move.md").read_text().split("---\n", 2)[2]
    assert body == ("To bring your address book in, you can\nimport your contacts from 'Outlook'\nexport the file first.\n"
                    "&lt;Warning&gt;Press &lt;Enter&gt; twice.&lt;/Warning&gt; Type `<Name>` in the `<Tabs>` field.\n")
    assert [p.line for p in result.problems] == [4, 5, 6]
