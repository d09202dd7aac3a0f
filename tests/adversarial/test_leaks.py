"""Nothing that must stay private reaches the built site: hidden articles, notes, redacted values, agents."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import ROOT, KbBuilder, copy_demo, run_kbgen


def site_text(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*")
                     if p.is_file() and p.suffix in {".html", ".json", ".xml", ".js", ".txt", ".css"})


def test_a_generated_knowledge_base_leaks_nothing_hidden_and_no_note(kb: KbBuilder) -> None:
    markers = {}
    for status, audience in (("draft", "public"), ("archived", "public"), ("published", "internal")):
        mark = f"zq{status[:3]}{audience[:3]}mark"
        markers[mark] = (status, audience)
        kb.article(f"billing/{status}-{audience}.md", title=f"Title {mark}", status=status, audience=audience,
                   summary=f"Summary {mark}", questions=[f"question {mark}"], tags=[f"tag{mark}"], owner=f"owner {mark}",
                   body=f"Body {mark}.")
    kb.article("billing/visible.md", title="How do I pay?", summary="By card.", questions=["pay by card"],
               body="By card. See [the plan](../billing/visible.md).")
    notes = [{"question": f"note question zqnotequestion{n}", "answer": f"zqnoteanswer{n} call +44 20 7946 0958",
              "agent": f"zqagent{n}", "ticket": f"ZQTICKET-{n}", "tags": [f"zqnotetag{n}"]} for n in range(5)]
    logged = run_kbgen("log", "-", cwd=kb.root, stdin="".join(json.dumps(n) + "\n" for n in notes))
    assert logged.code == 0, logged.stderr
    assert run_kbgen("draft", "--min-size", "1", cwd=kb.root).code == 0  # drafts from notes: never published
    built = run_kbgen("build", cwd=kb.root)
    assert built.code == 0, built.stderr
    text = site_text(kb.root / "site")
    for mark in markers:
        assert mark not in text, markers[mark]
    for leaked in ("zqnotequestion", "zqnoteanswer", "zqagent", "ZQTICKET", "zqnotetag", "7946 0958", "7946"):
        assert leaked not in text, leaked


def test_the_demo_site_leaks_no_note_ticket_redacted_value_or_hidden_article(tmp_path: Path) -> None:
    demo = copy_demo(tmp_path / "demo")
    assert run_kbgen("build", cwd=demo).code == 0
    text = site_text(demo / "site")
    raw = [json.loads(line) for line in (ROOT / "tests" / "data" / "demo_notes.jsonl").read_text().splitlines()]
    for note in raw:
        assert note["id"] not in text
        if note.get("ticket"):
            assert note["ticket"] not in text, note["ticket"]
    # the raw personal data in the demo's notes (as typed, before redaction) appears nowhere
    personal = set()
    for note in raw:
        for value in (note["question"], note["answer"]):
            personal |= set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", value))
            personal |= {v for v in re.findall(r"\+?\d[\d ()-]{8,}\d", value)
                         if len(re.sub(r"\D", "", v)) >= 9 and not re.match(r"\d{4}-\d\d-\d\d", v)}
    public = {"support@cos.example"}
    assert len(personal - public) >= 5  # the demo's notes do hold personal data, as typed by customers
    for value in personal - public:
        assert value not in text, value
    stored = "".join(p.read_text() for p in (demo / "gaps").glob("*.jsonl"))
    for value in personal - public:
        assert value not in stored or "@cos.example" in value, value
