"""`kbgen ask --reply` as agents and their bots run it: the reply to paste, in text and JSON, and
what it says instead when there is no reply to send."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import assert_clean_failure, run_kbgen

CASES = Path(__file__).parent.parent / "reply_cases"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "help"
    shutil.copytree(CASES / "kb", root)
    return root


def test_reply_in_text_is_the_golden_reply_after_the_answer(project: Path) -> None:
    done = run_kbgen("ask", "how do I get a refund", "--reply", "--channel", "email", "--customer-name", "Sam Lee",
                     cwd=project, env={"KBGEN_AGENT": "Dana"})
    assert done.code == 0, done.stderr
    head, reply = done.stdout.split("\nReply (email), ready to send:\n\n")
    assert head.startswith("Answered by:\n1. How do I get a refund?")
    assert reply == (CASES / "expected" / "refund-email-names.txt").read_text()


def test_reply_in_json_and_the_reason_when_there_is_none(project: Path) -> None:
    done = run_kbgen("ask", "can I get my money back?", "--reply", "--json", "--customer-name", "Sam Lee",
                     "--agent-name", "Dana", cwd=project)
    assert done.code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answered"] and data["reply"] == {
        "channel": "chat", "format": "text", "slug": "refunds", "url": "https://help.example.test/billing/refunds/",
        "text": (CASES / "expected" / "refund-chat-names.txt").read_text().rstrip("\n")}

    internal = json.loads(run_kbgen("ask", "who approves a late refund", "--reply", "--json", cwd=project).stdout)
    assert internal["answered"] and internal["reply"] is None
    assert "internal article" in internal["no_reply"]


def test_no_reply_from_an_internal_article_shows_the_log_command(project: Path) -> None:
    done = run_kbgen("ask", "who approves a late refund", "--reply", cwd=project)
    assert done.code == 0, done.stderr
    assert "[internal: for agents only" in done.stdout
    assert "No reply: the answer is in an internal article (kb/billing/refund-exceptions.md)" in done.stdout
    assert "kbgen log 'who approves a late refund' --answer" in done.stdout
    assert "Reply (" not in done.stdout


def test_no_reply_when_not_answered(project: Path) -> None:
    done = run_kbgen("ask", "can I pay with bitcoin", "--reply", cwd=project)
    assert done.code == 0, done.stderr
    assert "Not answered by the knowledge base yet." in done.stdout
    assert "No reply: the knowledge base does not answer this question yet." in done.stdout
    assert "kbgen log 'can I pay with bitcoin'" in done.stdout and "Bitcoin on yearly" not in done.stdout


def test_batch_replies_take_each_line_s_customer_name(project: Path) -> None:
    lines = "\n".join([
        json.dumps({"id": "T-1", "question": "how do I get a refund", "customer_name": "Ana"}),
        "how do I get a refund",
        json.dumps({"id": "T-3", "question": "who approves a late refund"}),
        json.dumps({"id": "T-4", "question": "refund", "customer_name": 7}),
    ]) + "\n"
    done = run_kbgen("ask", "-", "--reply", "--agent-name", "Dana", cwd=project, stdin=lines)
    assert done.code == 1
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in results] == ["T-1", None, "T-3"]
    assert results[0]["reply"]["text"].startswith("Hi Ana, thanks for reaching out!")
    assert results[1]["reply"]["text"].startswith("Hi, thanks for reaching out!")
    assert results[0]["reply"]["text"].endswith("\nDana")
    assert results[2]["reply"] is None and "internal article" in results[2]["no_reply"]
    assert 'line 4: error: "customer_name" must be text' in done.stderr


def test_a_team_template_from_mkdocs_yml(project: Path) -> None:
    config = project / "mkdocs.yml"
    config.write_text(config.read_text() + "      replies:\n        sms: '{{ answer }} {{ url }}'\n")
    done = run_kbgen("ask", "how do I get a refund", "--reply", "--channel", "sms", "--json", cwd=project)
    assert json.loads(done.stdout)["reply"]["text"] == (
        "Go to Settings > Billing, choose Request refund and pick the charge; refunds reach your card in 5 to 10 days. "
        "https://help.example.test/billing/refunds/")


def test_an_unknown_channel_is_refused_before_any_matching(project: Path) -> None:
    done = run_kbgen("ask", "how do I get a refund", "--reply", "--channel", "fax", cwd=project)
    assert done.code == 2 and "no reply template 'fax' (known: chat, email)" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_broken_template_is_one_error_naming_file_and_line_and_check_reports_it(project: Path) -> None:
    (project / "replies.yml").write_text("# replies\nchat: |\n  Hi {{ customer_name }\n", encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text() + "      replies_file: replies.yml\n")
    done = run_kbgen("ask", "how do I get a refund", "--reply", cwd=project)
    assert_clean_failure(done)
    assert done.stderr.startswith("error: replies.yml:3: the 'chat' reply template is not valid"), done.stderr
    checked = run_kbgen("check", cwd=project)
    assert checked.code == 1
    assert "replies.yml:3: error: the 'chat' reply template is not valid" in checked.stdout
    # without --reply, ask does not read the templates at all
    assert run_kbgen("ask", "how do I get a refund", cwd=project).code == 0
