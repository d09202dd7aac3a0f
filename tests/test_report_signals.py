"""The site's signals in the report: failed searches, articles to fix, helpfulness, deflection rates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import json
import shutil
from pathlib import Path

import pytest

from kbgen.deflection import Deflection, Period, measure, published
from kbgen.engine import Answer, Hit
from kbgen.errors import KbgenError
from kbgen.gaps import SEARCH_WEIGHT, Search, failed_searches, rank_score
from kbgen.kpis import articles_to_fix, helpfulness
from kbgen.notes import Note
from kbgen.settings import read
from tests.conftest import run_kbgen

CASES = Path(__file__).parent / "report_cases"

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def kb(*articles: tuple[str, str]) -> Any:
    """A stand-in knowledge base: (slug, category) articles, public and published."""
    found = {
        slug: SimpleNamespace(slug=slug, title=f"Title of {slug}", category=category, rel=f"kb/{category}/{slug}.md",
                              is_public=True, url_path=f"{category}/{slug}/")
        for slug, category in articles
    }
    return SimpleNamespace(by_slug=lambda: found, project=SimpleNamespace(url_for=lambda path: f"https://help.test/{path}"))


def vote(slug: str, helpful: bool, reason: str = "", day: int = 1) -> dict[str, Any]:
    record = {"type": "feedback", "time": f"2026-11-{day:02d}T10:00:00Z", "slug": slug, "helpful": helpful}
    return {**record, "reason": reason} if reason else record


# --- articles to fix -----------------------------------------------------------------------------


def test_an_article_is_to_fix_from_the_minimum_votes_and_the_unhelpful_share() -> None:
    base = kb(("refunds", "billing"), ("plans", "billing"), ("reset", "account"))
    votes = ([vote("refunds", False, "too vague", d) for d in range(1, 4)] + [vote("refunds", True, day=4)]  # 3 of 4 no
             + [vote("plans", False, day=d) for d in range(1, 4)]  # 3 of 3 no, but only 3 votes
             + [vote("reset", False, day=1), vote("reset", True, day=2)])  # 1 of 2
    assert [f["slug"] for f in articles_to_fix(votes, base, min_votes=4, unhelpful_share=0.5)] == ["refunds"]
    assert [f["slug"] for f in articles_to_fix(votes, base, min_votes=3, unhelpful_share=0.5)] == ["plans", "refunds"]
    assert [f["slug"] for f in articles_to_fix(votes, base, min_votes=3, unhelpful_share=0.8)] == ["plans"]
    # the share is "at least": 1 of 2 is 0.5
    assert "reset" in {f["slug"] for f in articles_to_fix(votes, base, min_votes=2, unhelpful_share=0.5)}
    assert "reset" not in {f["slug"] for f in articles_to_fix(votes, base, min_votes=2, unhelpful_share=0.51)}
    # a minimum of 0 votes still needs one vote
    assert articles_to_fix([], base, min_votes=0, unhelpful_share=0) == []
    assert [f["slug"] for f in articles_to_fix(votes, base, 1, 0.5, category="account")] == ["reset"]


def test_articles_to_fix_carry_the_reasons_newest_first_once_each() -> None:
    votes = [vote("refunds", False, "Too vague", 1), vote("refunds", False, "<b>wrong</b> price", 2),
             vote("refunds", True, "great", 3), vote("refunds", False, "too vague.", 4), vote("refunds", False, "", 5)]
    (fix,) = articles_to_fix(votes, kb(("refunds", "billing")), min_votes=5, unhelpful_share=0.5)
    assert fix["reasons"] == ["too vague.", "<b>wrong</b> price"]  # a helpful vote's reason is no complaint
    assert (fix["votes"], fix["unhelpful"], fix["unhelpful_share"], fix["path"]) == (5, 4, 0.8, "kb/billing/refunds.md")


def test_helpfulness_per_article_and_in_all() -> None:
    votes = [vote("refunds", True), vote("refunds", False), vote("reset", True), vote("gone", False)]
    tally = helpfulness(votes, kb(("refunds", "billing"), ("reset", "account")))
    assert (tally["votes"], tally["helpful"], tally["helpful_share"]) == (4, 2, 0.5)
    assert tally["by_article"]["refunds"]["helpful_share"] == 0.5
    assert tally["by_article"]["gone"]["category"] == ""  # an article since removed keeps its votes
    assert helpfulness(votes, kb(("refunds", "billing")), category="billing")["votes"] == 2


def test_the_unhelpful_share_option_is_a_share() -> None:
    assert read({})["report_min_votes"] == 5 and read({})["report_unhelpful_share"] == 0.5
    assert read({"report_unhelpful_share": 0.3})["report_unhelpful_share"] == 0.3
    with pytest.raises(KbgenError, match="share from 0 to 1"):
        read({"report_unhelpful_share": 30})
    with pytest.raises(KbgenError, match="whole number"):
        read({"report_min_votes": "five"})


# --- failed searches -----------------------------------------------------------------------------


def test_only_searches_that_showed_nothing_are_failed() -> None:
    signals = [
        {"type": "search", "time": "2026-11-02T10:00:00Z", "query": "euro invoices", "results": 0},
        {"type": "search", "time": "2026-11-01T10:00:00Z", "query": "refund", "results": 4},
        {"type": "search", "time": "2026-11-01T09:00:00Z", "query": "gift cards", "results": 0},
        {"type": "search", "time": "not a time", "query": "broken", "results": 0},
        {"type": "feedback", "time": "2026-11-01T10:00:00Z", "slug": "refunds", "helpful": False},
    ]
    assert [s.query for s in failed_searches(signals)] == ["gift cards", "euro invoices"]


def test_a_search_that_ended_on_contact_support_is_failed_whatever_it_showed() -> None:
    signals = [
        {"type": "search", "time": "2026-11-01T10:00:00Z", "query": "refund time", "results": 3, "contact": True},
        {"type": "search", "time": "2026-11-01T11:00:00Z", "query": "refund", "results": 3},
        {"type": "search", "time": "2026-11-01T12:00:00Z", "query": "gift cards", "results": 0, "contact": True},
        {"type": "search", "time": "2026-11-01T13:00:00Z", "query": "plans", "results": 2, "contact": "yes"},  # not kbgen's
    ]
    assert [(s.query, s.contact) for s in failed_searches(signals)] == [("refund time", True), ("gift cards", True)]


def test_a_failed_search_weighs_a_quarter_of_a_note_and_adds_no_agent() -> None:
    notes = [Note(id="a", time="2026-11-22T00:00:00Z", question="q", agent="ana")]
    searches = [Search("q", "2026-11-22T00:00:00Z") for _ in range(4)]
    assert rank_score(notes, NOW, searches) == pytest.approx(rank_score(notes, NOW) * (1 + 4 * SEARCH_WEIGHT))
    assert rank_score(notes, NOW, searches) == pytest.approx(2.0)
    assert rank_score(notes, NOW, searches[:1]) < rank_score(notes * 2, NOW)


# --- deflection ----------------------------------------------------------------------------------


def note(note_id: str, day: str, question: str, **kw: Any) -> Note:
    return Note(id=note_id, time=f"{day}T10:00:00Z", question=question, agent="ana", **kw)


def answers(topic: dict[str, str]) -> Any:
    """A stand-in for the engine: QUESTION -> the slug that answers it (none for the others)."""
    def decide(questions: list[str]) -> dict[str, Answer]:
        return {q: Answer(q, q in topic, [Hit(topic[q], "", "", "", "", 0.9, "", "public")] if q in topic else [])
                for q in questions}
    return decide


def test_deflection_rates_per_week_before_and_since_publishing() -> None:
    resolved = [{"event": "resolved", "article": "euros", "time": "2026-11-01T09:00:00Z", "by": "promote"}]
    notes = [
        note("s1", "2026-10-18", "pay in euros?", events=resolved, state="resolved"),  # source notes, 2 weeks before
        note("s2", "2026-10-25", "euro invoice", events=resolved, state="resolved"),
        note("b1", "2026-10-28", "invoice in EUR"),  # on the topic, before
        note("x1", "2026-10-29", "dark mode"),  # another topic
        note("a1", "2026-11-10", "invoice in EUR please"),  # on the topic, since
        note("d1", "2026-11-12", "invoice in EUR!", state="dismissed"),  # dismissed: left out
    ]
    searches = [Search("euro invoice", "2026-10-30T10:00:00Z"), Search("euro invoice", "2026-11-20T10:00:00Z")]
    topic = {"invoice in EUR": "euros", "invoice in EUR please": "euros", "invoice in EUR!": "euros", "euro invoice": "euros"}
    (found,) = measure(kb(("euros", "billing")), notes, searches, answers(topic), NOW)
    assert found.published == datetime(2026, 11, 1, 9, tzinfo=timezone.utc) and found.source_notes == 2
    since = (NOW - found.published).total_seconds() / 86400  # 20.6 days
    assert found.after.days == pytest.approx(since) and found.before.days == pytest.approx(since)  # reaches back to s1
    assert (found.before.notes, found.before.searches) == (3, 1)  # s1, s2, b1; one search
    assert (found.after.notes, found.after.searches) == (1, 1)  # a1; one search
    assert found.before.per_week == pytest.approx(4 / (since / 7))
    assert found.after.per_week == pytest.approx(2 / (since / 7))
    assert found.verdict == "fewer" and found.change == -0.5
    data = found.to_dict()
    assert data["url"] == "https://help.test/billing/euros/" and data["published"] == "2026-11-01"


def test_the_window_before_reaches_back_to_the_first_source_note_and_is_bounded() -> None:
    resolved = [{"event": "resolved", "article": "euros", "time": "2026-11-15T10:00:00Z"}]
    notes = [note("s1", "2026-10-25", "pay in euros?", events=resolved, state="resolved")]
    (found,) = measure(kb(("euros", "billing")), notes, [], answers({}), NOW)
    assert found.before.days == 21 and found.after.days == pytest.approx(6.58, abs=0.01)
    assert found.verdict == "too early"  # published less than a week before the report
    long_ago = [note("s1", "2026-01-05", "q", events=[{**resolved[0], "time": "2026-02-01T10:00:00Z"}], state="resolved")]
    (old,) = measure(kb(("euros", "billing")), long_ago, [], answers({}), NOW)
    assert old.before.days == old.after.days == 84  # at most 12 weeks each side
    assert old.before.notes == 1 and old.verdict == "stopped"


def test_findability_fixes_and_articles_outside_the_window_are_not_measured() -> None:
    fixed = [{"event": "resolved", "article": "euros", "time": "2026-11-01T10:00:00Z", "by": "findability"}]
    assert published([note("n", "2026-10-20", "q", events=fixed)]) == {}
    promoted = [{"event": "resolved", "article": "euros", "time": "2026-11-01T10:00:00Z", "by": "promote"}]
    notes = [note("n", "2026-10-20", "q", events=promoted, state="resolved")]
    assert measure(kb(("euros", "billing")), notes, [], answers({}), NOW, since=NOW - timedelta(days=7)) == []
    assert measure(kb(("euros", "billing")), notes, [], answers({}), NOW, category="account") == []
    assert measure(kb(("other", "billing")), notes, [], answers({}), NOW) == []  # the article is gone


def test_verdicts() -> None:
    def verdict(before: int, after: int, days: float = 14) -> str:
        return Deflection("s", "t", "c", "", "p", NOW, 1, Period(before, 0, days), Period(after, 0, days)).verdict

    assert verdict(4, 0) == "stopped" and verdict(4, 2) == "fewer" and verdict(4, 3) == "still asked"
    assert verdict(0, 0) == "no questions" and verdict(0, 2) == "still asked" and verdict(4, 0, days=3) == "too early"


def test_a_question_no_article_answers_counts_when_the_engine_finds_it_on_the_topic() -> None:
    resolved = [{"event": "resolved", "article": "euros", "time": "2026-11-01T09:00:00Z", "by": "promote"}]
    notes = [note("s1", "2026-10-20", "pay in euros?", events=resolved, state="resolved"),
             note("a1", "2026-11-10", "EUR billing"), note("a2", "2026-11-11", "dark mode")]
    asked: list[tuple[list[list[str]], list[str]]] = []

    def same_topic(groups: list[list[str]], texts: list[str]) -> int | None:
        asked.append((groups, texts))
        return 0 if "EUR" in texts[0] else None

    (found,) = measure(kb(("euros", "billing")), notes, [], answers({}), NOW, same_topic=same_topic)
    assert found.after.notes == 1  # a1, not a2
    assert asked[0][0] == [["pay in euros?"]]  # compared with the article's source notes
    (plain,) = measure(kb(("euros", "billing")), notes, [], answers({}), NOW)
    assert plain.after.notes == 0


def test_a_question_is_compared_only_with_the_articles_whose_windows_hold_it() -> None:
    early = [{"event": "resolved", "article": "old", "time": "2026-03-01T09:00:00Z", "by": "promote"}]
    late = [{"event": "resolved", "article": "euros", "time": "2026-11-01T09:00:00Z", "by": "promote"}]
    notes = [note("s0", "2026-02-20", "old topic", events=early, state="resolved"),
             note("s1", "2026-10-20", "pay in euros?", events=late, state="resolved"),
             note("a1", "2026-11-10", "EUR billing")]
    asked: list[list[list[str]]] = []

    def same_topic(groups: list[list[str]], texts: list[str]) -> int | None:
        asked.append(groups)
        return 0

    found = {d.slug: d for d in measure(kb(("euros", "billing"), ("old", "billing")), notes, [], answers({}), NOW,
                                        same_topic=same_topic)}
    assert asked == [[["pay in euros?"]]]  # "old" was published too long before a1 for its windows to hold it
    assert found["euros"].after.notes == 1 and found["old"].after.notes == 0


# --- gaps of searches alone (tests/report_cases/search_gaps: five gift-card searches, no note) -----


def search_case(tmp_path: Path, options: str = "") -> Path:
    root = tmp_path / "search_gaps"
    shutil.copytree(CASES / "search_gaps", root, ignore=shutil.ignore_patterns("expected.*", ".kbgen-cache"))
    if options:
        with (root / "mkdocs.yml").open("a", encoding="utf-8") as config:
            config.write(f"plugins:\n  - kbgen:\n      {options}\n")
    return root


def report(root: Path, *args: str) -> dict[str, Any]:
    done = run_kbgen("report", "--json", "--as-of", "2026-10-25", *args, cwd=root)
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


def test_searches_nobody_logged_make_a_gap_ranked_with_the_others(tmp_path: Path) -> None:
    root = search_case(tmp_path)
    found = report(root)
    (alone,) = [g for g in found["gaps"] if g["search_only"]]
    assert (alone["size"], alone["searches"], alone["agents"], alone["note_ids"]) == (0, 5, [], [])
    assert "send a gift card to [email]" in alone["search_queries"] and alone["title"] in alone["search_queries"]
    assert alone["first_seen"] == "2026-10-06T08:00:00Z" and alone["last_seen"] == "2026-10-22T08:00:00Z"
    # ranked by the same score as the others: five recent searches weigh more than one note
    lone_note = next(g for g in found["gaps"] if g["title"] == "do you sponsor hackathons")
    assert alone["rank"] < lone_note["rank"] and alone["score"] > lone_note["score"]
    k = found["kpis"]
    assert (k["search_only_gaps"], k["failed_searches_alone"], k["failed_searches_contact"]) == (1, 2, 2)
    assert k["failed_searches"] == k["failed_searches_in_gaps"] + k["failed_searches_findable"] + k["failed_searches_alone"]
    # --min-size counts notes; a gap of searches alone met its own threshold
    assert [g["id"] for g in report(root, "--min-size", "2")["gaps"] if g["search_only"]] == [alone["id"]]
    # the gap keeps its id when an agent's note joins it, and is no longer searches alone
    note = {"question": "can I buy a gift card for a friend", "answer": "Not yet.", "agent": "dee", "time": "2026-10-24T10:00:00Z"}
    assert run_kbgen("log", "-", cwd=root, stdin=json.dumps(note) + "\n").code == 0
    joined = next(g for g in report(root)["gaps"] if g["id"] == alone["id"])
    assert not joined["search_only"] and joined["size"] == 1 and joined["searches"] == 5


def test_the_searches_a_gap_needs_is_an_option(tmp_path: Path) -> None:
    found = report(search_case(tmp_path, "report_min_searches: 6"))
    assert not any(g["search_only"] for g in found["gaps"])
    assert (found["kpis"]["search_only_gaps"], found["kpis"]["failed_searches_alone"]) == (0, 7)
    with pytest.raises(KbgenError, match="whole number"):
        read({"report_min_searches": "three"})


def test_draft_leaves_a_gap_of_searches_alone_and_says_why(tmp_path: Path) -> None:
    root = search_case(tmp_path)
    done = run_kbgen("draft", "--min-size", "1", "--dry-run", "--json", cwd=root)
    assert done.code == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["search_only"] == 1 and all(d["gap_id"] != "" for d in run["drafts"])
    assert "gift" not in json.dumps(run["drafts"])
    text = run_kbgen("draft", "--min-size", "1", "--dry-run", cwd=root)
    assert "1 gap of customers' searches alone (no note) not drafted" in text.stderr
