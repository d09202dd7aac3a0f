"""The report's headline figures: how much the knowledge base answers, how fast gaps close, by category.

Computed from the coverage (`kbgen.gaps.analyze`) and the knowledge base; nothing here matches
or clusters. The site's signals add failed searches (where they went: a gap, an article that
answers them, or nowhere) and the "Was this helpful?" votes per article and category.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .gaps import event_time, note_category
from .text import distinct

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
    gaps = [g for g in coverage.gaps if g.shown(min_size)]
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
    votes = helpfulness(coverage.feedback, kb, category)
    for slug, tally in votes["by_article"].items():
        r = row(tally["category"])
        r["votes"] = r.get("votes", 0) + tally["votes"]
        r["helpful_votes"] = r.get("helpful_votes", 0) + tally["helpful"]
    for r in categories.values():
        r["answered_share"] = round(r["answered_when_logged"] / r["notes"], 3) if r["notes"] else None
        r.setdefault("votes", 0)
        r.setdefault("helpful_votes", 0)
        r["helpful_share"] = round(r["helpful_votes"] / r["votes"], 3) if r["votes"] else None

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
        "failed_searches": len(coverage.searches),  # searches on the site that showed nothing or ended on "contact support"
        "failed_searches_contact": sum(1 for s in coverage.searches if s.contact),  # ended on "contact support"
        "failed_searches_in_gaps": sum(len(g.searches) for g in gaps),
        "failed_searches_findable": sum(len(e.searches) for e in coverage.findable),  # an article answers them
        "failed_searches_alone": coverage.lone_searches,  # in no gap: with no open note, too few to make one
        "search_only_gaps": sum(1 for g in gaps if g.search_only),  # customers met it, no agent logged it
        "helpful_votes": votes["helpful"],
        "votes": votes["votes"],
        "helpful_share": votes["helpful_share"],
        "helpfulness": votes["by_article"],
        "by_category": dict(sorted(categories.items())),
    }


def helpfulness(feedback: list[dict[str, Any]], kb: KnowledgeBase, category: str | None = None) -> dict[str, Any]:
    """The "Was this helpful?" votes: in all, and per article (only CATEGORY's when it is given)."""
    articles = kb.by_slug()
    by_article: dict[str, dict[str, Any]] = {}
    for vote in feedback:
        slug = str(vote.get("slug") or "")
        article = articles.get(slug)
        if not slug or (category and (article is None or article.category != category)):
            continue
        tally = by_article.setdefault(slug, {"title": article.title if article else "", "category": article.category if article else "",
                                             "votes": 0, "helpful": 0})
        tally["votes"] += 1
        tally["helpful"] += int(vote.get("helpful") is True)
    for tally in by_article.values():
        tally["helpful_share"] = round(tally["helpful"] / tally["votes"], 3)
    total, helpful = sum(t["votes"] for t in by_article.values()), sum(t["helpful"] for t in by_article.values())
    return {"votes": total, "helpful": helpful, "helpful_share": round(helpful / total, 3) if total else None,
            "by_article": dict(sorted(by_article.items()))}


def articles_to_fix(feedback: list[dict[str, Any]], kb: KnowledgeBase, min_votes: int, unhelpful_share: float,
                    category: str | None = None) -> list[dict[str, Any]]:
    """Articles customers rate unhelpful: at least MIN_VOTES votes, at least UNHELPFUL_SHARE of
    them "no"; most "no" votes first, each with the reasons given (newest first, once each)."""
    articles = kb.by_slug()
    tallies = helpfulness(feedback, kb, category)["by_article"]
    reasons: dict[str, list[str]] = {}
    for vote in reversed(feedback):
        if vote.get("helpful") is False and isinstance(vote.get("reason"), str) and vote["reason"].strip():
            reasons.setdefault(str(vote.get("slug")), []).append(vote["reason"])
    found = []
    for slug, tally in tallies.items():
        unhelpful = tally["votes"] - tally["helpful"]
        if tally["votes"] < max(min_votes, 1) or unhelpful / tally["votes"] < unhelpful_share:
            continue
        article = articles.get(slug)
        found.append({
            "slug": slug, "title": tally["title"], "category": tally["category"], "path": article.rel if article else "",
            "votes": tally["votes"], "unhelpful": unhelpful, "unhelpful_share": round(unhelpful / tally["votes"], 3),
            "reasons": distinct(reasons.get(slug, [])),
        })
    return sorted(found, key=lambda f: (-f["unhelpful"], -f["unhelpful_share"], f["slug"]))


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
