"""SIGKILL at random moments, 20 times each: nothing stored is lost or torn, and the next call recovers.

- `kbgen log -` killed mid-batch: only whole lines in gaps/, the next `log` and `report` work;
- the first index build (lexical index and article vectors) killed: the next `ask` answers right;
- `kbgen build` killed: the previous site stays whole, the next build cleans up after it.

These run many processes, so they are in `make test-slow` (which `.ci/run` runs too), not `make test`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.adversarial.test_high_severity import tree_digest
from tests.conftest import KbBuilder, copy_demo, run_kbgen

pytestmark = pytest.mark.trials
TRIALS = int(os.environ.get("KBGEN_KILL_TRIALS", "20"))


def kill_after(command: list[str], cwd: Path, seconds: float, stdin: Path | None = None) -> None:
    with (stdin.open() if stdin else open(os.devnull)) as source:
        process = subprocess.Popen([sys.executable, "-m", "kbgen", *command], cwd=cwd, stdin=source,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds)
        process.send_signal(signal.SIGKILL)
        process.wait()


def test_log_stream_killed_leaves_only_whole_lines(tmp_path: Path) -> None:
    demo = copy_demo(tmp_path / "demo", ("kb", "docs"))
    rng = random.Random(11)
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps({"question": f"question number {i} about syncing folder {i % 97}", "answer": "x" * 200,
                                         "id": f"K-{i}"}) + "\n" for i in range(4_000)))
    for trial in range(TRIALS):
        kill_after(["log", "-"], demo, rng.uniform(0.5, 4.0), batch)
        raw = b"".join(p.read_bytes() for p in sorted((demo / "gaps").glob("*.jsonl")))
        for line in raw.splitlines():
            if line.strip():
                json.loads(line)  # a killed writer leaves at most a torn last line, closed off by the next
    after = run_kbgen("log", "a question after the kills", "--answer", "fine", "--json", cwd=demo)
    assert after.code == 0, after.stderr
    lines = [json.loads(line) for p in sorted((demo / "gaps").glob("*.jsonl")) for line in p.read_text().splitlines() if line.strip()]
    ids = [r["id"] for r in lines if r.get("type") == "note"]
    assert len(ids) == len(set(ids)), "an id logged twice was stored twice"
    assert json.loads(after.stdout)["id"] in ids
    report = run_kbgen("report", "--json", cwd=demo)
    assert report.code == 0, report.stderr


def test_the_first_index_build_killed_is_recovered_by_the_next_ask(kb: KbBuilder) -> None:
    for n in range(400):
        kb.article(f"topic-{n % 8}/article-{n}.md", title=f"How do I configure feature {n}?",
                   summary=f"Open settings {n}.", questions=[f"configure feature {n}", f"feature {n} settings"])
    kb.article("billing/refunds.md", title="How do I get a refund?", summary="Ask us within 30 days.",
               questions=["I was charged twice", "refund please"])
    rng = random.Random(5)
    for trial in range(TRIALS):
        kill_after(["ask", "refund"], kb.root, rng.uniform(0.3, 6.0))
    answer = run_kbgen("ask", "I was charged twice, can I get my money back", "--json", cwd=kb.root)
    assert answer.code == 0, answer.stderr
    assert json.loads(answer.stdout)["results"][0]["slug"] == "refunds"


def test_a_killed_build_leaves_the_previous_site_whole(tmp_path: Path) -> None:
    demo = copy_demo(tmp_path / "demo")
    assert run_kbgen("build", cwd=demo).code == 0
    whole = tree_digest(demo / "site")
    rng = random.Random(7)
    for trial in range(TRIALS):
        kill_after(["build"], demo, rng.uniform(0.2, 3.0))
        assert tree_digest(demo / "site") == whole, f"trial {trial}: the site changed"
    assert run_kbgen("build", cwd=demo).code == 0
    assert not list(demo.glob(".site.*")), "a killed build's staging folder was left behind"
