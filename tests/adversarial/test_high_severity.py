"""The adversarial pass's four high-severity defects, each reproduced as it was found.

1. a site or report written over the knowledge base's own files;
2. front matter published as live HTML;
3. a damaged search index never rebuilt, and notes refused because of the cache;
4. one deeply nested JSON line losing a batch or crashing the readers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.adversarial.live import live_markup, live_markup_in_site
from tests.conftest import KbBuilder, assert_clean_failure, copy_demo, run_kbgen

DEEP = "[" * 1_000 + "]" * 1_000


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes under FOLDER (nothing there changed if it is equal)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".kbgen-cache" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo")


# --- 1. nothing written over the knowledge base ------------------------------------------------


@pytest.mark.parametrize("folder", ["gaps", "kb", "kb/billing", ".kbgen-cache", ".", "..", "docs", "mkdocs.yml", "README-notes"])
def test_build_refuses_a_site_folder_that_would_delete_the_knowledge_base(demo: Path, folder: str) -> None:
    (demo / "README-notes").mkdir()
    (demo / "README-notes" / "keep.txt").write_text("an editor's file\n")
    (demo / ".kbgen-cache").mkdir(exist_ok=True)
    before = tree_digest(demo)
    result = run_kbgen("build", "-d", folder, cwd=demo)
    assert_clean_failure(result)
    assert "--site-dir" in result.stderr
    assert tree_digest(demo) == before


def test_mkdocs_build_with_the_plugin_refuses_the_gaps_folder(demo: Path) -> None:
    before = tree_digest(demo)
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", "gaps"], cwd=demo, capture_output=True, text=True)
    assert done.returncode != 0 and "gap notes" in done.stderr
    assert tree_digest(demo) == before


def test_build_into_its_own_folder_still_works_and_replaces_the_old_site(demo: Path) -> None:
    assert run_kbgen("build", "-d", "public", cwd=demo).code == 0
    (demo / "public" / "stale.html").write_text("<html>old</html>")
    result = run_kbgen("build", "-d", "public", cwd=demo)
    assert result.code == 0, result.stderr
    assert (demo / "public" / "index.html").is_file() and not (demo / "public" / "stale.html").exists()
    assert not list(demo.glob(".public.*")), "the staging folder was left behind"


@pytest.mark.parametrize("target", ["kb/billing/refund-policy.md", "kb/new.html", "gaps/report.html", "site/report.html",
                                    ".kbgen-cache/report.html", "mkdocs.yml", "README.md", "docs/index.md"])
def test_report_html_refuses_files_of_the_knowledge_base_and_site(demo: Path, target: str) -> None:
    (demo / "site").mkdir()
    (demo / "site" / "index.html").write_text("<!doctype html><p>the site</p>")
    (demo / "README.md").write_text("# Our help center\n")
    before = tree_digest(demo)
    result = run_kbgen("report", "--html", target, cwd=demo)
    assert_clean_failure(result)
    assert result.stderr.startswith("error: --html:")
    assert tree_digest(demo) == before


def test_report_html_overwrites_its_own_earlier_report(demo: Path) -> None:
    (demo / "report.html").write_text("<!DOCTYPE html><html>an older report</html>")
    result = run_kbgen("report", "--html", "report.html", "--as-of", "2026-11-22", cwd=demo)
    assert result.code == 0, result.stderr
    assert "an older report" not in (demo / "report.html").read_text()


# --- 2. front matter never becomes live HTML --------------------------------------------------

HOSTILE = {
    "title": 'Refund <img src=x onerror=alert("PWNED")> [x](javascript:alert("PWNED")) *em*',
    "summary": '0;url=//evil.example/PWNED" http-equiv="refresh',
    "questions": ['<script>alert("PWNED")</script> how do refunds work', "refund <svg onload=alert('PWNED')>"],
    "tags": ["<b onmouseover=alert('PWNED')>t</b>"],
}


def hostile_kb(kb: KbBuilder) -> None:
    kb.write("categories.yml", """\
        billing:
          title: "Bill<img src=x onerror=alert('PWNED')>ing"
          description: "Desc \\" onmouseover=\\"alert('PWNED')<script>alert('PWNED')</script>"
        """)
    kb.article("billing/refunds.md", body="Body text about refunds.", **HOSTILE)
    kb.article("billing/other.md", title="Other article", summary='A "quoted" summary & more', questions=["other"])


def test_hostile_front_matter_is_published_as_text(kb: KbBuilder) -> None:
    hostile_kb(kb)
    result = run_kbgen("build", cwd=kb.root)
    assert result.code == 0, result.stderr
    site = kb.root / "site"
    assert live_markup_in_site(site) == {}
    page = (site / "billing" / "refunds" / "index.html").read_text()
    assert '<meta name="description" content="0;url=//evil.example/PWNED&quot; http-equiv=&quot;refresh">' in page
    assert "Refund &lt;img src=x onerror=alert(&quot;PWNED&quot;)&gt;" in page  # the title, shown as written
    category = (site / "billing" / "index.html").read_text()
    assert "Bill&lt;img src=x onerror=alert(&#x27;PWNED&#x27;)&gt;ing" in category


def test_the_live_markup_finder_finds_what_it_should() -> None:
    assert live_markup('<img src=x onerror="alert(\'PWNED\')">')
    assert live_markup('<meta http-equiv="refresh" content="0;url=//PWNED">')
    assert live_markup('<a href="javascript:alert(\'PWNED\')">x</a>')
    assert live_markup("<script>alert('PWNED')</script>")
    assert not live_markup("<p>&lt;img src=x onerror=alert('PWNED')&gt;</p>")


def test_demo_meta_descriptions_are_well_formed(demo: Path) -> None:
    result = run_kbgen("build", cwd=demo)
    assert result.code == 0, result.stderr
    page = (demo / "site" / "account-and-sign-in" / "reset-password" / "index.html").read_text()
    from html.parser import HTMLParser

    metas: list[dict[str, str | None]] = []

    class Metas(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "meta":
                metas.append(dict(attrs))

    Metas().feed(page)
    description = next(m for m in metas if m.get("name") == "description")
    assert set(description) == {"name", "content"} and '"' in (description["content"] or "")


# --- 3. a damaged cache is rebuilt; notes are stored whatever the cache's state ---------------


def damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "truncated":
        with path.open("r+b") as handle:
            handle.truncate(size // 2)
    elif how == "emptied":
        path.write_bytes(b"")
    elif how == "random bytes":
        with path.open("r+b") as handle:
            handle.seek(size // 3)
            handle.write(os.urandom(max(min(4096, size // 3), 1)))
    else:
        path.unlink()


@pytest.fixture(scope="module")
def indexed_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo(tmp_path_factory.mktemp("indexed") / "demo")
    assert run_kbgen("ask", "refund", cwd=root).code == 0
    return root


@pytest.mark.parametrize("how", ["truncated", "emptied", "random bytes", "deleted"])
@pytest.mark.parametrize("pattern", ["search/*.seg", "search/*.toc", "search/manifest.json", "matches.json", "settings.json",
                                     "vectors/articles.npy", "vectors/articles.json", "vectors/texts-*.bin"])
def test_a_damaged_cache_file_is_rebuilt(indexed_demo: Path, tmp_path: Path, pattern: str, how: str) -> None:
    root = tmp_path / "demo"
    shutil.copytree(indexed_demo, root)  # copy2 keeps the times the manifest records
    run_kbgen("report", "--json", "--as-of", "2026-11-22", cwd=root)  # writes matches.json and the notes' vectors
    (target,) = (root / ".kbgen-cache").glob(pattern)
    damage(target, how)
    asked = run_kbgen("ask", "I was charged twice", "--json", cwd=root)
    assert asked.code == 0, asked.stderr
    assert json.loads(asked.stdout)["results"][0]["slug"] == "charged-twice-refunds"
    logged = run_kbgen("log", "a question after the damage", "--answer", "x", cwd=root)
    assert logged.code == 0 and "Traceback" not in logged.stderr, logged.stderr
    for command in (["report", "--json", "--as-of", "2026-11-22"], ["draft", "--dry-run", "--json"]):
        result = run_kbgen(*command, cwd=root)
        assert result.code == 0 and "Traceback" not in result.stderr, (command, result.stderr)


@pytest.mark.parametrize("broken", ["the cache is a file", "the cache is /dev/full", "the index folder is a file"])
def test_log_stores_the_note_whatever_the_cache(demo: Path, broken: str) -> None:
    shutil.rmtree(demo / ".kbgen-cache", ignore_errors=True)
    if broken == "the cache is a file":
        (demo / ".kbgen-cache").write_text("")
    elif broken == "the cache is /dev/full":
        text = (demo / "mkdocs.yml").read_text().replace("  - kbgen:\n", "  - kbgen:\n      cache_dir: /dev/full/cache\n")
        (demo / "mkdocs.yml").write_text(text)
    else:
        (demo / ".kbgen-cache").mkdir()
        (demo / ".kbgen-cache" / "search").write_text("")
    result = run_kbgen("log", "a question while the cache is broken", "--answer", "x", "--json", cwd=demo)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    note = json.loads(result.stdout)
    stored = "".join(p.read_text() for p in (demo / "gaps").glob("*.jsonl"))
    assert note["id"] in stored


# --- 4. one bad JSON line is one named error --------------------------------------------------


def test_log_stream_survives_a_deeply_nested_line(demo: Path) -> None:
    lines = [json.dumps({"question": f"good question number {n} about exports", "id": f"good-{n}"}) for n in range(3)]
    stdin = "\n".join([lines[0], lines[1], DEEP, '{"question": ' + DEEP + "}", lines[2]]) + "\n"
    result = run_kbgen("log", "-", cwd=demo, stdin=stdin)
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "line 3: error: the JSON is nested too deeply" in result.stderr
    assert "line 4: error: the JSON is nested too deeply" in result.stderr
    stored = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert stored == ["good-0", "good-1", "good-2"]


def test_ask_stream_survives_a_deeply_nested_line(demo: Path) -> None:
    stdin = '{"question": "reset my password"}\n{"question": ' + DEEP + "}\nwhere is my invoice\n"
    result = run_kbgen("ask", "-", cwd=demo, stdin=stdin)
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "line 2: error: the JSON is nested too deeply" in result.stderr
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [1, 3]


def test_readers_skip_a_deeply_nested_shard_line(demo: Path) -> None:
    shard = sorted((demo / "gaps").glob("*.jsonl"))[-1]
    with shard.open("a") as handle:
        handle.write(DEEP + "\n" + '{"type": "note", "id": ' + DEEP + "}\n")
    for command in (["report", "--json", "--as-of", "2026-11-22"], ["draft", "--dry-run"]):
        result = run_kbgen(*command, cwd=demo)
        assert result.code == 0, (command, result.stderr)
        assert "nested too deeply" in result.stderr and "Traceback" not in result.stderr


def test_the_live_markup_finder_tells_data_scripts_from_code() -> None:
    assert not live_markup('<script type="application/ld+json">{"name": "PWNED \\u003c/script\\u003e"}</script>')
    assert live_markup('<script type="application/ld+json">{"name": "PWNED</script><script>alert(1)</script>')
