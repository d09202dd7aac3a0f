"""The adversarial pass's medium-severity defects, each reproduced as it was found."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.adversarial.test_high_severity import tree_digest
from tests.conftest import KbBuilder, assert_clean_failure, copy_demo, run_kbgen


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "demo")


# --- 5. an interrupted or failed build leaves the previous site --------------------------------


def test_a_failed_strict_build_leaves_the_previous_site(demo: Path) -> None:
    assert run_kbgen("build", cwd=demo).code == 0
    before = tree_digest(demo / "site")
    (demo / "docs" / "broken.md").write_text("[nowhere](missing-page.md)\n")  # an mkdocs warning
    result = run_kbgen("build", "--strict", cwd=demo)
    assert_clean_failure(result)
    assert "previous site is left as it was" in result.stderr
    assert tree_digest(demo / "site") == before
    assert not list(demo.glob(".site.*"))


# --- 6. symbolic links in kb/ -------------------------------------------------------------------


def test_symbolic_links_are_refused_by_name_and_never_published(kb: KbBuilder, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: Internal salaries\n---\nEveryone's salary.\n")
    kb.article("billing/refunds.md", title="Refunds", summary="Ask us.", questions=["refund"])
    os.symlink(secret, kb.root / "kb" / "billing" / "salaries.md")
    os.symlink(tmp_path / "nowhere.md", kb.root / "kb" / "billing" / "dangling.md")
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", kb.root / "kb" / "linked-category")
    result = run_kbgen("check", cwd=kb.root)
    assert result.code == 1
    for name in ("kb/billing/salaries.md", "kb/billing/dangling.md", "kb/linked-category"):
        assert f"{name}: error: this is a symbolic link" in result.stdout + result.stderr, name
    assert run_kbgen("build", cwd=kb.root).code == 1
    asked = json.loads(run_kbgen("ask", "what are the salaries", "--json", cwd=kb.root).stdout)
    assert all(r["slug"] != "salaries" for r in asked["results"])


# --- 7 and 8: duplicate keys and alias bombs never stop agents ------------------------------------


def test_an_alias_bomb_in_one_article_never_stops_logging(kb: KbBuilder) -> None:
    kb.article("billing/refunds.md", title="Refunds", summary="Ask us.", questions=["refund"])
    lines = ["---", "title: A bomb", 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    prev = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ", ".join(f"*{prev}" for _ in range(10)) + "]")
        prev = name
    kb.write("billing/bomb.md", "\n".join([*lines, "questions: *j", "---", "Body.", ""]))
    started = time.monotonic()
    result = run_kbgen("check", cwd=kb.root)
    assert result.code == 1 and "yaml-too-large" in result.stdout and len(result.stdout) < 10_000
    logged = run_kbgen("log", "how do refunds work", "--answer", "ask us", cwd=kb.root)
    assert logged.code == 0, logged.stderr
    assert time.monotonic() - started < 60


# --- 9. kb/ is never changed when gaps/ cannot record it -----------------------------------------


@pytest.mark.parametrize("command", [["draft"], ["promote"], ["report", "--apply-findability"]])
def test_nothing_in_kb_changes_when_the_note_log_cannot_be_written(demo: Path, command: list[str]) -> None:
    shard = demo / "gaps" / f"{datetime.now(timezone.utc):%Y-%m}.jsonl"
    if shard.exists():
        shard.unlink()
    shard.mkdir()  # the shard events would go to cannot be appended to
    drafts = [p for p in (demo / "kb").rglob("*.md") if "status: draft" in p.read_text()]
    if command[0] == "promote":
        target = drafts[0]
        text = target.read_text()
        start = text.index("<!-- Drafted by kbgen") if "<!-- Drafted by kbgen" in text else -1
        if start >= 0:
            end = text.index("-->", start) + 3
            target.write_text(text[:start] + text[end:])
        command = ["promote", str(target.relative_to(demo))]
    before = tree_digest(demo / "kb")
    result = run_kbgen(*command, cwd=demo)
    assert_clean_failure(result)
    assert "note log cannot be written" in result.stderr
    assert tree_digest(demo / "kb") == before
