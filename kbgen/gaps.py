"""Coverage and gaps: which logged questions the knowledge base answers, and what to write next.

Every open note goes to the matching engine (`kbgen.engine`), the same that answers `kbgen ask`.
A note an article answers is a findability gap: the article exists but the customer's words did
not find it, so its phrasing should join the article's `questions`. The engine groups the other
open notes by meaning into gaps, ranked here by volume, recency and how many agents met them.

Customers' failed searches on the public site (`kbgen.signals`) are evidence too: each goes to
the same engine; one an article answers counts on that article's findability entry, the others
are grouped with the notes, so a gap holds notes and searches. A group of searches alone (no note
asks it) is a gap of its own once MIN_SEARCHES of them ask the same thing: customers meet it
though no agent logged it. It has no answer to draft from (`kbgen draft` leaves it to an editor);
searches in no gap are counted.

A gap keeps its id as notes are added: it inherits the id most of its notes had at the last
report (or in their `drafted` events); a new gap takes the id of its earliest note.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import chain, count as counting
from typing import TYPE_CHECKING, Any, ClassVar, Union

from .files import atomic_write_text
from .jsonio import loads
from .notes import Note, event_time, fold, parse_time  # noqa: F401 (event_time: kpis takes it from here)
from .text import PLACEHOLDER, distinct, phrasing_key, publishable

if TYPE_CHECKING:
    from .engine import Answer, Engine, Progress
    from .kb import KnowledgeBase

HALF_LIFE_DAYS = 28.0  # a note's weight in the rank halves every four weeks
SEARCH_WEIGHT = 0.25  # a failed search weighs a quarter of a note in the rank (see rank_score)
GAP_IDS = "gap-ids.json"  # each note's gap at the last report, so ids carry over
MIN_SEARCHES = 3  # failed searches, no note among them, that make a gap (the report_min_searches option)


@dataclass
class Search:
    """A customer's failed search on the public site: it showed 0 results, or it ended on a
    click on "contact support" (whatever it showed did not answer them)."""

    query: str
    time: str  # ISO 8601, UTC, as the service stored it
    contact: bool = False  # it ended on "contact support"
    state: ClassVar[str] = "search"  # never "open": evidence in a gap, titling only a gap of searches alone

    @property
    def when(self) -> datetime:
        return parse_time(self.time)

    @property
    def question(self) -> str:
        return self.query

    @property
    def id(self) -> str:
        """A stable key (when and what was searched) that carries a gap's id as notes have theirs."""
        return "search-" + hashlib.sha1(f"{self.time} {self.query}".encode("utf-8")).hexdigest()[:12]


def failed_searches(signals: list[dict[str, Any]]) -> list[Search]:
    """The failed searches among the site's signals (`kbgen.signals.read_signals`), oldest first:
    those that showed nothing, and those that ended on "contact support" whatever they showed."""
    found = []
    for signal in signals:
        contact = signal.get("contact") is True
        if signal.get("type") == "search" and (signal.get("results") == 0 or contact) and isinstance(signal.get("query"), str):
            try:
                parse_time(str(signal.get("time")))
            except ValueError:
                continue
            if signal["query"].strip():
                found.append(Search(signal["query"], str(signal["time"]), contact))
    return sorted(found, key=lambda s: s.time)


Evidence = Union[Note, Search]


@dataclass
class Gap:
    """Open notes that ask the same unanswered thing, and the customers' failed searches that ask it too."""

    id: str
    notes: list[Note]
    title: str  # the most representative question
    category: str
    score: float
    rank: int = 0
    drafted: list[Note] = field(default_factory=list)  # notes of this gap already in a draft
    draft: str = ""  # that draft's path, when there is one
    searches: list[Search] = field(default_factory=list)  # failed searches on the site that ask the same

    @property
    def size(self) -> int:
        return len(self.notes)

    @property
    def search_only(self) -> bool:
        """Customers' failed searches alone: no agent logged the question (and there is no answer to draft from)."""
        return not self.notes and not self.drafted

    def shown(self, min_size: int) -> bool:
        """Whether the report lists it with --min-size MIN_SIZE: notes count for a gap that has
        them; a gap of searches alone met its own threshold (MIN_SEARCHES) to exist at all."""
        return self.size >= min_size or self.search_only

    @property
    def search_queries(self) -> list[str]:
        return distinct(s.query for s in self.searches)

    @property
    def first_seen(self) -> str:
        return min(n.time for n in self.notes or self.searches)

    @property
    def last_seen(self) -> str:
        return max(n.time for n in self.notes or self.searches)

    @property
    def agents(self) -> list[str]:
        return sorted({n.agent for n in self.notes if n.agent})

    @property
    def channels(self) -> list[str]:
        return sorted({n.channel for n in self.notes if n.channel})

    @property
    def phrasings(self) -> list[str]:
        return distinct(n.question for n in self.notes)

    @property
    def answers(self) -> list[str]:
        return distinct(n.answer for n in self.notes if n.answer)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rank": self.rank,
            "score": round(self.score, 3),
            "title": self.title,
            "category": self.category,
            "size": self.size,
            "searches": len(self.searches),
            "search_only": self.search_only,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "agents": self.agents,
            "channels": self.channels,
            "phrasings": self.phrasings,
            "answers": self.answers,
            "search_queries": self.search_queries,
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
    searches: list[Search] = field(default_factory=list)  # failed searches the article answers

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "category": self.category,
            "url": self.url,
            "path": self.path,
            "size": len(self.notes),
            "searches": len(self.searches),
            "phrasings": self.phrasings,
            "search_queries": distinct(s.query for s in self.searches),
            "note_ids": [n.id for n in self.notes],
        }


@dataclass
class Coverage:
    """The notes in scope, how each open one is covered, and the gaps they form."""

    as_of: datetime
    notes: list[Note]
    gaps: list[Gap]
    findable: list[Findable]
    matches: dict[str, Answer] = field(default_factory=dict)  # the engine's decision for each open note, by id
    in_draft: int = 0  # gaps whose every note is in a draft: still gaps until an article is published
    searches: list[Search] = field(default_factory=list)  # the failed searches in scope
    lone_searches: int = 0  # failed searches in scope in no gap (with no open note, too few to make one)
    feedback: list[dict[str, Any]] = field(default_factory=list)  # "Was this helpful?" votes in scope
    deflection: list[Any] = field(default_factory=list)  # `kbgen.deflection.Deflection`, one a published article

    @property
    def open_notes(self) -> list[Note]:
        return [n for n in self.notes if n.state == "open"]


def drafted_field(note: Note, key: str) -> str:
    """KEY ("draft" or "gap") of the note's latest `drafted` event, "" when it has none."""
    return next((str(e[key]) for e in reversed(note.events) if e.get("event") == "drafted" and e.get(key)), "")


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
    ids = {n.id: g.id for g in gaps for n in [*g.notes, *g.drafted, *g.searches]}
    atomic_write_text(path, json.dumps(ids, separators=(",", ":")))


def _carry_ids(gaps: list[Gap], previous: dict[str, str]) -> None:
    """Give each gap the id its notes had before, so a gap keeps its id as notes come and go.

    Clustering is redone on every report, and a few more notes can move the boundaries a
    little; a gap inherits the id that most of its earlier notes and searches carried (at the
    last report on this machine, or in the `drafted` events kept in gaps/), each id going to one
    gap only, so a gap of searches alone keeps its id when agents' notes join it. Gaps with no
    such majority keep the id of their earliest note (of their earliest search, with no note).
    """
    claims = []
    for index, gap in enumerate(gaps):
        votes: Counter[str] = Counter()
        for item in [*gap.notes, *gap.drafted, *gap.searches]:
            old = previous.get(item.id) or (drafted_field(item, "gap") if isinstance(item, Note) else "")
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
        members: list[Evidence] = sorted([*gap.notes, *gap.drafted] or gap.searches, key=lambda n: (n.time, n.id))
        # when every member's id is taken (its earliest note split off from a gap that kept the
        # id), a derived one, still a function of the notes only
        candidates = chain((gap_id(note.id) for note in members), (gap_id(f"{members[0].id}/{k}") for k in counting(2)))
        gap.id = next(c for c in candidates if c not in taken)
        taken.add(gap.id)


def note_category(note: Note, match: Answer | None) -> str:
    """The note's category as the agent gave it, else that of the article on its subject."""
    return note.category or (match.best.category if match and match.near and match.best else "")


def analyze(
    kb: KnowledgeBase,
    notes: list[Note],
    engine: Engine,
    as_of: datetime | None = None,
    since: datetime | None = None,
    category: str | None = None,
    progress: Progress | None = None,
    signals: list[dict[str, Any]] | None = None,
    min_searches: int = MIN_SEARCHES,
) -> Coverage:
    """Match the open notes and failed searches, group the unanswered ones into ranked gaps.

    SIGNALS are the site's (`kbgen.signals.read_signals`): failed searches join the matching and
    the grouping, votes are kept for the report; both up to AS_OF and, like notes, from SINCE.
    A group of MIN_SEARCHES failed searches or more with no note is a gap of its own."""
    from .deflection import measure
    from .engine.cache import AnswerCache

    as_of = as_of or datetime.now(timezone.utc)
    step = progress or (lambda label, done, total: None)
    every_note = [_as_of(n, as_of, kb) for n in notes if n.when <= as_of]
    notes = every_note
    open_notes = [n for n in notes if n.state == "open"]
    searches = [s for s in failed_searches(signals or []) if s.when <= as_of]
    cache = AnswerCache(engine, kb.project.cache_dir)
    by_question = cache.best([n.question for n in open_notes] + [s.query for s in searches], progress=step)
    engine.remember([n.question for n in open_notes])  # notes logged some other way are encoded once
    matches = {note.id: by_question[note.question] for note in open_notes}

    def match(item: Evidence) -> Answer | None:
        return by_question.get(item.query) if isinstance(item, Search) else matches.get(item.id)

    # --since and --category select notes, and gaps, out of the whole log's grouping: grouping
    # only the selected notes would make other, finer gaps with ids of their own
    def selected(item: Evidence) -> bool:
        if since is not None and item.when < since:
            return False
        if category is None:
            return True
        if isinstance(item, Search):
            found = by_question.get(item.query)
            return bool(found and found.near and found.best and found.best.category == category)
        return note_category(item, matches.get(item.id)) == category

    # which open notes and searches an article already answers is decided for all of them at
    # once: questions that ask one thing and lean on one article pool their evidence
    drafted: list[Evidence] = [n for n in notes if n.state == "drafted"]
    asked: list[Evidence] = [*open_notes, *searches]
    known_vectors = engine.vectors([n.question for n in [*asked, *drafted]], progress=step) if asked or drafted else None
    vector_of = {id(item): row for row, item in enumerate([*asked, *drafted])}
    answers = [match(item) for item in asked]
    rows = [row for row, found in enumerate(answers) if found is not None]
    decided = dict(zip(rows, engine.covered([answers[r] for r in rows], known_vectors[rows]))) if rows else {}
    findable: dict[str, list[Evidence]] = {}
    hits: dict[str, Any] = {}
    unanswered: list[Evidence] = []
    for row, (item, found) in enumerate(zip(asked, answers)):
        if found is not None and found.best is not None and decided[row]:
            if selected(item):
                findable.setdefault(found.best.slug, []).append(item)
                hits.setdefault(found.best.slug, found.best)
        else:
            unanswered.append(item)

    # Drafted notes are grouped too, so that new notes on a drafted topic join its gap (and the
    # gap keeps its id); a gap with no open notes left is a draft waiting, not an open gap.
    pool = sorted(unanswered + drafted, key=_order)
    gaps: list[Gap] = []
    in_draft = 0
    lone = 0
    if pool:
        assert known_vectors is not None
        vectors = known_vectors[[vector_of[id(item)] for item in pool]]
        engine.remember([n.question for n in pool])
        step("Grouping", 0, 1)
        labels = engine.group(vectors)
        members: dict[int, list[int]] = {}
        for row, label in enumerate(labels):
            members.setdefault(label, []).append(row)
        def is_gap(rows: list[int]) -> bool:
            """Open notes, or enough searches with no note at all (several customers met it, no agent logged it)."""
            return any(pool[r].state == "open" for r in rows) or (
                len(rows) >= max(min_searches, 1) and all(pool[r].state == "search" for r in rows))

        clusters = [rows for rows in members.values() if is_gap(rows)]
        in_draft = sum(1 for rows in members.values()
                       if (kept := [r for r in rows if pool[r].state != "search"])
                       and all(selected(pool[r]) and pool[r].state == "drafted" for r in kept))
        lone = sum(1 for rows in members.values() if not is_gap(rows)
                   for r in rows if pool[r].state == "search" and selected(pool[r]))
        gaps = [_gap([pool[r] for r in rows], vectors[rows], match, as_of) for rows in clusters]
        _carry_ids(gaps, _previous_ids(kb.project.cache_dir / GAP_IDS))
        _save_ids(kb.project.cache_dir / GAP_IDS, gaps)
        if since is not None or category is not None:
            whole, gaps = gaps, []
            for gap, rows in zip(whole, clusters):
                kept = [r for r in rows if selected(pool[r])]
                if kept and is_gap(kept):
                    gaps.append(_gap([pool[r] for r in kept], vectors[kept], match, as_of))
                    gaps[-1].id = gap.id
                else:
                    lone += sum(1 for r in kept if pool[r].state == "search")
        step("Grouping", 1, 1)
    gaps.sort(key=lambda g: (-g.score, -g.size, g.id))
    for rank, gap in enumerate(gaps, 1):
        gap.rank = rank
    notes = [n for n in notes if selected(n)]
    articles = kb.by_slug()

    entries = []
    for slug, group in findable.items():
        first = hits[slug]
        article = articles.get(slug)
        known = {phrasing_key(q) for q in (article.questions if article else [])}
        found_notes = [n for n in group if isinstance(n, Note)]
        phrasings = [q for q in distinct(n.question for n in found_notes) if phrasing_key(q) not in known and publishable(q)]
        entries.append(
            Findable(slug, first.title, first.category, first.url, article.rel if article else "", found_notes, phrasings,
                     [s for s in group if isinstance(s, Search)])
        )
    entries.sort(key=lambda e: (-len(e.notes), -len(e.searches), e.slug))
    deflection = measure(kb, every_note, searches, lambda questions: cache.best(questions, progress=step), as_of,
                         since=since, category=category, same_topic=engine.same_topic)
    cache.save()
    feedback = [s for s in signals or [] if s.get("type") == "feedback" and _signal_time(s, as_of, since)]
    return Coverage(as_of, notes, gaps, entries, matches, in_draft, searches=[s for s in searches if selected(s)],
                    lone_searches=lone, feedback=feedback, deflection=deflection)


def _order(item: Evidence) -> tuple[str, int, str]:
    """Oldest first (the engine groups in time order); at one moment notes before searches."""
    return (item.time, 1, item.query) if isinstance(item, Search) else (item.time, 0, item.id)


def _signal_time(signal: dict[str, Any], as_of: datetime, since: datetime | None) -> bool:
    """Whether SIGNAL was sent in the report's window (from SINCE, up to AS_OF)."""
    try:
        moment = parse_time(str(signal.get("time")))
    except ValueError:
        return False
    return moment <= as_of and (since is None or moment >= since)


def _as_of(note: Note, moment: datetime, kb: KnowledgeBase) -> Note:
    """NOTE as it stood at MOMENT: later events left out. A note drafted into a file that has
    since been deleted is open again, so its question is not lost from view."""
    if not note.events and note.state == "open":  # most notes: nothing to leave out, no draft to look for
        return note
    from dataclasses import replace

    (then,) = fold([replace(note, events=[], state="open")], [{**e, "note": note.id} for e in note.events], until=moment)
    if then.state == "drafted" and then.events[-1].get("draft") and not (kb.project.root / str(then.events[-1]["draft"])).exists():
        then.state = "open"
    if then.state == note.state and len(then.events) == len(note.events):
        return note
    return then


def _gap(members: list[Evidence], vectors: Any, match: Any, as_of: datetime) -> Gap:
    """A gap from one group (members oldest first): its open notes, any drafted ones, and the
    failed searches among them (only searches: a gap customers met that no agent logged). MATCH
    gives the engine's decision for a member."""
    import numpy as np

    open_notes = [n for n in members if isinstance(n, Note) and n.state == "open"]
    drafted = [n for n in members if isinstance(n, Note) and n.state != "open"]
    searches = [s for s in members if isinstance(s, Search)]
    notes_only = [n for n in members if isinstance(n, Note)]
    # the title: the most central open question (closest to the group's centre) among those that
    # read like a heading: three words or more, no redacted [placeholder] (a drafted note's
    # question is already its draft's title)
    closeness = vectors @ vectors.mean(axis=0)
    heading = "open" if open_notes else "search"  # a gap of searches alone takes its title from them
    ranked = [int(i) for i in np.argsort(-closeness, kind="stable") if members[int(i)].state == heading]
    fit = [i for i in ranked if len(members[i].question.split()) >= 3 and not PLACEHOLDER.search(members[i].question)]
    closest = (fit or ranked)[0]
    given = Counter(n.category for n in notes_only if n.category)
    guessed = given or Counter(
        m.best.category for n in members if (m := match(n)) is not None and m.near and m.best is not None
    )
    category = min(guessed.items(), key=lambda item: (-item[1], item[0]))[0] if guessed else ""
    drafts = Counter(path for n in drafted if (path := drafted_field(n, "draft")))
    return Gap(
        gap_id((notes_only or searches)[0].id),
        open_notes,
        members[closest].question,
        category,
        rank_score(open_notes, as_of, searches),
        drafted=drafted,
        draft=min(drafts.items(), key=lambda item: (-item[1], item[0]))[0] if drafts else "",
        searches=searches,
    )


def rank_score(notes: list[Note], as_of: datetime, searches: list[Search] | None = None) -> float:
    """Recent volume times how widely it was met.

    Each note counts 1 and each failed search SEARCH_WEIGHT (a quarter), both halving every
    four weeks; the sum is multiplied by 1 + log2(agents who met it). A search weighs less than
    a note because it is cheap: one visitor retries in other words, and a search that found
    nothing may still have been answered on the page it led to; a note is a conversation an
    agent had to hold. Searches add no agents."""
    def recent(moment: datetime) -> float:
        return 0.5 ** (max((as_of - moment).total_seconds(), 0) / 86400 / HALF_LIFE_DAYS)

    weight = sum(recent(n.when) for n in notes) + SEARCH_WEIGHT * sum(recent(s.when) for s in searches or [])
    agents = len({n.agent for n in notes if n.agent}) or 1
    return weight * (1 + math.log2(agents))


