"""`kbgen draft` and `kbgen promote` through the real CLI, on the golden report case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import MKDOCS_YML, assert_clean_failure, run_kbgen

CASE = Path(__file__).resolve().parent.parent / "report_cases" / "basic"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "help"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("expected.*", ".kbgen-cache"))
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Help\n\n<!-- kbgen:categories -->\n", encoding="utf-8")
    return root


def _draft(root: Path, *args: str) -> list[dict]:
    result = run_kbgen("draft", "--json", *args, cwd=root)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)["drafts"]


def _log(root: Path, *notes: dict) -> None:
    with (root / "gaps" / "2026-10.jsonl").open("a", encoding="utf-8") as handle:
        for note in notes:
            handle.write(json.dumps({"type": "note", "time": "2026-10-24T10:00:00Z", "answered": False, **note}) + "\n")


def _open_note_ids(root: Path) -> set[str]:
    report = json.loads(run_kbgen("report", "--json", cwd=root).stdout)
    return {i for g in report["gaps"] for i in g["note_ids"]} | {i for f in report["findability"] for i in f["note_ids"]}


def test_draft_writes_one_valid_draft_per_big_gap_and_marks_its_notes(project: Path) -> None:
    drafts = _draft(project)  # default --min-size 3
    assert [(d["action"], len(d["note_ids"])) for d in drafts] == [("created", 4), ("created", 3)]
    euros = project / drafts[0]["path"]
    assert drafts[0]["path"].startswith("kb/billing/")
    text = euros.read_text(encoding="utf-8")
    assert "status: draft" in text and f"gap_id: {drafts[0]['gap_id']}" in text
    for note_id in ("N04", "N05", "N06", "N07"):
        assert f"  - {note_id}\n" in text
    assert "  - pay invoice in euros instead of dollars?\n" in text  # phrasings become questions
    assert "We bill in USD." in text  # the agents' answers make the body
    assert run_kbgen("check", cwd=project).code == 0
    assert not {"N04", "N05", "N06", "N07", "N08", "N09", "N10"} & _open_note_ids(project)
    assert _draft(project) == []  # nothing new: nothing written


def test_note_text_in_a_draft_is_inert(project: Path) -> None:
    import markdown

    _draft(project)
    text = next((project / "kb" / "billing").glob("*euros*.md")).read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    rendered = markdown.markdown(body)
    assert "<script" not in rendered and "<a " not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "[click]" in rendered
    assert "\\" not in rendered  # escapes are Python-Markdown's own: no stray backslashes


def test_running_again_adds_new_notes_to_the_same_draft(project: Path) -> None:
    (first, _) = _draft(project)
    _log(project, {"id": "N20", "question": "are euro invoices possible yet?", "answer": "Euro invoices arrive in December."})
    again = next(d for d in _draft(project, "--min-size", "1") if d["path"] == first["path"])
    assert again["path"] == first["path"] and again["action"] == "updated" and again["note_ids"] == ["N20"]
    assert again["gap_id"] == first["gap_id"] and again["body_updated"]
    text = (project / first["path"]).read_text(encoding="utf-8")
    assert "  - N20\n" in text and "  - are euro invoices possible yet?\n" in text
    assert "Euro invoices arrive in December." in text
    assert len(list((project / "kb" / "billing").glob("*euro*.md"))) == 1


def test_an_editors_body_is_never_overwritten(project: Path) -> None:
    (first, _) = _draft(project)
    path = project / first["path"]
    head, _, _ = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(head + "\n---\nWe invoice in US dollars. Euro invoicing is coming.\n", encoding="utf-8")
    _log(project, {"id": "N21", "question": "invoice in EUR?", "answer": "Soon, maybe."})
    again = next(d for d in _draft(project, "--min-size", "1") if d["path"] == first["path"])
    assert again["note_ids"] == ["N21"] and not again["body_updated"]
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n---\nWe invoice in US dollars. Euro invoicing is coming.\n")
    assert "  - N21\n" in text and "Soon, maybe." not in text


def test_dry_run_changes_nothing(project: Path) -> None:
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = run_kbgen("draft", "--dry-run", cwd=project)
    assert result.code == 0 and "would create kb/billing/" in result.stdout
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and ".kbgen-cache" not in p.parts}
    assert after == {p: b for p, b in before.items() if ".kbgen-cache" not in p.parts}


def test_promote_publishes_and_resolves_the_source_notes(project: Path) -> None:
    (first, _) = _draft(project)
    path = project / first["path"]
    refused = run_kbgen("promote", first["path"], cwd=project)
    assert_clean_failure(refused)
    assert "drafting note" in refused.stderr
    head, _, _ = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(head + "\n---\nWe invoice in US dollars for now.\n", encoding="utf-8")
    result = run_kbgen("promote", first["slug"], "--reviewer", "dana", cwd=project)
    assert result.code == 0, result.stderr
    assert "marked 4 notes resolved" in result.stdout
    text = path.read_text(encoding="utf-8")
    assert "status: published" in text and "reviewer: dana" in text and "review_by:" in text
    assert run_kbgen("check", cwd=project).code == 0
    report = json.loads(run_kbgen("report", "--json", cwd=project).stdout)
    assert report["kpis"]["median_days_to_article"] is not None
    assert_clean_failure(run_kbgen("promote", first["path"], cwd=project))  # no longer a draft
    assert_clean_failure(run_kbgen("promote", "kb/nope.md", cwd=project))


def test_drafts_never_reach_the_site(project: Path, tmp_path: Path) -> None:
    (first, second) = _draft(project)
    (project / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")  # the real theme and plugin
    site = tmp_path / "site"
    result = run_kbgen("build", "-d", str(site), cwd=project)
    assert result.code == 0, result.stderr
    assert "How do I reset my password?" in (site / "account" / "reset-password" / "index.html").read_text(encoding="utf-8")
    titles = [first["title"], second["title"]]
    for page in site.rglob("*"):
        if page.suffix in (".html", ".json", ".xml", ".js"):
            content = page.read_text(encoding="utf-8", errors="replace")
            assert not any(t in content for t in titles), page


def test_a_draft_an_editor_already_started_on_the_topic_gets_the_notes(project: Path) -> None:
    started = project / "kb" / "billing" / "euro-invoices.md"
    started.write_text(
        "---\ntitle: Can I get my invoices in euros?\nstatus: draft\nquestions:\n  - invoices in euros\n"
        "  - pay invoice in euros\n---\nWe are working on euro invoicing.\n",
        encoding="utf-8",
    )
    drafts = _draft(project)
    euro = next(d for d in drafts if d["path"] == "kb/billing/euro-invoices.md")
    assert euro["action"] == "updated" and sorted(euro["note_ids"]) == ["N04", "N05", "N06", "N07"]
    assert not euro["body_updated"]  # the editor's body stays
    text = started.read_text(encoding="utf-8")
    assert text.endswith("---\nWe are working on euro invoicing.\n") and "  - N04\n" in text
    assert [d["action"] for d in drafts if d is not euro] == ["created"]  # dark mode still gets its own


def test_promote_refuses_what_check_would_reject_and_changes_nothing(project: Path) -> None:
    (first, _) = _draft(project)
    path = project / first["path"]
    head, _, _ = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(head + "\n---\nSee [plans](../billing/no-such-article.md).\n", encoding="utf-8")
    before = path.read_bytes()
    refused = run_kbgen("promote", first["path"], cwd=project)
    assert_clean_failure(refused)
    assert "no-such-article" in refused.stderr
    assert path.read_bytes() == before
    assert "status: draft" in path.read_text(encoding="utf-8")


def test_open_notes_listed_in_a_draft_update_it_rather_than_start_another(project: Path) -> None:
    mine = project / "kb" / "account" / "appearance.md"
    mine.write_text("---\ntitle: Appearance settings\nstatus: draft\nsource_notes:\n  - N08\n  - N09\n  - N10\n---\nThemes.\n")
    drafts = _draft(project)
    paths = [d["path"] for d in drafts]
    assert "kb/account/appearance.md" in paths and len([p for p in paths if "dark" in p]) == 0
    assert not {"N08", "N09", "N10"} & _open_note_ids(project)


def test_a_broken_draft_is_skipped_with_a_warning_and_the_rest_are_written(project: Path) -> None:
    (first, second) = _draft(project)
    broken = project / second["path"]
    broken.write_text("---\ntitle: [unclosed\nstatus: draft\n---\nBody.\n", encoding="utf-8")
    before = broken.read_bytes()
    _log(project, {"id": "N30", "question": "dark mode on the app please", "answer": "Planned."},
         {"id": "N31", "question": "euro invoices yet?", "answer": "Soon."})
    result = run_kbgen("draft", "--json", "--min-size", "1", cwd=project)
    assert result.code == 0, result.stderr
    assert "warning:" in result.stderr and second["path"] in result.stderr
    assert broken.read_bytes() == before
    written = json.loads(result.stdout)["drafts"]
    assert any(d["path"] == first["path"] and "N31" in d["note_ids"] for d in written)


def test_windows_line_ends_and_a_bom_survive_updates_and_promotion(project: Path) -> None:
    (first, _) = _draft(project)
    path = project / first["path"]
    head, _, _ = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_bytes(b"\xef\xbb\xbf" + (head + "\n---\nWe invoice in US dollars.\n").replace("\n", "\r\n").encode())
    _log(project, {"id": "N40", "question": "invoice in euros possible?", "answer": "Not yet."})
    again = next(d for d in _draft(project, "--min-size", "1") if d["path"] == first["path"])
    assert again["note_ids"] == ["N40"]
    assert run_kbgen("promote", first["path"], cwd=project).code == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert b"status: published\r\n" in data and b"  - N40\r\n" in data


def test_notes_of_a_draft_deleted_by_hand_are_open_again(project: Path) -> None:
    (first, _) = _draft(project)
    (project / first["path"]).unlink()
    assert {"N04", "N05", "N06", "N07"} <= _open_note_ids(project)
    again = _draft(project)
    assert any(d["action"] == "created" and "N04" in d["note_ids"] for d in again)


def test_promote_needs_an_unambiguous_draft_and_dry_run_checks_like_the_real_thing(project: Path) -> None:
    for folder in ("account", "billing"):
        (project / "kb" / folder / "same-name.md").write_text(
            "---\ntitle: Same\nstatus: draft\n---\nSee [old](../account/export-data-draft.md).\n", encoding="utf-8"
        )
    ambiguous = run_kbgen("promote", "same-name", cwd=project)
    assert_clean_failure(ambiguous)
    assert "kb/account/same-name.md" in ambiguous.stderr and "kb/billing/same-name.md" in ambiguous.stderr
    before = (project / "kb" / "billing" / "same-name.md").read_bytes()
    dry = run_kbgen("promote", "kb/billing/same-name.md", "--dry-run", cwd=project)
    assert_clean_failure(dry)  # published, it would link to a draft: refused already in the dry run
    assert (project / "kb" / "billing" / "same-name.md").read_bytes() == before


def test_draft_without_category_folders_fails_once(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    (root / "kb").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: Bare\n", encoding="utf-8")
    lines = "".join(json.dumps({"question": "is there a dark mode", "answer": "no"}) + "\n" for _ in range(3))
    assert run_kbgen("log", "-", cwd=root, stdin=lines).code == 0
    result = run_kbgen("draft", cwd=root)
    assert_clean_failure(result)
    assert result.stderr.count("no category folder") == 1


def test_promote_finds_a_draft_by_a_path_from_here_or_an_absolute_path(project: Path) -> None:
    (first, _) = _draft(project)
    path = project / first["path"]
    head, _, _ = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(head + "\n---\nWe invoice in US dollars for now.\n", encoding="utf-8")
    here = run_kbgen("promote", path.name, "--dry-run", cwd=path.parent)
    assert here.code == 0, here.stderr
    absolute = run_kbgen("promote", str(path), "--dry-run", cwd=project)
    assert absolute.code == 0, absolute.stderr


def test_promote_names_the_front_matter_error_of_a_draft_it_cannot_read(project: Path) -> None:
    (first, _) = _draft(project)
    path = project / first["path"]
    path.write_text(path.read_text(encoding="utf-8").replace("status: draft", "status: draft\ntitle: [oops", 1), encoding="utf-8")
    result = run_kbgen("promote", first["path"], cwd=project)
    assert_clean_failure(result)
    assert f"{first['path']}:" in result.stderr and "not valid YAML" in result.stderr



def test_a_run_writes_at_most_the_limit_of_new_drafts_and_the_rest_wait(project: Path) -> None:
    result = run_kbgen("draft", "--json", "--limit", "1", cwd=project)
    assert result.code == 0, result.stderr
    run = json.loads(result.stdout)
    assert [d["action"] for d in run["drafts"]] == ["created"] and run["waiting"] == 1
    plain = run_kbgen("draft", "--limit", "1", cwd=project)  # the next run writes the one that waited
    assert plain.code == 0 and plain.stdout.count("create ") == 1 and "more gap" not in plain.stderr
    assert _draft(project) == []


def test_the_default_limit_comes_from_mkdocs_yml(project: Path) -> None:
    (project / "mkdocs.yml").write_text(MKDOCS_YML + "      draft_limit: 1\n", encoding="utf-8")
    result = run_kbgen("draft", cwd=project)
    assert result.code == 0, result.stderr
    assert result.stdout.count("create ") == 1 and "1 more gap(s) qualify" in result.stderr


def test_redaction_placeholders_never_become_phrasings(project: Path) -> None:
    _log(project, *({"id": f"P{i}", "question": q, "answer": "We explained card payments."} for i, q in enumerate([
        "my card [card] keeps getting declined at checkout", "card declined when paying for team plan",
        "why does checkout decline my card", "checkout declines my credit card every time"])))
    drafts = _draft(project)
    texts = "".join((project / d["path"]).read_text(encoding="utf-8") for d in drafts)
    assert "[card]" not in texts.split("\n---", 1)[0] and "[card]" not in "".join(
        line for line in texts.splitlines() if line.startswith("  - "))
    report = json.loads(run_kbgen("report", "--json", cwd=project).stdout)
    assert all("[" not in p for f in report["findability"] for p in f["phrasings"])


def test_a_drafted_gap_is_reported_in_draft_not_closed(project: Path) -> None:
    before = json.loads(run_kbgen("report", "--json", cwd=project).stdout)["kpis"]
    drafts = _draft(project)
    after = json.loads(run_kbgen("report", "--json", cwd=project).stdout)["kpis"]
    assert len(drafts) == 2 and before["gaps_in_draft"] == 0
    assert after["gaps_in_draft"] == 2 and after["open_gaps"] + after["gaps_in_draft"] == before["open_gaps"]
    text = run_kbgen("report", cwd=project).stdout
    assert "2 in draft" in text and "to write" in text


def test_markdown_describes_each_draft_with_its_evidence_for_a_pull_request(project: Path) -> None:
    _log(project, {"id": "N30", "question": "euro invoice? ask @octocat, see https://evil.example #1",
                   "answer": "No.", "agent": "[zed](https://evil.example)"})
    result = run_kbgen("draft", "--markdown", cwd=project)
    assert result.code == 0, result.stderr
    body = result.stdout
    written = json.loads(run_kbgen("draft", "--json", "--dry-run", cwd=project).stdout)["drafts"]
    assert written == []  # the Markdown run wrote the drafts; nothing is left to do
    euro = next(project.glob("kb/billing/*euro*.md")).relative_to(project).as_posix()
    assert body.startswith("kbgen wrote 2 new draft articles from the gap log")
    section = body.split("### New draft: ")[1]
    assert f"`{euro}`, gap `" in section
    assert "- **5 notes**, 2026-10-" in section
    assert "- **Agents** (" in section and "- **Customers asked**:" in section
    assert "  - pay invoice in euros instead of dollars?" in section
    # note text cannot mention people, link or format in a pull request
    assert "@octocat" not in body and "@\u200boctocat" in body
    assert "](https" not in body and "https://evil" not in body
    assert "kbgen promote <path> --reviewer <you>" in body

    again = run_kbgen("draft", "--markdown", cwd=project)
    assert again.code == 0 and again.stdout == "No gap has 3 or more open notes; nothing to draft.\n"


def test_json_gives_each_drafts_evidence(project: Path) -> None:
    first = _draft(project)[0]
    evidence = first["evidence"]
    assert evidence["notes"] == 4 and evidence["rank"] >= 1
    assert evidence["agents"] == sorted(evidence["agents"]) and evidence["agents"]
    assert evidence["first_seen"] <= evidence["last_seen"]
    assert 1 <= len(evidence["questions"]) <= 5
