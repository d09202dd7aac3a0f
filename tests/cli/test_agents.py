"""`kbgen ask` and `kbgen log` as agents and bots run them: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, KbBuilder, assert_clean_failure, copy_demo, run_kbgen
from tests.redact.golden import POSITIVE


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A private copy of the demo knowledge base, so tests can log notes and edit articles."""
    return copy_demo(tmp_path / "demo", ("kb", "docs"))


def stored_lines(root: Path) -> list[dict]:
    lines = []
    for shard in sorted((root / "gaps").glob("*.jsonl")):
        for raw in shard.read_text(encoding="utf-8").splitlines():
            lines.append(json.loads(raw))
    return lines


def test_ask_answers_with_title_link_and_snippet(demo: Path) -> None:
    result = run_kbgen("ask", "I was charged twice this month", cwd=demo)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Answered by:\n1. I was charged twice. How do I get a refund?")
    assert "https://help.cos.example/billing/charged-twice-refunds/" in result.stdout


def test_ask_json(demo: Path) -> None:
    data = json.loads(run_kbgen("ask", "how do i reset my pasword", "--json", "--limit", "2", cwd=demo).stdout)
    assert data["answered"] is True and len(data["results"]) == 2
    best = data["results"][0]
    assert best["slug"] == "reset-password" and best["url"].endswith("/account-and-sign-in/reset-password/")
    assert set(best) == {"slug", "title", "category", "url", "path", "score", "snippet", "audience"}
    assert best["path"] == "kb/account-and-sign-in/reset-password.md"
    assert best["snippet"]


def test_unanswered_question_shows_how_to_log_it(demo: Path) -> None:
    result = run_kbgen("ask", "do you sell branded hoodies", cwd=demo)
    assert result.code == 0
    assert result.stdout.startswith("Not answered by the knowledge base yet.")
    assert "kbgen log 'do you sell branded hoodies' --answer" in result.stdout


def test_internal_articles_are_marked(demo: Path) -> None:
    data = json.loads(run_kbgen("ask", "how do agents escalate a P1 ticket to on-call engineering", "--json", cwd=demo).stdout)
    best = data["results"][0]
    assert best["slug"] == "escalation-playbook" and best["audience"] == "internal"
    assert best["url"] == "" and best["path"].startswith("kb/") and best["path"].endswith("/escalation-playbook.md")
    text = run_kbgen("ask", "how do agents escalate a P1 ticket to on-call engineering", cwd=demo).stdout
    assert "[internal: for agents only, do not send to customers]" in text
    assert best["path"] in text and "/escalation-playbook/" not in text  # never a public URL that 404s


@pytest.mark.parametrize("question", ["how do I", "I have a question", "the the the", "can I", "COS", "hello"])
def test_questions_that_name_no_topic_are_never_answered(demo: Path, question: str) -> None:
    data = json.loads(run_kbgen("ask", question, "--json", cwd=demo).stdout)
    assert data["answered"] is False and data["results"] == [], data["results"][:1]  # no score that reads like a match
    text = run_kbgen("ask", question, cwd=demo).stdout
    assert "names no topic" in text


def test_a_topic_among_filler_words_is_still_answered(demo: Path) -> None:
    data = json.loads(run_kbgen("ask", "hi, I have a question: how do I reset my password?", "--json", cwd=demo).stdout)
    assert data["answered"] is True and data["results"][0]["slug"] == "reset-password"


def test_in_a_small_knowledge_base_common_topic_words_still_answer(tmp_path: Path) -> None:
    root = tmp_path / "small"
    for folder in ("billing", "account-and-sign-in"):  # 12 articles; "password", "plan" in several
        shutil.copytree(ROOT / "kb" / folder, root / "kb" / folder)
    shutil.copytree(ROOT / "docs", root / "docs")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    for question, slug in [("how do I change my password?", "reset-password"), ("how do I change my plan?", "change-plan")]:
        data = json.loads(run_kbgen("ask", question, "--json", cwd=root).stdout)
        assert data["answered"] is True and data["results"][0]["slug"] == slug, question


def test_drafts_are_never_answers(demo: Path) -> None:
    data = json.loads(run_kbgen("ask", "How do I connect COS to Notion?", "--json", "--limit", "10", cwd=demo).stdout)
    assert "connect-notion" not in [r["slug"] for r in data["results"]]


def test_ask_stream_keeps_order_ids_and_reports_bad_lines(demo: Path) -> None:
    stdin = 'how do I cancel\n{"question": "charged twice", "id": "q-2"}\n\n{"id": 3}\nwhere is my invoice\n'
    result = run_kbgen("ask", "-", cwd=demo, stdin=stdin)
    assert result.code == 1
    assert "line 4: error:" in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == ["how do I cancel", "charged twice", "where is my invoice"]
    assert [r["id"] for r in rows] == [None, "q-2", None]
    assert rows[1]["results"][0]["slug"] == "charged-twice-refunds"


def test_log_stores_a_redacted_note_and_links_an_existing_answer(demo: Path) -> None:
    result = run_kbgen(
        "log", "I got charged twice, my card is 4111 1111 1111 1111", "--answer", "Refunded; mail ann@example.com",
        "--agent", "maya", "--channel", "chat", "--ticket", "CS-1", "--tag", "billing", "--category", "billing",
        cwd=demo,
    )
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Logged note ") and "(redacted: card, email)" in result.stdout
    assert "https://help.cos.example/billing/charged-twice-refunds/" in result.stdout
    (note,) = stored_lines(demo)
    assert note["question"] == "I got charged twice, my card is [card]"
    assert note["answer"] == "Refunded; mail [email]"
    assert note["answered"] is True and note["matched"][0]["slug"] == "charged-twice-refunds"
    assert (note["agent"], note["channel"], note["ticket"], note["tags"], note["category"]) == ("maya", "chat", "CS-1", ["billing"], "billing")


def test_log_json_and_idempotent_id(demo: Path) -> None:
    first = json.loads(run_kbgen("log", "can I pay with crypto", "--answer", "No", "--id", "T-9", "--json", cwd=demo).stdout)
    assert first["id"] == "T-9" and first["stored"] is True and first["state"] == "open"
    again = run_kbgen("log", "can I pay with crypto?", "--answer", "No", "--id", "T-9", cwd=demo)
    assert again.code == 0 and "already logged" in again.stdout
    assert len(stored_lines(demo)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "pigeon"], "--channel: channel 'pigeon' is not one of"),
        (["--category", "nope"], "--category: category 'nope' is not a folder of kb/"),
        (["--id", "bad id"], "--id:"),
    ],
)
def test_log_bad_input_stores_nothing(demo: Path, args: list[str], message: str) -> None:
    result = run_kbgen("log", "a question", "--answer", "a", *args, cwd=demo)
    assert_clean_failure(result)
    assert message in result.stderr
    assert not list((demo / "gaps").glob("*.jsonl")) if (demo / "gaps").exists() else True


def test_log_stream_stores_good_lines_and_names_bad_ones(demo: Path) -> None:
    stdin = "\n".join([
        json.dumps({"question": "do you have a student discount", "answer": "Not yet", "channel": "email", "id": "A1"}),
        "{not json",
        json.dumps({"question": "", "answer": "x"}),
        json.dumps({"question": "where are my invoices", "answer": "Settings > Billing", "time": "2026-11-01T09:00:00Z"}),
        json.dumps(["a list"]),
    ]) + "\n"
    result = run_kbgen("log", "-", cwd=demo, stdin=stdin)
    assert result.code == 1
    assert "line 2: error: not valid JSON" in result.stderr
    assert "line 3 (question): error:" in result.stderr
    assert "line 5: error:" in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 4] and all(r["stored"] for r in rows)
    assert rows[1]["answered"] is True and rows[1]["article"]["slug"] == "download-invoices"
    assert {n["question"] for n in stored_lines(demo)} == {"do you have a student discount", "where are my invoices"}


def _log_bytes(demo: Path, stdin: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kbgen", "log", "-", *args], cwd=demo, input=stdin, capture_output=True,
                          env={**os.environ, "NO_COLOR": "1"}, timeout=300)


def test_log_stream_keeps_good_lines_around_undecodable_and_impossible_ones(demo: Path) -> None:
    stdin = b"\n".join([
        b'\xef\xbb\xbf{"question": "good first line", "id": "G-1"}',
        b'{"question": "bad \xff\xfe bytes"}',
        b'{"question": "far past", "time": "0001-01-01T00:00:00+01:00"}',
        b'{"question": "typo in the year", "time": "1926-11-01T10:00:00Z"}',
        b'{"question": NaN}',
        b'{"question": 5}',
        b'{"question": "good last line", "id": "G-2"}',
    ]) + b"\n"
    done = _log_bytes(demo, stdin)
    err = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in err
    for expected in ("line 2 (question): error: 'question' is not valid UTF-8 text", "line 3 (time):",
                     "line 4 (time): error: 'time' is 1926-11-01T10:00:00Z, before 2000", "line 5: error: NaN",
                     "line 6 (question): error: 'question' must be text"):
        assert expected in err
    assert {n["id"] for n in stored_lines(demo)} == {"G-1", "G-2"}


def test_log_stream_takes_options_as_defaults_and_refuses_one_id_for_many(demo: Path) -> None:
    stdin = json.dumps({"question": "can I pay in yen"}) + "\n" + json.dumps({"question": "yen?", "channel": "email", "agent": "tom"}) + "\n"
    result = run_kbgen("log", "-", "--agent", "maya", "--channel", "chat", "--tag", "vip", "--ticket", "T-1", cwd=demo, stdin=stdin)
    assert result.code == 0, result.stderr
    first, second = stored_lines(demo)
    assert (first["agent"], first["channel"], first["tags"], first["ticket"]) == ("maya", "chat", ["vip"], "T-1")
    assert (second["agent"], second["channel"]) == ("tom", "email")  # a line's own fields win
    refused = run_kbgen("log", "-", "--id", "X-1", cwd=demo, stdin=stdin)
    assert refused.code == 2 and "--id" in refused.stderr and len(stored_lines(demo)) == 2


def test_log_json_for_a_repeated_id_shows_the_note_the_log_holds(demo: Path) -> None:
    assert run_kbgen("log", "first version", "--answer", "A1", "--id", "T-1", "--channel", "chat", cwd=demo).code == 0
    again = json.loads(run_kbgen("log", "second version", "--answer", "A2", "--id", "T-1", "--json", cwd=demo).stdout)
    assert again["stored"] is False
    assert (again["question"], again["answer"], again["channel"]) == ("first version", "A1", "chat")


def test_log_never_offers_an_internal_article_to_send(demo: Path) -> None:
    question = "how do agents escalate a P1 ticket to on-call engineering"
    text = run_kbgen("log", question, "--answer", "paged on-call", cwd=demo).stdout
    assert "internal article" in text and "you can send it now" not in text
    row = json.loads(run_kbgen("log", "-", cwd=demo, stdin=json.dumps({"question": question}) + "\n").stdout)
    assert row["article"]["audience"] == "internal"


def test_tags_and_agent_are_redacted_too(demo: Path) -> None:
    result = run_kbgen("log", "shared link broken", "--answer", "fixed", "--tag", "john.smith@gmail.com",
                       "--agent", "jane.doe@gmail.com", "--json", cwd=demo)
    note = json.loads(result.stdout)
    assert note["tags"] == ["[email]"] and note["agent"] == "[email]" and "email" in note["redacted"]
    assert "gmail" not in "".join(p.read_text(encoding="utf-8") for p in (demo / "gaps").glob("*.jsonl"))


def test_ask_stream_numbers_its_lines_and_reads_a_byte_order_mark(demo: Path) -> None:
    stdin = '\ufeff{"question": "how do I reset my password", "id": "Q1"}\r\n\nwhere is my invoice\n'
    rows = [json.loads(line) for line in run_kbgen("ask", "-", cwd=demo, stdin=stdin).stdout.splitlines()]
    assert [(r["id"], r["line"]) for r in rows] == [("Q1", 1), (None, 3)]
    assert rows[0]["results"][0]["slug"] == "reset-password"


@pytest.mark.parametrize("broken", ["gaps is a file", "a shard is a folder"])
def test_broken_folders_are_one_line_errors(demo: Path, broken: str) -> None:
    if broken == "gaps is a file":
        (demo / "gaps").write_text("")
    else:
        (demo / "gaps" / "2026-11.jsonl").mkdir(parents=True)
        for month in range(1, 13):
            (demo / "gaps" / f"2026-{month:02d}.jsonl").mkdir(exist_ok=True)
    assert_clean_failure(run_kbgen("log", "a question about folders", "--answer", "x", cwd=demo))


@pytest.mark.parametrize(
    ("question", "answer", "where"),
    [
        ("<script>alert(1)</script> how do I export", "x", "QUESTION"),
        ("why is my export empty", "<img src=x onerror=alert(1)>", "--answer"),
        ("see <iframe src=https://evil.example>", "x", "QUESTION"),
        ('open <a href="javascript:alert(1)">this</a> in the app', "x", "QUESTION"),
        ("<img/onerror=alert(1) src=x> upload broken", "x", "QUESTION"),
        ('link <a href="jav&#x61;script:alert(1)">here</a>', "x", "QUESTION"),
    ],
)
def test_log_refuses_raw_html_or_script_and_stores_nothing(demo: Path, question: str, answer: str, where: str) -> None:
    result = run_kbgen("log", question, "--answer", answer, cwd=demo)
    assert_clean_failure(result)
    assert f"{where}:" in result.stderr and "live HTML or script" in result.stderr
    assert stored_lines(demo) == [] if (demo / "gaps").exists() else True


@pytest.mark.parametrize(
    "words",
    ["why does <b> not render in my doc", "my <form> field won't submit", "How do I add a <script> tag to my site?",
     "javascript: how do I enable it", "I set limit <100 and onboarding = true in the config",
     "Links show javascript:void(0) on hover"],
)
def test_log_keeps_words_about_markup(demo: Path, words: str) -> None:
    result = run_kbgen("log", words, "--answer", "Turn on JavaScript: Settings > Privacy", "--json", cwd=demo)
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["question"] == words


def test_a_broken_unicode_escape_is_one_bad_line_not_a_lost_batch(demo: Path) -> None:
    stdin = '{"question": "emoji broken \\ud83d here"}\n{"question": "fine question about invoices", "id": "F-1"}\n'
    result = run_kbgen("log", "-", cwd=demo, stdin=stdin)
    assert result.code == 1 and "Traceback" not in result.stderr and "line 1 (question)" in result.stderr
    assert [n["id"] for n in stored_lines(demo)] == ["F-1"]
    asked = run_kbgen("ask", "-", cwd=demo, stdin='{"question": "emoji broken \\ud83d here"}\n')
    assert asked.code == 0 and "\ufffd" in json.loads(asked.stdout)["question"]


def test_no_personal_data_from_the_redaction_table_reaches_gaps(demo: Path) -> None:
    stdin = "".join(json.dumps({"question": text, "answer": f"We replied about: {text}"}) + "\n" for text, _, _ in POSITIVE)
    result = run_kbgen("log", "-", cwd=demo, stdin=stdin)
    assert result.code == 0, result.stderr
    on_disk = "".join(p.read_text(encoding="utf-8") for p in (demo / "gaps").rglob("*") if p.is_file())
    # note ids are random (a ULID may read '2024'): look for secrets everywhere else
    on_disk = re.sub(r'"id":"[0-9A-Z]{26}"', '"id":""', on_disk)
    for text, redacted, _ in POSITIVE:
        stored = json.dumps(redacted, ensure_ascii=False)[1:-1]
        assert stored in on_disk
        for secret in _removed_parts(text, redacted):
            assert secret not in on_disk, f"{secret!r} from {text!r} reached gaps/"


def _removed_parts(original: str, redacted: str) -> list[str]:
    """The stretches of ORIGINAL that redaction replaced (what must never be stored)."""
    import difflib

    matcher = difflib.SequenceMatcher(a=original, b=redacted, autojunk=False)
    return [original[i1:i2] for tag, i1, i2, _, _ in matcher.get_opcodes() if tag in ("replace", "delete") and len(original[i1:i2].strip()) >= 4]


def test_index_is_updated_incrementally_and_rebuilt_when_damaged(demo: Path) -> None:
    assert json.loads(run_kbgen("ask", "hoodie merchandise", "--json", cwd=demo).stdout)["answered"] is False
    (demo / "kb" / "billing" / "merch.md").write_text(
        "---\ntitle: Can I buy COS hoodies and merchandise?\nsummary: Yes, at shop.cos.example.\n"
        "questions:\n  - hoodie merchandise\n---\nVisit the shop.\n"
    )
    data = json.loads(run_kbgen("ask", "hoodie merchandise", "--json", cwd=demo).stdout)
    assert data["answered"] is True and data["results"][0]["slug"] == "merch"
    (demo / "kb" / "billing" / "merch.md").unlink()
    data = json.loads(run_kbgen("ask", "hoodie merchandise", "--json", cwd=demo).stdout)
    assert all(r["slug"] != "merch" for r in data["results"])

    index_dir = demo / ".kbgen-cache" / "search"
    for segment in index_dir.glob("*.seg"):
        segment.write_bytes(b"garbage")
    for toc in index_dir.glob("*.toc"):
        toc.write_bytes(b"garbage")
    result = run_kbgen("ask", "I was charged twice", "--json", cwd=demo)
    assert result.code == 0 and "rebuilding it" in result.stderr
    assert json.loads(result.stdout)["results"][0]["slug"] == "charged-twice-refunds"


@pytest.mark.slow
def test_sixteen_processes_log_at_once_and_every_note_is_stored_once(demo: Path) -> None:
    batch_workers, single_workers, per_batch, shared = 12, 4, 250, 20
    procs = []
    for w in range(batch_workers):
        lines = [json.dumps({"question": f"worker {w} question {i} about exports", "answer": "a", "id": f"w{w}-{i}"}) for i in range(per_batch)]
        lines += [json.dumps({"question": f"shared question {i}", "answer": "a", "id": f"shared-{i}"}) for i in range(shared)]
        source = demo / f"batch-{w}.jsonl"
        source.write_text("\n".join(lines) + "\n")
        with source.open() as stdin:
            procs.append(subprocess.Popen([sys.executable, "-m", "kbgen", "log", "-"], cwd=demo, stdin=stdin,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    script = ("import subprocess, sys\n"
              "for i in range(5):\n"
              "    subprocess.run([sys.executable, '-m', 'kbgen', 'log', f'single {sys.argv[1]} {i}', '--answer', 'a'], check=True)\n")
    for w in range(single_workers):
        procs.append(subprocess.Popen([sys.executable, "-c", script, str(w)], cwd=demo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    notes = stored_lines(demo)
    ids = [n["id"] for n in notes]
    assert len(ids) == len(set(ids)) == batch_workers * per_batch + shared + single_workers * 5
    assert {f"shared-{i}" for i in range(shared)} <= set(ids)


@pytest.mark.slow
def test_sigkill_in_the_middle_of_a_batch_leaves_only_whole_lines(demo: Path) -> None:
    run_kbgen("ask", "warm up the index", cwd=demo)
    lines = "".join(json.dumps({"question": f"question number {i} about sync", "answer": "x" * 300}) + "\n" for i in range(20_000))
    source = demo / "batch.jsonl"
    source.write_text(lines)
    with source.open() as stdin:
        proc = subprocess.Popen([sys.executable, "-m", "kbgen", "log", "-"], cwd=demo, stdin=stdin,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sum(p.stat().st_size for p in (demo / "gaps").glob("*.jsonl")) < 200_000:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    raw = b"".join(p.read_bytes() for p in sorted((demo / "gaps").glob("*.jsonl")))
    assert raw and raw.endswith(b"\n")
    count = 0
    for line in raw.splitlines():
        json.loads(line)
        count += 1
    assert 0 < count < 20_000
    after = run_kbgen("log", "after the crash", "--answer", "fine", cwd=demo)
    assert after.code == 0
    assert len(stored_lines(demo)) == count + 1


def test_outside_a_knowledge_base_ask_fails_cleanly(tmp_path: Path) -> None:
    assert_clean_failure(run_kbgen("ask", "anything", cwd=tmp_path))


def test_log_works_in_a_fresh_kb(kb: KbBuilder) -> None:
    kb.article("basics/hello.md", "How do I say hello?", questions=["greeting"])
    result = run_kbgen("log", "how do I say goodbye", "--answer", "wave", cwd=kb.root)
    assert result.code == 0, result.stderr
    assert list((kb.root / "gaps").glob("20*.jsonl"))


def test_log_options_are_the_note_fields_of_the_one_table(tmp_path: Path) -> None:
    """Each note field with flags is an option of `kbgen log`, its help the table's (kbgen.note_fields)."""
    from kbgen.note_fields import FIELDS

    result = run_kbgen("log", "--help", cwd=tmp_path, env={"COLUMNS": "400"})
    assert result.code == 0, result.stderr
    flagged = [f for f in FIELDS if f.flags]
    assert {f.name for f in flagged} == {f.name for f in FIELDS if f.given} - {"question", "time"}
    for spec in flagged:
        line = next((row for row in result.stdout.splitlines() if row.lstrip("│ ").startswith(spec.flags[0] + " ")), "")
        assert spec.help in line, (spec.name, line)
    # `log -` lines may give every field a caller gives: the help names them all
    named = re.search(r"the same fields \(([^)]*)\)", " ".join(result.stdout.replace("│", " ").split()))
    assert named and set(named.group(1).split(", ")) == {f.name for f in FIELDS if f.given}, result.stdout
