"""kbgen.gaps: the pieces of a coverage report that are plain arithmetic."""

from __future__ import annotations

from datetime import datetime, timezone

from kbgen.gaps import Gap, _carry_ids, gap_id, rank_score
from kbgen.kpis import iso_week, median_days_to_article, weeks_between
from kbgen.text import distinct
from kbgen.notes import Note

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def note(note_id: str, time: str, agent: str = "ana", **kw: object) -> Note:
    return Note(id=note_id, time=time, question=f"question {note_id}", agent=agent, **kw)  # type: ignore[arg-type]


def test_recent_notes_and_more_agents_rank_higher() -> None:
    fresh = [note("a", "2026-11-21T00:00:00Z"), note("b", "2026-11-20T00:00:00Z")]
    old = [note("c", "2026-08-01T00:00:00Z"), note("d", "2026-08-02T00:00:00Z")]
    assert rank_score(fresh, NOW) > rank_score(old, NOW)
    two_agents = [note("e", "2026-11-21T00:00:00Z", "ana"), note("f", "2026-11-20T00:00:00Z", "ben")]
    assert rank_score(two_agents, NOW) > rank_score(fresh, NOW)
    # a note four weeks old weighs half
    month = [note("g", "2026-10-25T00:00:00Z")]
    assert abs(rank_score(month, NOW) - 0.5) < 1e-9


def test_median_days_from_first_note_to_the_article_that_resolved_it() -> None:
    resolved = {"event": "resolved", "article": "refunds", "time": "2026-10-11T00:00:00Z"}
    notes = [
        note("a", "2026-10-01T00:00:00Z", events=[resolved]),
        note("b", "2026-10-05T00:00:00Z", events=[resolved]),
        note("c", "2026-10-01T00:00:00Z", events=[{"event": "resolved", "article": "plans", "time": "2026-10-05T00:00:00Z"}]),
        note("d", "2026-10-01T00:00:00Z", events=[{"event": "dismissed", "time": "2026-10-02T00:00:00Z"}]),
    ]
    assert median_days_to_article(notes) == 7.0  # refunds 10 days, plans 4 days
    assert median_days_to_article(notes[3:]) is None


def test_phrasings_are_deduplicated_ignoring_case_space_and_end_punctuation() -> None:
    assert distinct(["Dark mode?", "dark  mode", "DARK MODE!!", "dark mode please", ""]) == ["Dark mode?", "dark mode please"]


def test_weeks_and_ids() -> None:
    assert iso_week(datetime(2026, 1, 1, tzinfo=timezone.utc)) == "2026-W01"
    first, last = datetime(2026, 9, 30, tzinfo=timezone.utc), datetime(2026, 10, 20, tzinfo=timezone.utc)
    assert weeks_between(first, last) == ["2026-W40", "2026-W41", "2026-W42", "2026-W43"]
    assert gap_id("N1") == gap_id("N1") != gap_id("N2") and gap_id("N1").startswith("gap-")


def test_the_current_week_is_counted_before_the_first_notes_time_of_day() -> None:
    first, monday_early = datetime(2026, 11, 17, 8, 17, tzinfo=timezone.utc), datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    assert weeks_between(first, monday_early) == ["2026-W47", "2026-W48"]


def test_findability_fixes_do_not_count_as_articles_published() -> None:
    published = {"event": "resolved", "article": "refunds", "time": "2026-10-11T00:00:00Z", "by": "promote"}
    fixed = {"event": "resolved", "article": "plans", "time": "2026-12-01T00:00:00Z", "by": "findability"}
    notes = [note("a", "2026-10-01T00:00:00Z", events=[published]), note("b", "2026-10-01T00:00:00Z", events=[fixed])]
    assert median_days_to_article(notes) == 10.0


def test_gap_ids_stay_unique_when_a_gaps_earliest_note_splits_off() -> None:
    a, b, c, d = (note(x, f"2026-11-0{i}T10:00:00Z") for i, x in enumerate("ABCD", 1))
    gaps = [Gap(gap_id("B"), [b, c, d], "B", "", 1.0), Gap(gap_id("A"), [a], "A", "", 0.5)]
    _carry_ids(gaps, {x: gap_id("A") for x in "ABCD"})  # all four were one gap, named after A
    assert gaps[0].id == gap_id("A")  # the bigger part keeps the id
    assert gaps[1].id != gaps[0].id and gaps[1].id.startswith("gap-")
