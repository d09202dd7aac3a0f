"""The report's headline figures: how much the knowledge base answers, how fast gaps close, by category.

Computed from the coverage (`kbgen.gaps.analyze`) and the knowledge base; nothing here matches
or clusters.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .gaps import event_time, note_category

if TYPE_CHECKING:
    from .gaps import Coverage
    from .kb import KnowledgeBase
    from .notes import Note


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(first: datetime, last: datetime) -> list[str]:
    """ISO weeks from FIRST's to LAST's, both included (stepping Monday to Monday at midnight)."""
    monday = (first - timedelta(days=first.weekday())).date()
    weeks, day = [], datetime(monday.year, monday.month, monday.day, tzinfo=first.tzinfo)
    while day <= last:
        weeks.append(iso_week(day))
        day += timedelta(days=7)
    return weeks


def kpis(coverage: Coverage, kb: KnowledgeBase, today: date, min_size: int = 1, category: str | None = None) -> dict[str, Any]:
    """The headline figures, overall and by category (only CATEGORY's articles when it is given)."""
    notes = coverage.notes
    stale = [a for a in stale_articles(kb, today) if not category or a.category == category]
    drafts = [a for a in waiting_drafts(kb) if not category or a.category == category]
    gaps = [g for g in coverage.gaps if g.size >= min_size]
    per_week = Counter(iso_week(n.when) for n in notes)
    weeks = weeks_between(min(n.when for n in notes), coverage.as_of) if notes else []
    series = [{"week": w, "notes": per_week.get(w, 0)} for w in weeks]
    answered = sum(1 for n in notes if n.answered)

    categories: dict[str, dict[str, Any]] = {}

    def row(name: str) -> dict[str, Any]:
        return categories.setdefault(
            name or "(none)",
            {"notes": 0, "answered_when_logged": 0, "findability_notes": 0, "in_gaps": 0, "drafted": 0, "closed": 0,
             "open_gaps": 0, "stale": 0, "drafts": 0},
        )

    # every note counts once, under its own category, in exactly one of: findability, in a gap
    # (of any size), drafted, or closed (resolved or dismissed); a gap counts under its guess
    where = {n.id: "findability_notes" for e in coverage.findable for n in e.notes}
    where.update({n.id: "in_gaps" for g in coverage.gaps for n in g.notes})
    for note in notes:
        r = row(note_category(note, coverage.matches.get(note.id)))
        r["notes"] += 1
        r["answered_when_logged"] += int(note.answered)
        r[where.get(note.id, "drafted" if note.state == "drafted" else "closed")] += 1
    for gap in gaps:
        row(gap.category)["open_gaps"] += 1
    for article in stale:
        row(article.category)["stale"] += 1
    for article in drafts:
        row(article.category)["drafts"] += 1
    for r in categories.values():
        r["answered_share"] = round(r["answered_when_logged"] / r["notes"], 3) if r["notes"] else None

    return {
        "notes": len(notes),
        "open_notes": len(coverage.open_notes),
        "answered_when_logged": answered,
        "answered_share": round(answered / len(notes), 3) if notes else None,
        "findability_notes": sum(len(e.notes) for e in coverage.findable),
        "open_gaps": len(gaps),
        "gaps_in_draft": coverage.in_draft,  # drafted, not yet published: still gaps for customers
        "gap_notes": sum(g.size for g in gaps),
        "notes_per_week": round(statistics.mean(s["notes"] for s in series), 1) if series else 0,
        "weekly": series,
        "median_days_to_article": median_days_to_article(notes),
        "stale_articles": len(stale),
        "drafts_waiting": len(drafts),
        "by_category": dict(sorted(categories.items())),
    }


def median_days_to_article(notes: list[Note]) -> float | None:
    """Median days from a topic's first note to the article that resolved it (from resolved events).

    Findability fixes are left out: they add phrasings to an article that already existed, and
    publish nothing."""
    first_note: dict[str, datetime] = {}
    resolved_at: dict[str, datetime] = {}
    for note in notes:
        for event in note.events:
            if event.get("event") == "resolved" and event.get("article") and event.get("by") != "findability":
                article = str(event["article"])
                when = event_time(event, note)
                first_note[article] = min(first_note.get(article, note.when), note.when)
                resolved_at[article] = min(resolved_at.get(article, when), when)
    days = [(resolved_at[a] - first_note[a]).total_seconds() / 86400 for a in resolved_at]
    return round(statistics.median(days), 1) if days else None


def waiting_drafts(kb: KnowledgeBase) -> list[Any]:
    return sorted((a for a in kb.articles if a.status == "draft"), key=lambda a: a.rel)


def stale_articles(kb: KnowledgeBase, today: date) -> list[Any]:
    found = [a for a in kb.articles if a.status == "published" and a.review_by and a.review_by < today]
    return sorted(found, key=lambda a: (a.review_by, a.slug))
