"""The scaffolded workflows' steps, run in their order by bash in a fresh knowledge base, as a runner
would: the checkout is a real git repository with a base branch, `kbgen` is this checkout's command
line on PATH (the install step itself is what tests/ci/test_install.py runs), actions are skipped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ci.workflows import kind, load, scaffolded
from tests.conftest import ROOT, run_kbgen

GIT_ENV = {"GIT_AUTHOR_NAME": "Editor", "GIT_AUTHOR_EMAIL": "editor@example.test", "GIT_COMMITTER_NAME": "Editor",
           "GIT_COMMITTER_EMAIL": "editor@example.test", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
# the expressions the scaffolded workflows use, as GitHub would fill them in on a pull request into main
EXPRESSIONS = {"github.base_ref": "main", "github.token": "not-a-token", "runner.temp": ""}


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_ENV}, check=True)
    return done.stdout


@pytest.fixture
def runner(tmp_path: Path) -> dict[str, str]:
    """The runner's environment: `kbgen` on PATH, the files GitHub gives every job, no GitHub token."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "kbgen"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m kbgen "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    EXPRESSIONS["runner.temp"] = str(temp)
    return {**os.environ, **GIT_ENV, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1",
            "RUNNER_TEMP": str(temp), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"), "CI": "true", "GITHUB_ACTIONS": "true"}


def expression(value: Any) -> str:
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: EXPRESSIONS[m.group(1)], str(value))


def run_job(job: dict[str, Any], cwd: Path, env: dict[str, str], skip: tuple[str, ...] = ()) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    """Each `run:` step in order with bash as GitHub runs it (-e, pipefail), stopping at the first failure."""
    done = []
    for step in job["steps"]:
        if "uses" in step or kind(step) in ("install", *skip):
            continue
        step_env = {**env, **{k: expression(v) for k, v in (step.get("env") or {}).items()}}
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                cwd=cwd, env=step_env, capture_output=True, text=True, timeout=600)
        done.append((step.get("name") or step["run"], result))
        if result.returncode:
            break
    return done


def new_kb(tmp_path: Path) -> Path:
    kb = tmp_path / "help"
    made = run_kbgen("init", str(kb), "--name", "Acme Help", cwd=tmp_path, env={"KBGEN_SOURCE": ""})
    assert made.code == 0, made.stderr
    git("init", "-q", "-b", "main", cwd=kb)
    git("add", "-A", cwd=kb)
    git("commit", "-q", "-m", "kbgen init", cwd=kb)
    git("update-ref", "refs/remotes/origin/main", "main", cwd=kb)  # as checkout with fetch-depth 0 leaves it
    return kb


def test_pull_request_steps_check_the_change_build_and_report(tmp_path: Path, runner: dict[str, str]) -> None:
    kb = new_kb(tmp_path)
    git("checkout", "-q", "-b", "new-article", cwd=kb)
    (kb / "kb" / "getting-started" / "invite.md").write_text(
        "---\ntitle: How do I invite my team?\nsummary: Open Settings, then Team, and choose Invite.\n---\n"
        "Open **Settings > Team** and choose **Invite**.\n", encoding="utf-8")
    git("add", "-A", cwd=kb)
    git("commit", "-q", "-m", "An article", cwd=kb)

    job = load(scaffolded("pull-request.yml"))["jobs"]["check-and-build"]
    done = run_job(job, kb, runner)
    assert [(name, r.returncode) for name, r in done] == [
        ("Check the changed articles", 0), ("Build the site", 0), ("Gap report", 0)], done[-1][1].stderr
    assert "How do I invite my team?" in (kb / "site" / "getting-started" / "invite" / "index.html").read_text()
    assert (kb / "site" / "index.html").is_file()  # what the artifact step keeps
    assert "## Help center coverage" in Path(runner["GITHUB_STEP_SUMMARY"]).read_text()


def test_a_broken_article_in_the_pull_request_fails_the_check_with_an_annotation(tmp_path: Path, runner: dict[str, str]) -> None:
    kb = new_kb(tmp_path)
    git("checkout", "-q", "-b", "broken", cwd=kb)
    (kb / "kb" / "getting-started" / "broken.md").write_text("---\nsummary: no title here\n---\nText.\n", encoding="utf-8")
    git("add", "-A", cwd=kb)
    git("commit", "-q", "-m", "A broken article", cwd=kb)

    job = load(scaffolded("pull-request.yml"))["jobs"]["check-and-build"]
    done = run_job(job, kb, runner)
    name, result = done[-1]
    assert name == "Check the changed articles" and result.returncode == 1 and len(done) == 1
    assert "::error file=kb/getting-started/broken.md" in result.stdout


def test_publish_steps_build_the_site_pages_uploads(tmp_path: Path, runner: dict[str, str]) -> None:
    kb = new_kb(tmp_path)
    job = load(scaffolded("publish.yml"))["jobs"]["build"]
    done = run_job(job, kb, runner)
    assert [(name, r.returncode) for name, r in done] == [("Build the site", 0)], done[-1][1].stderr
    assert (kb / "site" / "index.html").is_file()


def test_drafts_steps_write_drafts_and_the_pull_requests_description(tmp_path: Path, runner: dict[str, str]) -> None:
    kb = new_kb(tmp_path)
    notes = [{"question": q, "answer": "Not yet; it is planned for next year.", "agent": agent, "channel": "chat"}
             for q, agent in (("is there a dark mode?", "ana"), ("dark mode for the app please", "ben"),
                              ("can I switch the app to a dark theme", "cy"))]
    logged = run_kbgen("log", "-", cwd=kb, stdin="".join(json.dumps(n) + "\n" for n in notes))
    assert logged.code == 0, logged.stderr

    job = load(scaffolded("drafts.yml"))["jobs"]["draft"]
    done = run_job(job, kb, runner, skip=("run",))  # the look for an open pull request asks GitHub
    assert [(name, r.returncode) for name, r in done] == [("Draft articles from the gaps", 0)], done[-1][1].stderr
    body = (Path(runner["RUNNER_TEMP"]) / "drafts.md").read_text()
    assert "### New draft: " in body and "- **3 notes**" in body and "- **Agents** (3): ana, ben, cy" in body
    assert "dark mode" in body
    drafts = [p for p in (kb / "kb").rglob("*.md") if "status: draft" in p.read_text()]
    assert len(drafts) == 1
    assert run_kbgen("check", cwd=kb).code == 0  # what the pull request's own check will say
