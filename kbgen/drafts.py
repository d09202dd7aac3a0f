"""Gaps into draft articles (`kbgen draft`), and drafts into published articles (`kbgen promote`).

A draft is an ordinary article file with `status: draft`: `kbgen check` reads it and the site
leaves it out. It records the gap it came from (`gap_id`) and its notes (`source_notes`).
Running `draft` again finds the draft through those notes, adds the new phrasings and note ids,
and rewrites the body only while it is still exactly what kbgen wrote: an editor's words are
never overwritten.

Note text is untrusted: it was redacted when logged, and here it is escaped, so it can never
become live HTML or a Markdown link in the draft or, later, on the site.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .articles import (
    DRAFTING_NOTE,
    RESERVED_SLUGS,
    add_to_list,
    edit_file,
    parse_article,
    read_text,
    render_article,
    set_front_matter,
    split_front_matter,
)
from .errors import KbgenError
from .files import atomic_write_bytes, atomic_write_text
from .escape import markdown_inline
from .gaps import drafted_field
from .notes import Note
from .store import open_store
from .text import FILLER_WORDS, FUNCTION_WORDS, distinct, phrasing_key, publishable

if TYPE_CHECKING:
    from .articles import Article
    from .engine import Engine
    from .gaps import Coverage, Gap
    from .kb import KnowledgeBase

MAX_QUESTIONS = 12
MAX_ANSWERS = 6
_URL_RE = re.compile(r"(?i)\b(https?|ftp)://|\bwww\.")


@dataclass
class DraftResult:
    """One draft `kbgen draft` wrote or updated."""

    path: str
    slug: str
    title: str
    gap_id: str
    note_ids: list[str]  # the notes this run added
    created: bool
    body_updated: bool
    marked: list[str] = field(default_factory=list)  # the open notes to mark drafted (added, or already listed)
    evidence: Evidence | None = None  # the gap behind the draft, for the editor who reviews it

    def to_dict(self) -> dict[str, Any]:
        found = {
            "path": self.path,
            "slug": self.slug,
            "title": self.title,
            "gap_id": self.gap_id,
            "note_ids": self.note_ids,
            "action": "created" if self.created else "updated",
            "body_updated": self.body_updated,
        }
        if self.evidence is not None:
            found["evidence"] = self.evidence.to_dict()
        return found


SAMPLE_QUESTIONS = 5


@dataclass
class Evidence:
    """Why a draft is worth writing: the size of its gap, who met it, when, and how customers asked."""

    notes: int
    agents: list[str]
    channels: list[str]
    first_seen: str
    last_seen: str
    questions: list[str]  # a few of the customers' phrasings, as logged (redacted, not yet escaped)
    rank: int = 0

    @classmethod
    def of(cls, gap: Gap) -> Evidence:
        return cls(gap.size, gap.agents, gap.channels, gap.first_seen, gap.last_seen,
                   gap.phrasings[:SAMPLE_QUESTIONS], gap.rank)

    def to_dict(self) -> dict[str, Any]:
        return {"notes": self.notes, "agents": self.agents, "channels": self.channels, "first_seen": self.first_seen,
                "last_seen": self.last_seen, "questions": self.questions, "rank": self.rank}


def _break_urls(text: str) -> str:
    """A zero-width space inside each URL's scheme or www., so no renderer turns it into a link."""
    return _URL_RE.sub(lambda m: m.group(0).replace(":", "\u200b:").replace("www.", "www\u200b."), text)


def plain(text: str, limit: int = 0) -> str:
    """TEXT as one line of plain words for front matter: angle brackets and link syntax dropped."""
    text = " ".join(re.sub(r"<(?=[A-Za-z/!?])|[\[\]`]", "", text).split())  # no tags or links; "a > b" stays
    text = _break_urls(text)
    if limit and len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
        text = cut + "…"
    return text


_GREETING = re.compile(r"^(?:(?:(?:hi|hello|hey|hiya)(?: there| team| all| folks)?|dear \w+|good (?:morning|afternoon|evening)"
                       r"|(?:please|pls|plz)(?: help)?|help(?=\s*[!:])|urgent)\b[\s,.!:;-]*)+", re.I)
_SIGN_OFF = re.compile(r"[\s,.!:;-]*\b(?:thanks?(?: you)?(?: so much)?|thx|ty|cheers|please|pls|plz|help|asap|urgent)[\s.!?]*$", re.I)
_SHORTHAND = {"pw": "password", "pwd": "password", "acct": "account", "u": "you", "ur": "your", "msg": "message",
              "i": "I", "im": "I'm", "dont": "don't", "cant": "can't", "doesnt": "doesn't", "wont": "won't"}
TITLE_LENGTH = 120


def title_for(question: str) -> str:
    """A title from a customer's question, as an editor would start it: one line without greetings,
    sign-offs or chat shorthand ("Forgot my pw help?" becomes "Forgot my password?"), capitalised,
    ending in a question mark, and never a word cut short (a long question ends at a clause)."""
    text = plain(question)
    for _ in range(3):  # "hi, please help, thanks!"
        text = _SIGN_OFF.sub("", _GREETING.sub("", text)).strip()
    text = re.sub(r"\b[A-Za-z]+\b", lambda m: _SHORTHAND.get(m.group(0).lower(), m.group(0)) if m.group(0).islower() or m.group(0) == "I" else m.group(0), text)
    text = text.rstrip(" .!?…,;:")
    if len(text) > TITLE_LENGTH:
        # several sentences: the one that asks is the title ("I'm the office manager. ... Can I
        # make myself the owner?" is titled by its question), else the first
        sentences = [part.strip() for part in re.split(r"(?<=[.?!])\s+", text + "?") if part.strip()]
        asking = [part for part in sentences if part.endswith("?") and len(part.split()) >= 3]
        if len(sentences) > 1:
            text = (asking or sentences)[0].rstrip(" .!?…,;:")
    if len(text) > TITLE_LENGTH:
        head = text[:TITLE_LENGTH]
        clause = max(head.rfind(", "), head.rfind("; "), head.rfind(" - "))
        text = head[:clause] if clause >= TITLE_LENGTH // 2 else head.rsplit(" ", 1)[0]
        text = text.rstrip(" .!?…,;:")
    text = text[:1].upper() + text[1:]
    return text + "?" if text else "Untitled question"


SLUG_WORDS = 6  # a slug is a public address: the title's first meaningful words, whole
_SLUG_FILLERS = frozenset("ever really still even also always never since last week now e g eg etc they them their he she "
                          "her his him someone something".split())
SLUG_LENGTH = 60


def slug_for(title: str, taken: set[str]) -> str:
    """A short, unique slug of a title's meaningful words, never a word cut short. When it is
    taken, the title's next words make it unique ("refund-annual-plan-proration"); a number is
    the last resort, for titles whose every word is already used."""
    # contractions ("I'm", "can't") are whole words, and say nothing an address needs; nor do
    # the fillers of chat ("ever", "really") or a word said twice
    words = [w for w in re.findall(r"[a-z0-9]+(?:['’][a-z]+)*", title.lower()) if "'" not in w and "’" not in w]
    meaningful = list(dict.fromkeys(w for w in words if w not in FUNCTION_WORDS and w not in FILLER_WORDS
                                    and w not in _SLUG_FILLERS)) or words or ["draft"]

    def joined(count: int) -> str:
        kept: list[str] = []
        for word in meaningful[:count]:
            if len("-".join([*kept, word])) > SLUG_LENGTH:
                break
            kept.append(word)
        return "-".join(kept) or meaningful[0][:SLUG_LENGTH]

    for count in range(SLUG_WORDS, max(len(meaningful), SLUG_WORDS) + 1):
        slug = joined(count)
        if slug in RESERVED_SLUGS:
            slug += "-article"
        if slug not in taken:
            return slug
    base, number = slug, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def first_sentences(text: str, limit: int = 200) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    summary = ""
    for sentence in sentences:
        if summary and len(summary) + len(sentence) + 1 > limit:
            break
        summary = f"{summary} {sentence}".strip()
    return plain(summary, limit)


def render_body(gap_id: str, notes: list[Note], lead: str = "", newest: bool = True) -> str:
    """The draft's body from the agents' answers: deduplicated, escaped, newest knowledge last.

    NEWEST=False is the layout kbgen wrote before 2026-11-23 (the first answers, not the
    newest), so drafts written then are still recognised as untouched and keep growing."""
    answers = distinct(n.answer for n in notes if n.answer)
    if lead and lead in answers:
        answers.remove(lead)
        answers.insert(0, lead)
    lines = [
        f"<!-- {DRAFTING_NOTE} {gap_id} ({len(notes)} notes). Rewrite this for customers, then run",
        "     `kbgen promote` in a pull request. kbgen adds new notes' answers below only while this body",
        "     is unchanged; once you edit it, it is yours. -->",
        "",
    ]
    if answers:
        lines += ["## Answer", "", markdown_inline(answers[0]), ""]
    if len(answers) > 1:
        others = answers[1:]
        lines += ["## What agents also told customers", ""]
        if not newest:
            others = others[:MAX_ANSWERS]
        elif len(others) > MAX_ANSWERS:  # the newest are kept: what agents say now is what changed
            lines.append(f"- ({len(others) - MAX_ANSWERS} earlier answers are in the source notes.)")
        lines += [f"- {markdown_inline(a)}" for a in others[-MAX_ANSWERS:]]
        lines.append("")
    if not answers:
        lines += ["No agent recorded an answer yet. Write one here.", ""]
    return "\n".join(lines)


def _drafts_by_note(kb: KnowledgeBase) -> dict[str, Article]:
    found: dict[str, Article] = {}
    for article in kb.articles:
        if article.status == "draft":
            for note_id in article.source_notes:
                found.setdefault(note_id, article)
    return found


def _category_for(gap: Gap, kb: KnowledgeBase, coverage: Coverage) -> str:
    if gap.category in kb.categories:
        return gap.category
    for note in gap.notes:
        match = coverage.matches.get(note.id)
        if match and match.near and match.best and match.best.category in kb.categories:
            return match.best.category
    ordered = kb.ordered_categories()
    if not ordered:
        raise KbgenError("kb/ has no category folder to put drafts in; create one first (kbgen init makes one)")
    return ordered[0].name


def write_drafts(
    kb: KnowledgeBase,
    coverage: Coverage,
    engine: Engine,
    notes_by_id: dict[str, Note],
    min_size: int = 3,
    top: int | None = None,
    today: date | None = None,
    dry_run: bool = False,
    warn: Callable[[str], None] = lambda message: None,
    limit: int = 0,
) -> DraftRun:
    """One draft per gap of at least MIN_SIZE open notes (the TOP best ranked), then mark the notes drafted.

    At most LIMIT new drafts are written (0: no limit), best-ranked gaps first; gaps that already
    have a draft are still added to it. The result's `waiting` counts the gaps left for a later run.

    Gaps of customers' searches alone are never drafted (the result's `search_only` counts them):
    a draft is built from agents' answers, and a search carries none, so a draft would be a title
    and no body to review. An editor writes that article, or an agent's note with the answer joins
    the gap and makes it draftable.

    A gap whose draft cannot be written (say an editor broke its front matter) is skipped with a
    warning; the others are still written and their notes marked.
    """
    project = kb.project
    today = today or date.today()
    if not kb.categories:
        raise KbgenError("kb/ has no category folder to put drafts in; create one first (kbgen init makes one)")
    store = open_store(project)
    if not dry_run:
        store.ensure_writable()
    by_note = _drafts_by_note(kb)
    # every file name under kb/ is taken, including files that do not parse
    taken = {a.slug for a in kb.articles} | {p.stem for p in project.kb_dir.rglob("*.md")}
    # a gap with notes in a draft already may add a few new ones to it; a new draft needs
    # MIN_SIZE open notes (checked below, once it is known whether a draft exists)
    chosen = [g for g in coverage.gaps if g.notes and (g.size >= min_size or g.drafted)]
    results = DraftRun()
    results.search_only = sum(1 for g in coverage.gaps if g.search_only)
    events: list[tuple[str, str, dict[str, Any]]] = []

    current = {a.rel: a for a in kb.articles if a.status == "draft"}

    def drafted_into(gap: Gap) -> str:
        """The draft most of the gap's notes are already in, if most of them are ("" if none is)."""
        votes: Counter[str] = Counter()
        for note in gap.drafted:
            path = drafted_field(note, "draft")
            if path:
                votes[path] += 1
        for note in gap.notes:
            if note.id in by_note:
                votes[by_note[note.id].rel] += 1
        if not votes:
            return ""
        path, count = min(votes.items(), key=lambda item: (-item[1], item[0]))
        return path if 2 * count >= len(gap.notes) + len(gap.drafted) else ""

    targets = {g.id: drafted_into(g) for g in chosen}
    similar = _similar_drafts(kb, [g for g in chosen if not targets[g.id]], engine)
    chosen = [g for g in chosen if targets[g.id] or g.id in similar or g.size >= min_size][:top]
    created = 0
    try:
        for gap in chosen:
            path = targets[gap.id]
            existing = current.get(path) if path else similar.get(gap.id)
            if existing is None and not path and limit and created >= limit:
                results.waiting += 1
                continue
            if path and existing is None:
                warn(f"{path}: skipped; it holds most notes of gap {gap.id} but is not a draft kbgen can read")
                continue
            try:
                if existing is None:
                    result = _create(kb, gap, coverage, taken, today, dry_run)
                else:
                    result = _update(existing, gap, notes_by_id, dry_run)
                    if not dry_run:  # a later gap may add to the same draft: let it see this one's notes
                        current[existing.rel] = _reload(existing)
            except KbgenError as exc:
                warn(f"{exc}; gap {gap.id} skipped")
                continue
            result.evidence = Evidence.of(gap)
            results.append(result)
            created += result.created
            events += [(note_id, "drafted", {"draft": result.path, "gap": gap.id}) for note_id in result.marked]
    finally:
        if events and not dry_run:
            store.add_events(events)
    return results


class DraftRun(list[DraftResult]):
    """The drafts one `kbgen draft` run wrote or updated, and how many gaps wait for a later run."""

    waiting: int = 0
    search_only: int = 0  # gaps of customers' searches alone: not drafted (no answer to draft from)


def search_only_words(count: int) -> str:
    """Why COUNT gaps of searches alone were not drafted, in one sentence ("" for none)."""
    if not count:
        return ""
    return (f"{count} gap{'s' * (count != 1)} of customers' searches alone (no note) not drafted: a search carries no "
            "answer to draft from. `kbgen report` lists their queries; write the article, or log a note with the answer.")


def to_markdown(run: list[DraftResult], waiting: int = 0, min_size: int = 3, search_only: int = 0) -> str:
    """A pull request's description for RUN: each draft with the evidence behind it, and what to do.

    Note text (questions, agents' names) is escaped: no links, mentions or markup reach GitHub."""
    skipped = search_only_words(search_only)
    if not run:
        return f"No gap has {min_size} or more open notes; nothing to draft.\n" + (f"\n{skipped}\n" if skipped else "")
    created, updated = sum(r.created for r in run), sum(not r.created for r in run)
    done = [f"wrote {created} new draft article{'s' * (created != 1)}"] * bool(created)
    done += [f"updated {updated} draft{'s' * (updated != 1)}"] * bool(updated)
    out = [f"kbgen {' and '.join(done)} from the gap log: questions agents met that the knowledge base "
           "did not answer.", ""]
    for r in run:
        e = r.evidence
        verb = "New draft" if r.created else "Updated draft"
        out += [f"### {verb}: {markdown_inline(r.title)}", "", f"`{r.path.replace('`', '')}`, gap `{r.gap_id}`", ""]
        if e is not None:
            agents = ", ".join(markdown_inline(a) for a in e.agents) or "not recorded"
            seen = f"{e.first_seen[:10]} to {e.last_seen[:10]}" if e.first_seen[:10] != e.last_seen[:10] else e.last_seen[:10]
            added = "" if r.created else f" ({len(r.note_ids)} new in this draft)"
            out += [f"- **{e.notes} note{'s' * (e.notes != 1)}**{added}, {seen}",
                    f"- **Agents** ({len(e.agents)}): {agents}"]
            if e.channels:
                out.append(f"- **Channels**: {', '.join(markdown_inline(c) for c in e.channels)}")
            out.append("- **Customers asked**:")
            out += [f"  - {markdown_inline(q)}" for q in e.questions]
        out.append("")
    if waiting:
        out += [f"{waiting} more gap{'s' * (waiting != 1)} qualify; a later run drafts them.", ""]
    if skipped:
        out += [skipped, ""]
    out += ["Before merging: rewrite each draft for customers (the notes are agents' shorthand), remove kbgen's "
            "drafting note, then `kbgen promote <path> --reviewer <you>` in this branch. Closing the pull request "
            "unmerged leaves the knowledge base and the gap log as they were."]
    return "\n".join(out) + "\n"


def _reload(article: Article) -> Article:
    text, problems = read_text(article.path, article.rel)
    parsed, _ = parse_article(article.path, article.rel, article.category, text or "")
    if parsed is None:
        raise KbgenError(f"{article.rel} cannot be read back after the update", path=article.rel)
    return parsed


def _similar_drafts(kb: KnowledgeBase, gaps: list[Gap], engine: Engine) -> dict[str, Article]:
    """Drafts an editor already started on a gap's topic (title and questions asking what its
    phrasings ask), by gap id: the gap's notes go to that draft instead of a new one."""
    drafts = [a for a in kb.articles if a.status == "draft"]
    groups = [[draft.title, *draft.questions] for draft in drafts]
    found: dict[str, Article] = {}
    for gap in gaps if drafts else []:
        index = engine.same_topic(groups, gap.phrasings)
        if index is not None:
            found[gap.id] = drafts[index]
    return found


def _create(kb: KnowledgeBase, gap: Gap, coverage: Coverage, taken: set[str], today: date, dry_run: bool) -> DraftResult:
    project = kb.project
    category = _category_for(gap, kb, coverage)
    title = title_for(gap.title)
    slug = slug_for(title, taken)
    taken.add(slug)
    path = project.kb_dir / category / f"{slug}.md"
    tags = _common_tags(gap.notes)
    meta: dict[str, Any] = {
        "title": title,
        "status": "draft",
        "audience": "public",
        "summary": first_sentences(_title_answer(gap)),
        "questions": [plain(q, 300) for q in gap.phrasings if publishable(q)][:MAX_QUESTIONS],
        "tags": tags,
        "updated": today,
        "gap_id": gap.id,
        "source_notes": [n.id for n in gap.notes],
    }
    if not meta["summary"]:
        del meta["summary"]
    if not tags:
        del meta["tags"]
    text = render_article(meta, render_body(gap.id, gap.notes, _title_answer(gap)))
    if not dry_run:
        if path.exists():
            raise KbgenError(f"{project.relpath(path)} already exists; not overwriting it")
        atomic_write_text(path, text)
    ids = [n.id for n in gap.notes]
    return DraftResult(project.relpath(path), slug, title, gap.id, ids, True, True, ids)


def _update(article: Article, gap: Gap, notes_by_id: dict[str, Note], dry_run: bool) -> DraftResult:
    """Add the gap's new notes to an existing draft, keeping everything an editor wrote."""
    listed = set(article.source_notes)
    new_notes = [n for n in gap.notes if n.id not in listed]
    known = {phrasing_key(q) for q in article.questions}
    room = max(MAX_QUESTIONS - len(article.questions), 0)
    phrasings = [plain(q, 300) for q in gap.phrasings if phrasing_key(q) not in known and publishable(q)][:room]
    old_notes = [notes_by_id[i] for i in article.source_notes if i in notes_by_id]
    gap_id = article.gap_id or gap.id
    body_updated = False

    def edit(text: str) -> str:
        nonlocal body_updated
        updated = add_to_list(text, "questions", phrasings, where=article.rel)
        updated = add_to_list(updated, "source_notes", [n.id for n in new_notes], where=article.rel)
        if not article.gap_id:
            updated = set_front_matter(updated, {"gap_id": gap.id}, where=article.rel)
        split = split_front_matter(updated)
        if split is not None and new_notes:
            _, body, _ = split
            # still exactly what kbgen wrote (whichever answer it put first)? then it may grow
            leads = ["", *dict.fromkeys(n.answer for n in old_notes if n.answer)]
            written = body.strip()
            lead = next((a for a in leads for newest in (True, False) if written == render_body(gap_id, old_notes, a, newest).strip()), None)
            if lead is not None:
                updated = updated[: len(updated) - len(body)] + render_body(gap_id, old_notes + new_notes, lead).rstrip() + "\n"
                body_updated = True
        return updated

    if dry_run:
        text, _ = read_text(article.path, article.rel)
        if text is not None:
            edit(text.replace("\r\n", "\n"))
    else:
        edit_file(article.path, article.rel, edit)
    return DraftResult(
        article.rel, article.slug, article.title, gap_id, [n.id for n in new_notes], False, body_updated,
        [n.id for n in gap.notes],  # open notes already listed in the draft get marked too
    )


def _title_answer(gap: Gap) -> str:
    """The answer given to the question the title comes from, else the first answer."""
    return next((n.answer for n in gap.notes if n.question == gap.title and n.answer), gap.answers[0] if gap.answers else "")


def _common_tags(notes: list[Note], limit: int = 5) -> list[str]:
    from collections import Counter

    counts = Counter(t for n in notes for t in dict.fromkeys(n.tags) if re.fullmatch(r"[A-Za-z0-9][\w-]*", t))
    return [t for t, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]]


# --- promote ----------------------------------------------------------------------------------


@dataclass
class Promotion:
    path: str
    slug: str
    title: str
    note_ids: list[str]
    changes: dict[str, Any]


def find_draft(kb: KnowledgeBase, ref: str, cwd: Path | None = None) -> Article:
    """A draft by path (from the current folder, from the project root or from kb/; or absolute) or slug."""
    wanted = ref.strip().removeprefix("./")
    on_disk = ((cwd or Path.cwd()) / wanted).resolve()
    found = []
    for article in kb.articles:
        rel_to_kb = article.path.relative_to(kb.project.kb_dir).as_posix() if article.path.is_relative_to(kb.project.kb_dir) else ""
        if wanted in (article.rel, rel_to_kb, article.slug, article.src_uri, article.src_uri.removesuffix(".md")) or (
            article.path.resolve() == on_disk
        ):
            found.append(article)
    if len(found) > 1:
        raise KbgenError(f"'{ref}' matches {', '.join(a.rel for a in found)}; give the draft's path")
    if not found:
        unreadable = [str(d) for d in kb.errors if d.path and (kb.project.root / d.path).resolve() == on_disk]
        if unreadable:  # the file is there, but kbgen cannot read it as an article
            raise KbgenError("cannot promote a draft kbgen cannot read:\n" + "\n".join(unreadable))
        raise KbgenError(f"no draft '{ref}' in kb/ (give its path, like kb/billing/my-draft.md, or its slug)")
    if found[0].status != "draft":
        raise KbgenError(f"{found[0].rel} is {found[0].status}, not a draft; only drafts can be promoted")
    return found[0]


def promote(kb: KnowledgeBase, article: Article, reviewer: str = "", today: date | None = None, dry_run: bool = False) -> Promotion:
    """Publish ARTICLE and mark its source notes resolved by it.

    `kbgen check` runs on the published article before anything else changes: if it reports an
    error in the article (a broken link, a link to a hidden article), the file is put back as it
    was and nothing is marked.
    """
    from .check import check

    today = today or date.today()
    if article.kbgen_drafting:
        raise KbgenError(
            f"{article.rel}: the body still holds kbgen's drafting note; rewrite the body for customers "
            "(and remove the <!-- Drafted by kbgen … --> comment) before promoting"
        )
    changes: dict[str, Any] = {"status": "published", "updated": today}
    if not article.review_by or article.review_by <= today:
        changes["review_by"] = today + timedelta(days=182)
    if reviewer:
        changes["reviewer"] = reviewer

    def refuse(errors: list[Any]) -> None:
        raise KbgenError(
            f"{article.rel} would be published with errors (line numbers as published); fix them first:\n"
            + "\n".join(f"  {d}" for d in errors)
        )

    log = open_store(kb.project)
    if not dry_run:
        log.ensure_writable()
    original = article.path.read_bytes()
    edit_file(article.path, article.rel, lambda text: set_front_matter(text, changes, where=article.rel))
    errors = [d for d in check(kb.project, today=today).errors if d.path == article.rel]
    if errors or dry_run:  # a dry run checks the published text too, then puts the draft back
        atomic_write_bytes(article.path, original)
    if errors:
        refuse(errors)
    if dry_run:
        return Promotion(article.rel, article.slug, article.title, list(article.source_notes), changes)
    events = [(note_id, "resolved", {"article": article.slug, "by": "promote"}) for note_id in article.source_notes]
    try:
        log.add_events(events)
    except (OSError, KbgenError) as exc:  # the draft goes back as it was, so promoting again later is whole
        atomic_write_bytes(article.path, original)
        reason = exc.strerror if isinstance(exc, OSError) else exc.message
        raise KbgenError(f"{article.rel}: the notes could not be marked resolved ({reason}); the draft was left as it was") from None
    return Promotion(article.rel, article.slug, article.title, list(article.source_notes), changes)
