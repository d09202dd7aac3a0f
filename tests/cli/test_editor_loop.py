"""The whole loop a team runs, end to end, in a real git repository through the real CLI:
`init`, agents log notes, `draft`, an editor edits the draft in a pull request, CI's
`check --format github` annotates a planted error and a style warning, the editor fixes them,
`promote`, `build`: the article is on the site, its notes are resolved, and the gap is closed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_kbgen

pytestmark = pytest.mark.slow

QUESTIONS = [
    "can I pay by invoice instead of card",
    "do you accept payment by invoice",
    "how do I pay with an invoice",
    "is paying by bank invoice possible",
]
ANSWER = "Yes: on yearly plans we send an invoice you pay by bank transfer."


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Editor", "-c", "user.email=editor@example.test", *args],
                          cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def ok(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = run_kbgen(*args, cwd=root, env=env)
    assert done.code == 0, (args, done.stdout, done.stderr)
    return done.stdout


def report(root: Path) -> dict:
    return json.loads(ok(root, "report", "--json"))


def test_notes_become_a_published_article_and_the_gap_closes(tmp_path: Path) -> None:
    root = tmp_path / "help"
    ok(tmp_path, "init", str(root), "--name", "Acme Help")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "A new help center")

    # agents log what the knowledge base could not answer
    for number, question in enumerate(QUESTIONS):
        ok(root, "log", question, "--answer", ANSWER, "--channel", "chat", "--id", f"T-{number}",
           env={"KBGEN_AGENT": ("ana", "ben")[number % 2]})
    before = report(root)
    assert before["kpis"]["open_gaps"] == 1 and before["gaps"][0]["size"] == 4
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Notes from this week")

    # the scheduled job drafts the gap; the gap stays open, "in draft", until it is published
    (draft,) = json.loads(ok(root, "draft", "--json"))["drafts"]
    path = root / draft["path"]
    in_draft = report(root)
    assert in_draft["kpis"]["open_gaps"] + in_draft["kpis"]["gaps_in_draft"] == 1
    assert in_draft["kpis"]["gaps_in_draft"] == 1
    assert [d["path"] for d in in_draft["drafts"]] == [draft["path"]]
    markdown = ok(root, "report", "--markdown")
    assert "| Open gaps | 1: 0 to write (0 notes), 1 in draft |" in markdown
    assert f"gap {draft['gap_id']}, 4 notes, open until published" in markdown
    git(root, "checkout", "-qb", "invoice-article")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Draft from gap")

    # the editor rewrites the body, with a broken link and a word the style guide avoids
    text = path.read_text(encoding="utf-8")
    front, _, _ = text.partition("\n---\n")
    body_line = front.count("\n") + 3  # the line after the closing '---'
    path.write_text(front + "\n---\n"
                    "Simply choose a yearly plan and pick Invoice at checkout. We email the invoice at once.\n\n"
                    "Pay it by bank transfer within 30 days. The details are in [our bank details](../billing/bank.md).\n",
                    encoding="utf-8")
    checked = run_kbgen("check", "--format", "github", "--changed-since", "main", cwd=root)
    assert checked.code == 1
    annotations = checked.stdout.splitlines()
    where = f"file={draft['path']},line="
    assert f"::error {where}{body_line + 2},title=kbgen broken-link::the link '../billing/bank.md' points to " \
           "kb/billing/bank.md, which does not exist" in annotations
    assert f"::warning {where}{body_line},title=kbgen avoid-word::'simply' is on the list of words to avoid " \
           "(style_avoid_words)" in annotations
    assert all(where in line for line in annotations), annotations  # only the changed file is annotated

    # promote refuses while the error stands, and changes nothing
    assert run_kbgen("promote", draft["slug"], cwd=root).code == 1
    assert "status: draft" in path.read_text(encoding="utf-8")

    # fixed: check is clean, promote publishes, build puts the article on the site
    path.write_text(front + "\n---\n"
                    "Choose a yearly plan and pick Invoice at checkout. We email the invoice at once.\n\n"
                    "Pay it by bank transfer within 30 days. Our bank details are on the invoice.\n",
                    encoding="utf-8")
    assert ok(root, "check", "--format", "github", "--changed-since", "main") == ""
    ok(root, "promote", draft["slug"], "--reviewer", "editor")
    assert "status: published" in path.read_text(encoding="utf-8")
    ok(root, "build")
    category, slug = draft["path"].removeprefix("kb/").removesuffix(".md").split("/")
    page = (root / "site" / category / slug / "index.html").read_text(encoding="utf-8")
    assert "Do you accept payment by invoice?" in page and "Pay it by bank transfer within 30 days." in page

    # the notes are resolved and the gap is closed; agents' questions are answered now
    after = report(root)
    assert after["kpis"]["open_gaps"] == 0 and after["kpis"]["gaps_in_draft"] == 0
    assert after["gaps"] == [] and after["drafts"] == []
    assert after["kpis"]["by_category"]["(none)"]["closed"] == 4
    assert after["kpis"]["median_days_to_article"] is not None
    asked = json.loads(ok(root, "ask", "do you take payment by invoice", "--json"))
    assert asked["answered"] and asked["results"][0]["slug"] == slug
