"""Did the article work? The questions on a published article's topic, per week, before and after.

Knowledge-Centered Service measures an article by the questions it stops (deflection). For
each article published for a gap (the `resolved` events `kbgen promote` appends to its source
notes; the earliest is its publish time), count the notes and the failed searches on its topic
in two windows, as rates per week: since it was published (up to the report's date, at most
WINDOW_WEEKS), and before it (as long as that, or longer to reach back to its first source
note, at most WINDOW_WEEKS). On its topic:
one of the article's source notes, a question the engine now answers with that article
(`Engine.ask`, through the report's answer cache), or one that no article answers and the
engine finds asks what the article's source notes asked (`Engine.same_topic`, as drafts are
matched to gaps). Dismissed notes are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .gaps import Search
from .notes import Note

if TYPE_CHECKING:
    from .engine import Answer
    from .kb import KnowledgeBase

WINDOW_WEEKS = 12  # the longest window compared on each side of the publish date
MIN_DAYS = 7  # an article published less than a week ago is too new to judge
FEWER = 0.5  # after at most half the weekly rate before: the article stopped most questions


@dataclass
class Period:
    """The questions on one article's topic in one window."""

    notes: int
    searches: int
    days: float

    @property
    def per_week(self) -> float:
        return (self.notes + self.searches) / (self.days / 7) if self.days > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"days": round(self.days, 1), "notes": self.notes, "searches": self.searches, "per_week": round(self.per_week, 2)}


@dataclass
class Deflection:
    """One published article: its topic's questions per week before and after it was published."""

    slug: str
    title: str
    category: str
    url: str
    path: str
    published: datetime
    source_notes: int
    before: Period
    after: Period

    @property
    def verdict(self) -> str:
        """stopped, fewer (at most half the rate before), still asked, too early, or no questions (none before or since)."""
        if self.after.days < MIN_DAYS:
            return "too early"
        before, after = self.before.per_week, self.after.per_week
        if not before and not after:
            return "no questions"
        if not after:
            return "stopped"
        if after <= FEWER * before:
            return "fewer"
        return "still asked"

    @property
    def change(self) -> float | None:
        """After against before, as a share (-1: every question stopped); None with none before."""
        before = self.before.per_week
        return round(self.after.per_week / before - 1, 3) if before else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "category": self.category,
            "url": self.url,
            "path": self.path,
            "published": self.published.date().isoformat(),
            "source_notes": self.source_notes,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "change": self.change,
            "verdict": self.verdict,
        }


def published(notes: Sequence[Note]) -> dict[str, tuple[datetime, list[Note]]]:
    """Article slug -> (when it was published, the notes it resolved), from `resolved` events.

    Findability fixes are left out: they add phrasings to an article that already existed."""
    from .gaps import event_time

    found: dict[str, tuple[datetime, list[Note]]] = {}
    for note in notes:
        for event in note.events:
            if event.get("event") == "resolved" and event.get("article") and event.get("by") != "findability":
                slug, when = str(event["article"]), event_time(event, note)
                moment, sources = found.get(slug, (when, []))
                found[slug] = (min(moment, when), [*sources, note])
                break
    return found


def measure(
    kb: KnowledgeBase,
    notes: Sequence[Note],
    searches: Sequence[Search],
    decide: Callable[[list[str]], dict[str, Answer]],
    as_of: datetime,
    since: datetime | None = None,
    category: str | None = None,
    same_topic: Callable[[list[list[str]], list[str]], int | None] | None = None,
) -> list[Deflection]:
    """The articles published up to AS_OF (from SINCE; in CATEGORY), newest first, each with the
    rate of questions on its topic before and after. DECIDE maps questions to the engine's
    answers; SAME_TOPIC (`Engine.same_topic`) places a question no article answers."""
    articles = kb.by_slug()
    chosen = {
        slug: (moment, sources)
        for slug, (moment, sources) in published(notes).items()
        if moment <= as_of and (since is None or moment >= since) and slug in articles
        and (category is None or articles[slug].category == category)
    }
    if not chosen:
        return []
    longest = timedelta(weeks=WINDOW_WEEKS)
    spans = {slug: min(as_of - moment, longest) for slug, (moment, _) in chosen.items()}
    reach = {slug: min(max(spans[slug], moment - min(n.when for n in sources)), longest) for slug, (moment, sources) in chosen.items()}
    earliest = min(moment - reach[slug] for slug, (moment, _) in chosen.items())
    live = [n for n in notes if earliest <= n.when <= as_of and n.state != "dismissed"]
    asked = [s for s in searches if earliest <= s.when <= as_of]
    answers = decide([n.question for n in live] + [s.query for s in asked])

    windows = {slug: (moment - reach[slug], moment + spans[slug]) for slug, (moment, _) in chosen.items()}
    source_of = {n.id: slug for slug, (_, sources) in chosen.items() for n in sources}
    placed: dict[tuple[str, tuple[str, ...]], int | None] = {}

    def topic(item: Note | Search, inside: list[str]) -> str:
        """Which of the articles INSIDE (whose windows hold ITEM) ITEM asks about, or ""."""
        if isinstance(item, Note) and source_of.get(item.id) in inside:
            return source_of[item.id]
        found = answers.get(item.question)
        if found is not None and found.answered:
            return found.best.slug if found.best is not None and found.best.slug in inside else ""
        if same_topic is None:
            return ""
        key = (item.question, tuple(inside))  # the articles whose windows hold the question: fewer to compare
        if key not in placed:
            placed[key] = same_topic([[n.question for n in chosen[slug][1]] for slug in inside], [item.question])
        index = placed[key]
        return inside[index] if index is not None else ""

    counts = {slug: {"before": [0, 0], "after": [0, 0]} for slug in chosen}
    for kind, items in ((0, live), (1, asked)):
        for item in items:
            inside = [slug for slug, (start, end) in windows.items() if start <= item.when <= end]
            slug = topic(item, inside) if inside else ""
            if slug:
                counts[slug]["before" if item.when < chosen[slug][0] else "after"][kind] += 1

    results = []
    for slug, (moment, sources) in chosen.items():
        article = articles[slug]
        results.append(Deflection(
            slug, article.title, article.category,
            kb.project.url_for(article.url_path) if article.is_public else "", article.rel,
            moment, len(sources), Period(*counts[slug]["before"], reach[slug].total_seconds() / 86400),
            Period(*counts[slug]["after"], spans[slug].total_seconds() / 86400),
        ))
    return sorted(results, key=lambda d: (-d.published.timestamp(), d.slug))
