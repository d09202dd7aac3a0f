"""Coverage and gaps: which logged questions the knowledge base answers, and what to write next.

Every open note is matched with the same engine as `kbgen ask`. A note an article now answers
is a findability gap: the article exists but the customer's words did not find it, so its
phrasings should join the article's `questions`. The other open notes are clustered by meaning
(`kbgen.cluster`) into gaps, ranked by volume, recency and how many agents met them.

A gap keeps its id as notes are added: it inherits the id most of its notes had at the last
report (or in their `drafted` events); a new gap takes the id of its earliest note.
Matches are cached per question for the current state of the search index, so a second report
over a large log does not search again.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import chain, count as counting
from typing import TYPE_CHECKING, Any

from .jsonio import loads
from .files import atomic_write_text
from .notes import Note, parse_time

if TYPE_CHECKING:
    from .kb import KnowledgeBase
    from .search import Searcher

HALF_LIFE_DAYS = 28.0  # a note's weight in the rank halves every four weeks
MATCH_CACHE = "matches.json"
GAP_IDS = "gap-ids.json"  # each note's gap at the last report, so ids carry over
_PLACEHOLDER = re.compile(r"\[[a-z-]+\]")  # what redaction leaves, such as [email]
CATEGORY_GUESS_SCORE = 0.35  # a gap with no category from agents takes its closest articles' at this score


@dataclass
class Match:
    """The best article for a note's question now."""

    slug: str
    title: str
    category: str
    url: str
    score: float
    answered: bool
    audience: str = "public"


@dataclass
class Gap:
    """Open notes that ask the same unanswered thing."""

    id: str
    notes: list[Note]
    title: str  # the most representative question
    category: str
    score: float
    rank: int = 0
    drafted: list[Note] = field(default_factory=list)  # notes of this gap already in a draft
    draft: str = ""  # that draft's path, when there is one

    @property
    def size(self) -> int:
        return len(self.notes)

    @property
    def first_seen(self) -> str:
        return min(n.time for n in self.notes)

    @property
    def last_seen(self) -> str:
        return max(n.time for n in self.notes)

    @property
    def agents(self) -> list[str]:
        return sorted({n.agent for n in self.notes if n.agent})

    @property
    def channels(self) -> list[str]:
        return sorted({n.channel for n in self.notes if n.channel})

    @property
    def phrasings(self) -> list[str]:
        return _distinct(n.question for n in self.notes)

    @property
    def answers(self) -> list[str]:
        return _distinct(n.answer for n in self.notes if n.answer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rank": self.rank,
            "score": round(self.score, 3),
            "title": self.title,
            "category": self.category,
            "size": self.size,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "agents": self.agents,
            "channels": self.channels,
            "phrasings": self.phrasings,
            "answers": self.answers,
            "note_ids": [n.id for n in self.notes],
            "draft": self.draft or None,
            "drafted_note_ids": [n.id for n in self.drafted],
        }


@dataclass
class Findable:
    """An article that already answers open notes: add their phrasings to its `questions`."""

    slug: str
    title: str
    category: str
    url: str
    path: str
    notes: list[Note]
    phrasings: list[str]  # the notes' questions not yet among the article's phrasings

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "category": self.category,
            "url": self.url,
            "path": self.path,
            "size": len(self.notes),
            "phrasings": self.phrasings,
            "note_ids": [n.id for n in self.notes],
        }


@dataclass
class Coverage:
    """The notes in scope, how each open one is covered, and the gaps they form."""

    as_of: datetime
    notes: list[Note]
    gaps: list[Gap]
    findable: list[Findable]
    matches: dict[str, Match] = field(default_factory=dict)  # by note id

    @property
    def open_notes(self) -> list[Note]:
        return [n for n in self.notes if n.state == "open"]


def phrasing_key(text: str) -> str:
    """TEXT as compared for repeats: case, spacing and end punctuation do not count."""
    return " ".join(text.lower().split()).rstrip("?!. ")


def drafted_field(note: Note, key: str) -> str:
    """KEY ("draft" or "gap") of the note's latest `drafted` event, "" when it has none."""
    return next((str(e[key]) for e in reversed(note.events) if e.get("event") == "drafted" and e.get(key)), "")


def _distinct(texts: Iterable[str]) -> list[str]:
    """TEXTS without repeats that differ only in case, spacing or end punctuation, first kept."""
    seen: set[str] = set()
    kept = []
    for text in texts:
        key = phrasing_key(text)
        if key and key not in seen:
            seen.add(key)
            kept.append(text)
    return kept


def gap_id(first_note_id: str) -> str:
    return "gap-" + hashlib.sha1(first_note_id.encode("utf-8")).hexdigest()[:8]


def _previous_ids(path: Any) -> dict[str, str]:
    """Note id -> the gap it was in at the last report (this machine's cache)."""
    try:
        data = loads(path.read_text(encoding="utf-8"), limit=0)
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_ids(path: Any, gaps: list[Gap]) -> None:
    ids = {n.id: g.id for g in gaps for n in [*g.notes, *g.drafted]}
    atomic_write_text(path, json.dumps(ids, separators=(",", ":")))


def _carry_ids(gaps: list[Gap], previous: dict[str, str]) -> None:
    """Give each gap the id its notes had before, so a gap keeps its id as notes come and go.

    Clustering is redone on every report, and a few more notes can move the boundaries a
    little; a gap inherits the id that most of its earlier notes carried (at the last report on
    this machine, or in the `drafted` events kept in gaps/), each id going to one gap only.
    Gaps with no such majority keep the id of their earliest note.
    """
    claims = []
    for index, gap in enumerate(gaps):
        votes: Counter[str] = Counter()
        for note in [*gap.notes, *gap.drafted]:
            old = previous.get(note.id) or drafted_field(note, "gap")
            if old:
                votes[old] += 1
        known = sum(votes.values())
        for old, count in votes.items():
            if 2 * count > known:
                claims.append((-count, old, index))
    taken: set[str] = set()
    named: set[int] = set()
    for _, old, index in sorted(claims):
        if old not in taken and index not in named:
            gaps[index].id = old
            taken.add(old)
            named.add(index)
    for index, gap in enumerate(gaps):
        if index in named:
            continue
        members = sorted([*gap.notes, *gap.drafted], key=lambda n: (n.time, n.id))
        # when every member's id is taken (its earliest note split off from a gap that kept the
        # id), a derived one, still a function of the notes only
        candidates = chain((gap_id(note.id) for note in members), (gap_id(f"{members[0].id}/{k}") for k in counting(2)))
        gap.id = next(c for c in candidates if c not in taken)
        taken.add(gap.id)


class Matcher:
    """`Searcher.best` for many questions, cached on disk for the index's current state."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.path = searcher.project.cache_dir / MATCH_CACHE
        self.signature = searcher.signature
        self.cache: dict[str, list[Any]] = {}
        self.dirty = False
        try:
            data = loads(self.path.read_text(encoding="utf-8"), limit=0)
            if data.get("signature") == self.signature and isinstance(data.get("matches"), dict):
                self.cache = data["matches"]
        except (OSError, ValueError, AttributeError):
            pass

    def match_all(self, questions: list[str], progress: Callable[[int, int], None]) -> dict[str, Match | None]:
        """The best article for each distinct question: cached ones first, the rest in bulk.

        Large batches are shared between processes, one a core: matching is pure Python per
        question, and the index is read-only, so forked workers need nothing but the questions.
        """
        wanted = [q for q in dict.fromkeys(questions) if q not in self.cache]
        step = 2_500
        batches = [wanted[start : start + step] for start in range(0, len(wanted), step)]
        workers = min(os.cpu_count() or 1, len(batches), MAX_WORKERS)
        done = 0
        if workers > 1 and len(wanted) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
            global _WORKER_SEARCHER
            _WORKER_SEARCHER = self.searcher
            # imported once here rather than in every worker: the clustering that follows
            # needs them too, and forked workers inherit them
            import numpy  # noqa: F401
            from scipy import sparse  # noqa: F401
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    for batch, packed in zip(batches, pool.imap(_match_batch, batches)):
                        self.cache.update(zip(batch, packed))
                        done += len(batch)
                        progress(done, len(wanted))
            finally:
                _WORKER_SEARCHER = None
        else:
            for batch in batches:
                self.cache.update(zip(batch, _pack(self.searcher.best_many(batch))))
                done += len(batch)
                progress(done, len(wanted))
        self.dirty = self.dirty or bool(wanted)
        return {q: (Match(*found) if (found := self.cache[q]) else None) for q in dict.fromkeys(questions)}

    def save(self) -> None:
        if self.dirty:
            payload = json.dumps({"signature": self.signature, "matches": self.cache}, ensure_ascii=False)
            atomic_write_text(self.path, payload)
            self.dirty = False


MAX_WORKERS = 4
PARALLEL_FROM = 2_000  # distinct questions; below this, starting workers costs more than it saves
_WORKER_SEARCHER: Any = None  # set in the parent just before forking, read by the workers


def _pack(results: list[tuple[Any, bool]]) -> list[list[Any]]:
    return [
        [] if hit is None else [hit.slug, hit.title, hit.category, hit.url, round(hit.score, 4), answered, hit.audience]
        for hit, answered in results
    ]


def _match_batch(questions: list[str]) -> list[list[Any]]:
    return _pack(_WORKER_SEARCHER.best_many(questions))


def note_category(note: Note, match: Match | None) -> str:
    """The note's category as the agent gave it, else that of the closest article."""
    return note.category or (match.category if match and match.score >= CATEGORY_GUESS_SCORE else "")


def analyze(
    kb: KnowledgeBase,
    notes: list[Note],
    searcher: Searcher,
    as_of: datetime | None = None,
    since: datetime | None = None,
    category: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Coverage:
    """Match the open notes, cluster the unanswered ones into ranked gaps."""
    from . import cluster
    from .search import stem_words

    as_of = as_of or datetime.now(timezone.utc)
    step = progress or (lambda label, done, total: None)
    notes = [_as_of(n, as_of, kb) for n in notes if n.when <= as_of]
    matcher = Matcher(searcher)
    matches: dict[str, Match] = {}
    open_notes = [n for n in notes if n.state == "open"]
    by_question = matcher.match_all([n.question for n in open_notes], lambda done, total: step("Matching notes", done, total))
    for note in open_notes:
        found = by_question[note.question]
        if found is not None:
            matches[note.id] = found
    matcher.save()

    # --since and --category select notes, and gaps, out of the whole log's clustering: clustering
    # only the selected notes would make other, finer gaps with ids of their own
    def selected(note: Note) -> bool:
        return (since is None or note.when >= since) and (category is None or note_category(note, matches.get(note.id)) == category)

    findable: dict[str, list[Note]] = {}
    unanswered: list[Note] = []
    for note in open_notes:
        found = matches.get(note.id)
        if found is not None and found.answered:
            if selected(note):
                findable.setdefault(found.slug, []).append(note)
        else:
            unanswered.append(note)

    # Drafted notes are clustered too, so that new notes on a drafted topic join its gap (and the
    # gap keeps its id); a gap with no open notes left is a draft waiting, not an open gap.
    drafted = [n for n in notes if n.state == "drafted"]
    pool = sorted(unanswered + drafted, key=lambda n: (n.time, n.id))
    gaps: list[Gap] = []
    if pool:
        step("Clustering", 0, 1)
        # redaction placeholders ("[email]") are not what a note is about: they would tie together
        # notes that only share a redacted address
        vectors = cluster.features([_PLACEHOLDER.sub(" ", n.question) for n in pool], stem_words)
        labels = cluster.cluster(vectors)
        members: dict[int, list[int]] = {}
        for row, label in enumerate(labels):
            members.setdefault(label, []).append(row)
        clusters = [rows for rows in members.values() if any(pool[r].state == "open" for r in rows)]
        gaps = [_gap([pool[r] for r in rows], vectors[rows], matches, as_of) for rows in clusters]
        _carry_ids(gaps, _previous_ids(kb.project.cache_dir / GAP_IDS))
        _save_ids(kb.project.cache_dir / GAP_IDS, gaps)
        if since is not None or category is not None:
            whole, gaps = gaps, []
            for gap, rows in zip(whole, clusters):
                kept = [r for r in rows if selected(pool[r])]
                if any(pool[r].state == "open" for r in kept):
                    gaps.append(_gap([pool[r] for r in kept], vectors[kept], matches, as_of))
                    gaps[-1].id = gap.id
        step("Clustering", 1, 1)
    gaps.sort(key=lambda g: (-g.score, -g.size, g.id))
    for rank, gap in enumerate(gaps, 1):
        gap.rank = rank
    notes = [n for n in notes if selected(n)]
    articles = kb.by_slug()

    entries = []
    for slug, group in findable.items():
        first = matches[group[0].id]
        article = articles.get(slug)
        known = {phrasing_key(q) for q in (article.questions if article else [])}
        phrasings = [q for q in _distinct(n.question for n in group) if phrasing_key(q) not in known]
        entries.append(
            Findable(slug, first.title, first.category, first.url, article.rel if article else "", group, phrasings)
        )
    entries.sort(key=lambda e: (-len(e.notes), e.slug))
    return Coverage(as_of, notes, gaps, entries, matches)


def _as_of(note: Note, moment: datetime, kb: KnowledgeBase) -> Note:
    """NOTE as it stood at MOMENT: later events left out. A note drafted into a file that has
    since been deleted is open again, so its question is not lost from view."""
    from dataclasses import replace

    events = [e for e in note.events if _event_time(e, note) <= moment]
    state = "open"
    for event in events:
        state = "open" if event.get("event") == "reopened" else str(event.get("event"))
    if state == "drafted" and events and events[-1].get("draft") and not (kb.project.root / str(events[-1]["draft"])).exists():
        state = "open"
    if state == note.state and len(events) == len(note.events):
        return note
    return replace(note, events=events, state=state)


def _event_time(event: dict[str, Any], note: Note) -> datetime:
    try:
        return parse_time(str(event.get("time") or note.time))
    except ValueError:
        return note.when


def _gap(members: list[Note], vectors: Any, matches: dict[str, Match], as_of: datetime) -> Gap:
    """A gap from one cluster (members oldest first): its open notes, and any drafted ones."""
    import numpy as np

    open_notes = [n for n in members if n.state == "open"]
    drafted = [n for n in members if n.state != "open"]
    # the title: among the five open questions closest to the gap's centre, the most concise one
    # that still says something (three words or more) and holds no redacted [placeholder], so it
    # reads like a heading (a drafted note's question is already its draft's)
    closeness = vectors @ vectors.mean(axis=0)
    near = [int(i) for i in np.argsort(-closeness, kind="stable") if members[int(i)].state == "open"][:5]
    words = [len(members[i].question.split()) for i in near]
    redacted = [bool(_PLACEHOLDER.search(members[i].question)) for i in near]
    closest = min(range(len(near)), key=lambda k: (redacted[k], words[k] < 3, words[k], k))
    closest = near[closest]
    given = Counter(n.category for n in members if n.category)
    guessed = given or Counter(
        m.category for n in members if (m := matches.get(n.id)) is not None and m.score >= CATEGORY_GUESS_SCORE
    )
    category = min(guessed.items(), key=lambda item: (-item[1], item[0]))[0] if guessed else ""
    drafts = Counter(path for n in drafted if (path := drafted_field(n, "draft")))
    return Gap(
        gap_id(members[0].id),
        open_notes,
        members[closest].question,
        category,
        rank_score(open_notes, as_of),
        drafted=drafted,
        draft=min(drafts.items(), key=lambda item: (-item[1], item[0]))[0] if drafts else "",
    )


def rank_score(notes: list[Note], as_of: datetime) -> float:
    """Recent volume (each note halves in weight every four weeks) times how widely it was met."""
    weight = sum(0.5 ** (max((as_of - n.when).total_seconds(), 0) / 86400 / HALF_LIFE_DAYS) for n in notes)
    agents = len({n.agent for n in notes if n.agent}) or 1
    return weight * (1 + math.log2(agents))


# --- KPIs -------------------------------------------------------------------------------------


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
                when = _event_time(event, note)
                first_note[article] = min(first_note.get(article, note.when), note.when)
                resolved_at[article] = min(resolved_at.get(article, when), when)
    days = [(resolved_at[a] - first_note[a]).total_seconds() / 86400 for a in resolved_at]
    return round(statistics.median(days), 1) if days else None


def waiting_drafts(kb: KnowledgeBase) -> list[Any]:
    return sorted((a for a in kb.articles if a.status == "draft"), key=lambda a: a.rel)


def stale_articles(kb: KnowledgeBase, today: date) -> list[Any]:
    found = [a for a in kb.articles if a.status == "published" and a.review_by and a.review_by < today]
    return sorted(found, key=lambda a: (a.review_by, a.slug))
