"""`kbgen report` through the real CLI: renderings, filters, findability fixes, bad input."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, assert_clean_failure, copy_demo, run_kbgen

CASE = Path(__file__).resolve().parent.parent / "report_cases" / "basic"
AS_OF = "2026-10-25"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "help"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("expected.*", ".kbgen-cache"))
    return root


def _report(root: Path, *args: str) -> dict:
    result = run_kbgen("report", "--json", "--as-of", AS_OF, *args, cwd=root)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_terminal_view_shows_figures_gaps_and_findability(project: Path) -> None:
    result = run_kbgen("report", "--as-of", AS_OF, cwd=project)
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "Help center coverage, 2026-10-25" in out
    gaps = {g["id"]: g for g in _report(project)["gaps"]}
    titles = {g["title"] for g in gaps.values() if {"N04", "N08"} & set(g["note_ids"])}
    assert len(titles) == 2 and all(title in out for title in titles)
    assert "reset-password" in out and "forgot my password, what now" in out
    assert "kb/billing/refunds.md" in out  # past its review date


NASTY = "see [my screenshot](https://evil.example/a) <img src=x onerror=alert(1)> <script>alert(2)</script> **now**"


def _store(root: Path, *notes: dict) -> None:
    """Append note lines to the log as `kbgen log` stores them (fields given, the rest defaulted)."""
    with (root / "gaps" / "2026-10.jsonl").open("a", encoding="utf-8") as handle:
        for note in notes:
            handle.write(json.dumps({"type": "note", "time": "2026-10-23T10:00:00Z", "answered": False, **note}) + "\n")


def _markdown_line(root: Path, marker: str) -> str:
    out = run_kbgen("report", "--markdown", "--as-of", AS_OF, cwd=root).stdout
    return next(line for line in out.splitlines() if marker in line)


def _add_nasty_note(root: Path) -> None:
    _store(root, {"id": "X1", "question": NASTY})


def test_html_report_is_one_self_contained_page_with_charts_and_inert_note_text(project: Path, tmp_path: Path) -> None:
    _add_nasty_note(project)
    out = tmp_path / "out" / "report.html"
    result = run_kbgen("report", "--html", str(out), "--as-of", AS_OF, cwd=project)
    assert result.code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    for chart in ("chart-weekly", "chart-coverage", "chart-gaps"):
        assert f'id="{chart}"' in page
    assert page.count("<rect") >= 4 + 3  # four weeks, and bars for the categories and gaps
    assert "<script" not in page and "<img" not in page  # the note's markup is text
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert 'href="https://evil.example' not in page
    assert re.search(r"<(link|script|img|iframe|object)\b", page) is None  # nothing loaded from elsewhere


def test_markdown_escapes_note_text(project: Path) -> None:
    import markdown

    _add_nasty_note(project)
    line = _markdown_line(project, "screenshot")
    rendered = markdown.markdown(line)
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered and "<strong>" not in rendered
    assert "[my screenshot]" in rendered and "&lt;script&gt;" in rendered


def test_filters_since_category_and_min_size(project: Path) -> None:
    everything = _report(project)
    assert {g["size"] for g in everything["gaps"]} == {4, 3, 1}
    big = _report(project, "--min-size", "3")
    assert [g["size"] for g in big["gaps"]] == [4, 3] and big["kpis"]["open_gaps"] == 2
    billing = _report(project, "--category", "billing")
    assert {g["category"] for g in billing["gaps"]} == {"billing"}
    assert {f["slug"] for f in billing["findability"]} == {"refunds"}
    late = _report(project, "--since", "2026-10-15")
    assert late["kpis"]["notes"] == sum(1 for n in _notes(project) if n["time"] >= "2026-10-15")


def _notes(root: Path) -> list[dict]:
    lines = (root / "gaps" / "2026-10.jsonl").read_text(encoding="utf-8").splitlines()
    return [r for r in map(json.loads, lines) if r["type"] == "note"]


def test_a_gap_keeps_its_id_as_notes_are_added(project: Path) -> None:
    before = {note_id: g["id"] for g in _report(project)["gaps"] if g["size"] > 1 for note_id in g["note_ids"]}
    _store(project, {"id": "L1", "time": "2026-10-24T10:00:00Z", "question": "euros on my invoice?"},
           {"id": "L2", "time": "2026-10-24T11:00:00Z", "question": "dark mode please"})
    after = _report(project)["gaps"]
    ids = {g["id"] for g in after}
    assert set(before.values()) <= ids
    grown = {g["id"]: g for g in after}
    assert "L1" in grown[before["N04"]]["note_ids"]  # the euro invoices gap
    assert "L2" in grown[before["N08"]]["note_ids"]  # the dark mode gap


def test_apply_findability_adds_phrasings_keeps_the_file_and_resolves_the_notes(project: Path) -> None:
    article = project / "kb" / "account" / "reset-password.md"
    original = article.read_text(encoding="utf-8")
    result = run_kbgen("report", "--apply-findability", "--as-of", AS_OF, cwd=project)
    assert result.code == 0, result.stderr
    assert "kb/account/reset-password.md: added 2 phrasings; 2 notes resolved" in result.stdout
    changed = article.read_text(encoding="utf-8")
    assert changed.replace("  - how do i reset my password\n  - forgot my password, what now\n", "") == original
    report = json.loads(run_kbgen("report", "--json", cwd=project).stdout)  # as of now: the fixes are in
    assert report["findability"] == []
    assert report["kpis"]["open_notes"] == 12 - 3
    # as of a date before the fixes, those notes were still open
    assert len(_report(project)["findability"]) == 2
    assert run_kbgen("check", cwd=project).code == 0


def test_bad_dates_and_categories_are_clear_errors(project: Path) -> None:
    result = run_kbgen("report", "--since", "last tuesday", cwd=project)
    assert result.code == 2 and "not a date" in result.stderr and "Traceback" not in result.stderr
    assert_clean_failure(run_kbgen("report", "--category", "nope", cwd=project))


def test_damaged_log_lines_are_skipped_with_a_warning(project: Path) -> None:
    with (project / "gaps" / "2026-10.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"type": "note", "id": \n')
    result = run_kbgen("report", "--json", "--as-of", AS_OF, cwd=project)
    assert result.code == 0
    assert "gaps/2026-10.jsonl:17: skipped a line" in result.stderr
    assert json.loads(result.stdout)["kpis"]["notes"] == 14


def test_empty_log_reports_zero_not_an_error(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    shutil.copytree(CASE, root, ignore=shutil.ignore_patterns("expected.*", ".kbgen-cache", "gaps"))
    report = _report(root)
    assert report["kpis"]["notes"] == 0 and report["gaps"] == [] and report["findability"] == []
    assert run_kbgen("report", "--as-of", AS_OF, cwd=root).code == 0
    assert "No open gaps." in run_kbgen("report", "--markdown", cwd=root).stdout


def test_the_editors_guide_shows_the_demos_report_as_it_is(tmp_path: Path) -> None:
    project = copy_demo(tmp_path / "demo")
    result = run_kbgen("report", "--as-of", "2026-11-22", "--top", "5", cwd=project, env={"COLUMNS": "118"})
    assert result.code == 0, result.stderr
    readme = (ROOT / "guide" / "editors.md").read_text(encoding="utf-8")
    shown = readme.split("The demo's report (`kbgen report --as-of 2026-11-22 --top 5`):\n\n```\n", 1)[1].split("\n```", 1)[0]
    assert shown == result.stdout.rstrip(), "guide/editors.md's demo report is out of date: paste the new output"


def test_redacted_placeholders_neither_join_notes_nor_title_a_gap(project: Path) -> None:
    _store(project, {"id": "P1", "question": "[email] [email] can I export photos"},
           {"id": "P2", "time": "2026-10-23T11:00:00Z", "question": "[email] [email] is there a desktop widget"})
    gaps = _report(project)["gaps"]
    gap_of = {i: g["id"] for g in gaps for i in g["note_ids"]}
    assert gap_of["P1"] != gap_of["P2"]


def test_a_knowledge_base_with_no_articles_yet_logs_asks_and_reports(tmp_path: Path) -> None:
    root = tmp_path / "new"
    (root / "kb" / "general").mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: New\n", encoding="utf-8")
    lines = "".join(json.dumps({"question": q, "answer": "Not yet."}) + "\n" for q in ("is there a dark mode", "dark mode please", "dark mode?"))
    logged = run_kbgen("log", "-", cwd=root, stdin=lines)
    assert logged.code == 0, logged.stderr
    assert run_kbgen("ask", "dark mode", cwd=root).code == 0
    report = json.loads(run_kbgen("report", "--json", cwd=root).stdout)  # notes logged today: no --as-of
    assert report["kpis"]["open_notes"] == 3 and [g["size"] for g in report["gaps"]] == [3]
    drafted = run_kbgen("draft", cwd=root)
    assert drafted.code == 0 and "create kb/general/" in drafted.stdout, drafted.stderr


def test_as_of_a_date_leaves_out_what_happened_after_it(project: Path) -> None:
    early = json.loads(run_kbgen("report", "--json", "--as-of", "2026-10-10", cwd=project).stdout)
    open_ids = {i for g in early["gaps"] for i in g["note_ids"]} | {i for f in early["findability"] for i in f["note_ids"]}
    assert "N14" in open_ids  # resolved on 2026-10-18, so still open on 2026-10-10
    assert "N12" not in open_ids  # logged on 2026-10-22
    assert early["kpis"]["median_days_to_article"] is None


def test_category_filter_applies_to_stale_articles_and_drafts(project: Path) -> None:
    account = _report(project, "--category", "account")
    assert account["stale"] == [] and [d["slug"] for d in account["drafts"]] == ["export-data-draft"]
    billing = _report(project, "--category", "billing")
    assert [s["slug"] for s in billing["stale"]] == ["refunds"] and billing["drafts"] == []


def test_a_new_site_address_reaches_cached_matches(project: Path) -> None:
    assert all(f["url"].startswith("https://help.example.test/") for f in _report(project)["findability"])
    (project / "mkdocs.yml").write_text("site_name: Golden\nsite_url: https://support.example.org/\n", encoding="utf-8")
    assert all(f["url"].startswith("https://support.example.org/") for f in _report(project)["findability"])


def test_markdown_mentions_and_addresses_stay_inert(project: Path) -> None:
    _store(project, {"id": "M1", "question": "ping @acme/support-team or mail help@cos.example about the zqx widget"})
    line = _markdown_line(project, "zqx")
    assert "@acme" not in line and "help@cos" not in line and "@\u200bacme" in line


def test_on_the_demo_most_gaps_keep_their_ids_when_notes_arrive(tmp_path: Path) -> None:
    project = copy_demo(tmp_path / "demo")
    before = {g["id"] for g in json.loads(run_kbgen("report", "--json", cwd=project).stdout)["gaps"] if g["size"] > 1}
    lines = "".join(json.dumps({"id": f"NEW{i}", "question": q, "answer": "We helped."}) + "\n"
                    for i, q in enumerate(["can my team share a calendar in cos", "camera upload stopped on my pixel"]))
    assert run_kbgen("log", "-", cwd=project, stdin=lines).code == 0
    after = {g["id"] for g in json.loads(run_kbgen("report", "--json", cwd=project).stdout)["gaps"]}
    assert len(before & after) >= 0.7 * len(before), (len(before & after), len(before))


def test_on_the_demo_most_gaps_keep_their_notes_together_when_notes_arrive(tmp_path: Path) -> None:
    """Membership, not just ids: with the id cache gone, clustering alone must keep most groups."""
    project = copy_demo(tmp_path / "demo")
    before = [set(g["note_ids"]) for g in json.loads(run_kbgen("report", "--json", cwd=project).stdout)["gaps"] if g["size"] > 1]
    lines = "".join(json.dumps({"id": f"NEW{i}", "question": q, "answer": "We helped."}) + "\n"
                    for i, q in enumerate(["can my team share a calendar in cos", "camera upload stopped on my pixel"]))
    assert run_kbgen("log", "-", cwd=project, stdin=lines).code == 0
    (project / ".kbgen-cache" / "gap-ids.json").unlink()
    after = {n: g["id"] for g in json.loads(run_kbgen("report", "--json", cwd=project).stdout)["gaps"] for n in g["note_ids"]}
    pairs = [(a, b) for group in before for a in group for b in group if a < b]
    kept = sum(1 for a, b in pairs if after.get(a) == after.get(b))
    together = sum(1 for group in before if len({after.get(n) for n in group}) == 1)
    assert kept >= 0.65 * len(pairs), (kept, len(pairs))
    assert together >= 0.5 * len(before), (together, len(before))


def test_filters_select_gaps_out_of_the_whole_logs_clustering(tmp_path: Path) -> None:
    project = copy_demo(tmp_path / "demo")
    whole = {g["id"]: g for g in json.loads(run_kbgen("report", "--json", "--as-of", "2026-11-22", cwd=project).stdout)["gaps"]}
    for option in (["--since", "2026-11-01"], ["--category", "billing"]):
        shown = json.loads(run_kbgen("report", "--json", "--as-of", "2026-11-22", *option, cwd=project).stdout)["gaps"]
        ids = [g["id"] for g in shown]
        assert shown and len(ids) == len(set(ids)), option
        for gap in shown:  # the same gaps, each holding the selected part of its notes
            assert gap["id"] in whole and set(gap["note_ids"]) <= set(whole[gap["id"]]["note_ids"]), option


def test_a_gap_is_titled_by_one_of_its_own_open_notes(tmp_path: Path) -> None:
    project = copy_demo(tmp_path / "demo")
    data = json.loads(run_kbgen("report", "--json", "--as-of", "2026-11-22", cwd=project).stdout)
    for gap in data["gaps"]:
        assert gap["title"] in gap["phrasings"], gap["id"]


def test_an_event_with_a_broken_time_is_skipped_with_a_warning(project: Path) -> None:
    with (project / "gaps" / "2026-11.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps({"type": "event", "note": "X", "event": "resolved", "time": "yesterday", "article": "a"}) + "\n")
    result = run_kbgen("report", "--json", cwd=project)
    assert result.code == 0 and "Traceback" not in result.stderr
    assert "2026-11.jsonl" in result.stderr and "'time' is 'yesterday'" in result.stderr


def test_html_to_a_folder_or_under_a_file_is_a_clear_error(project: Path) -> None:
    folder = run_kbgen("report", "--html", str(project), cwd=project)
    assert_clean_failure(folder)
    assert "is a folder" in folder.stderr
    under_file = run_kbgen("report", "--html", str(project / "mkdocs.yml" / "r.html"), cwd=project)
    assert_clean_failure(under_file)
    assert "is a file, not a folder" in under_file.stderr


def test_markdown_keeps_entities_and_dollars_as_text(project: Path) -> None:
    import markdown

    _store(project, {"id": "E1", "question": "the zqy sticker pack costs $5 or $10 &vert; which one"})
    line = _markdown_line(project, "zqy")
    assert "$5" not in line and "&#36;5" in line and "&amp;vert;" in line  # no $...$ maths on GitHub
    cell = line.split(" | ")[1]
    assert html.unescape(re.sub(r"<[^>]+>", "", markdown.markdown(cell))) == "the zqy sticker pack costs $5 or $10 &vert; which one"


def test_filters_that_match_nothing_say_so(project: Path) -> None:
    result = run_kbgen("report", "--json", "--since", "2030-01-01", cwd=project)
    assert result.code == 0 and "no notes on or after 2030-01-01" in result.stderr


def _signals(root: Path, *records: dict, when: str = "2026-10-23T12:00:00Z") -> None:
    """Store site signals as the team service does (checked and redacted by make_signal)."""
    from kbgen.signals import SignalLog, make_signal

    slugs = [p.stem for p in (root / "kb").rglob("*.md")]
    SignalLog(root / "gaps").append([make_signal(r, slugs, now=when) for r in records])


def test_report_json_on_a_knowledge_base_with_signals(project: Path) -> None:
    _signals(project, {"type": "search", "query": "invoices in euros", "results": 0},
             {"type": "search", "query": "euro invoice", "results": 0},
             {"type": "search", "query": "euro invoice", "results": 2},  # it found something: not a failed search
             {"type": "search", "query": "reset my password", "results": 0})
    _signals(project, *({"type": "feedback", "slug": "refunds", "helpful": False, "reason": "<b>slow</b> [x](https://evil.example)"}
                        for _ in range(4)), {"type": "feedback", "slug": "refunds", "helpful": True})
    _signals(project, {"type": "search", "query": "euros please", "results": 0}, when="2026-11-02T10:00:00Z")  # after --as-of
    with (project / "gaps" / "signals" / "2026-10.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"type": "search", "query": \n')
    result = run_kbgen("report", "--json", "--as-of", AS_OF, cwd=project)
    assert result.code == 0, result.stderr
    assert "gaps/signals/2026-10.jsonl:" in result.stderr and "not a valid signal" in result.stderr
    report = json.loads(result.stdout)
    k = report["kpis"]
    assert k["failed_searches"] == 3
    assert k["failed_searches_in_gaps"] + k["failed_searches_findable"] + k["failed_searches_alone"] == 3
    euros = next(g for g in report["gaps"] if "N04" in g["note_ids"])
    assert euros["searches"] == 2 and set(euros["search_queries"]) == {"invoices in euros", "euro invoice"}
    assert euros["rank"] == 1
    reset = next(f for f in report["findability"] if f["slug"] == "reset-password")
    assert reset["searches"] == 1 and reset["search_queries"] == ["reset my password"]
    assert "reset my password" not in reset["phrasings"]  # searches are never written into an article
    (fix,) = report["articles_to_fix"]
    assert (fix["slug"], fix["votes"], fix["unhelpful"]) == ("refunds", 5, 4)
    assert len(fix["reasons"]) == 1
    assert (k["votes"], k["helpful_votes"], k["by_category"]["billing"]["helpful_share"]) == (5, 1, 0.2)
    assert [d["slug"] for d in report["deflection"]] == ["change-plan"]
    # the thresholds are the plugin's options
    (project / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text(encoding="utf-8")
                                        + "plugins:\n  - kbgen:\n      report_min_votes: 6\n", encoding="utf-8")
    assert _report(project)["articles_to_fix"] == []
    assert _report(project, "--category", "account")["kpis"]["votes"] == 0


def test_vote_reasons_are_inert_in_every_rendering(project: Path, tmp_path: Path) -> None:
    # the service refuses live markup; a shard edited by hand (or an older service) may still hold it
    reason = "<img src=x onerror=alert(1)> [click](https://evil.example/r) \x1b[31mred"
    (project / "gaps" / "signals").mkdir()
    with (project / "gaps" / "signals" / "2026-10.jsonl").open("w", encoding="utf-8") as handle:
        for day in range(10, 15):
            handle.write(json.dumps({"type": "feedback", "time": f"2026-10-{day}T10:00:00Z", "slug": "refunds",
                                     "helpful": False, "reason": reason}) + "\n")
    line = _markdown_line(project, "onerror")
    import markdown

    rendered = markdown.markdown(line)
    assert "<img" not in rendered and "<a " not in rendered
    page = tmp_path / "r.html"
    assert run_kbgen("report", "--html", str(page), "--as-of", AS_OF, cwd=project).code == 0
    html_text = page.read_text(encoding="utf-8")
    assert "<img" not in html_text and "&lt;img src=x onerror=alert(1)&gt;" in html_text and 'id="chart-deflection"' in html_text
    terminal_out = run_kbgen("report", "--as-of", AS_OF, cwd=project).stdout
    assert "Articles to fix" in terminal_out and "\x1b" not in terminal_out
