"""Coverage and gaps: which logged questions the knowledge base answers, and what to write next.

Every open note goes to the matching engine (`kbgen.engine`), the same that answers `kbgen ask`.
A note an article answers is a findability gap: the article exists but the customer's words did
not find it, so its phrasing should join the article's `questions`. The engine groups the other
open notes by meaning into gaps, ranked here by volume, recency and how many agents met them.

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
from typing import TYPE_CHECKING, Any

from .files import atomic_write_text
from .jsonio import loads
from .notes import Note, event_time, fold, parse_time  # noqa: F401 (event_time: kpis takes it from here)
from .text import PLACEHOLDER, distinct, phrasing_key, publishable

if TYPE_CHECKING:
    from .engine import Answer, Engine, Progress
    from .kb import KnowledgeBase

HALF_LIFE_DAYS = 28.0  # a note's weight in the rank halves every four weeks
GAP_IDS = "gap-ids.json"  # each note's gap at the last report, so ids carry over


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
    matches: dict[str, Answer] = field(default_factory=dict)  # the engine's decision for each open note, by id
    in_draft: int = 0  # gaps whose every note is in a draft: still gaps until an article is published

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
) -> Coverage:
    """Match the open notes, group the unanswered ones into ranked gaps."""
    from .engine.cache import AnswerCache

    as_of = as_of or datetime.now(timezone.utc)
    step = progress or (lambda label, done, total: None)
    notes = [_as_of(n, as_of, kb) for n in notes if n.when <= as_of]
    open_notes = [n for n in notes if n.state == "open"]
    cache = AnswerCache(engine, kb.project.cache_dir)
    by_question = cache.best([n.question for n in open_notes], progress=step)
    cache.save()
    engine.remember([n.question for n in open_notes])  # notes logged some other way are encoded once
    matches = {note.id: by_question[note.question] for note in open_notes}

    # --since and --category select notes, and gaps, out of the whole log's grouping: grouping
    # only the selected notes would make other, finer gaps with ids of their own
    def selected(note: Note) -> bool:
        return (since is None or note.when >= since) and (category is None or note_category(note, matches.get(note.id)) == category)

    findable: dict[str, list[Note]] = {}
    unanswered: list[Note] = []
    for note in open_notes:
        found = matches[note.id]
        if found.covered and found.best is not None:
            if selected(note):
                findable.setdefault(found.best.slug, []).append(note)
        else:
            unanswered.append(note)

    # Drafted notes are grouped too, so that new notes on a drafted topic join its gap (and the
    # gap keeps its id); a gap with no open notes left is a draft waiting, not an open gap.
    drafted = [n for n in notes if n.state == "drafted"]
    pool = sorted(unanswered + drafted, key=lambda n: (n.time, n.id))
    gaps: list[Gap] = []
    in_draft = 0
    if pool:
        vectors = engine.vectors([n.question for n in pool], progress=step)
        engine.remember([n.question for n in pool])
        step("Grouping", 0, 1)
        labels = engine.group(vectors)
        members: dict[int, list[int]] = {}
        for row, label in enumerate(labels):
            members.setdefault(label, []).append(row)
        clusters = [rows for rows in members.values() if any(pool[r].state == "open" for r in rows)]
        in_draft = sum(1 for rows in members.values() if all(selected(pool[r]) and pool[r].state == "drafted" for r in rows))
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
        step("Grouping", 1, 1)
    gaps.sort(key=lambda g: (-g.score, -g.size, g.id))
    for rank, gap in enumerate(gaps, 1):
        gap.rank = rank
    notes = [n for n in notes if selected(n)]
    articles = kb.by_slug()

    entries = []
    for slug, group in findable.items():
        first = matches[group[0].id].best
        assert first is not None
        article = articles.get(slug)
        known = {phrasing_key(q) for q in (article.questions if article else [])}
        phrasings = [q for q in distinct(n.question for n in group) if phrasing_key(q) not in known and publishable(q)]
        entries.append(
            Findable(slug, first.title, first.category, first.url, article.rel if article else "", group, phrasings)
        )
    entries.sort(key=lambda e: (-len(e.notes), e.slug))
    return Coverage(as_of, notes, gaps, entries, matches, in_draft)


def _as_of(note: Note, moment: datetime, kb: KnowledgeBase) -> Note:
    """NOTE as it stood at MOMENT: later events left out. A note drafted into a file that has
    since been deleted is open again, so its question is not lost from view."""
    from dataclasses import replace

    (then,) = fold([replace(note, events=[], state="open")], [{**e, "note": note.id} for e in note.events], until=moment)
    if then.state == "drafted" and then.events[-1].get("draft") and not (kb.project.root / str(then.events[-1]["draft"])).exists():
        then.state = "open"
    if then.state == note.state and len(then.events) == len(note.events):
        return note
    return then


def _gap(members: list[Note], vectors: Any, matches: dict[str, Answer], as_of: datetime) -> Gap:
    """A gap from one group (members oldest first): its open notes, and any drafted ones."""
    import numpy as np

    open_notes = [n for n in members if n.state == "open"]
    drafted = [n for n in members if n.state != "open"]
    # the title: the most central open question (closest to the group's centre) among those that
    # read like a heading: three words or more, no redacted [placeholder] (a drafted note's
    # question is already its draft's title)
    closeness = vectors @ vectors.mean(axis=0)
    ranked = [int(i) for i in np.argsort(-closeness, kind="stable") if members[int(i)].state == "open"]
    fit = [i for i in ranked if len(members[i].question.split()) >= 3 and not PLACEHOLDER.search(members[i].question)]
    closest = (fit or ranked)[0]
    given = Counter(n.category for n in members if n.category)
    guessed = given or Counter(
        m.best.category for n in members if (m := matches.get(n.id)) is not None and m.near and m.best is not None
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


