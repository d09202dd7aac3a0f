"""kbgen.drafts: titles, slugs and escaping for drafts made from notes."""

from __future__ import annotations

import pytest

from kbgen.drafts import first_sentences, plain, slug_for, title_for


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("can i pay my invoice in euros", "Can I pay my invoice in euros?"),
        ("Forgot my pw help?", "Forgot my password?"),
        ("Hi there, please help!! cant log into my acct, thanks", "Can't log into my account?"),
        ("Hello, how do I export everything? Thank you so much", "How do I export everything?"),
        ("I need to change the billing email on our account because our finance team moved to a new shared "
         "mailbox, and also the invoices should go to two people", "I need to change the billing email on our account "
         "because our finance team moved to a new shared mailbox?"),
        ("word " * 40, ("Word " + "word " * 23).strip() + "?"),
        ("Dark mode???", "Dark mode?"),
        ("see <b>this</b> [link](http://x.example)", "See b>this/b> link(http\u200b://x.example)?"),
        ("Settings > Developer > API keys, where?", "Settings > Developer > API keys, where?"),
        # a long note of several sentences is titled by the sentence that asks
        ("Hi, I'm the office manager. The previous IT guy was the owner of our COS account and he's gone. "
         "I'm an admin. Can I make myself the owner?", "Can I make myself the owner?"),
    ],
)
def test_titles_read_like_questions(question: str, title: str) -> None:
    assert title_for(question) == title


def test_slugs_are_short_meaningful_and_unique() -> None:
    assert slug_for("Can I pay my invoice in euros?", set()) == "pay-invoice-euros"
    # all three meaningful words are used: only a number tells it apart
    assert slug_for("Can I pay my invoice in euros?", {"pay-invoice-euros"}) == "pay-invoice-euros-2"
    # a title with more words: its next words, not a number
    title = "Why was I charged twice for my annual plan after the upgrade to teams in March?"
    first = slug_for(title, set())
    assert first == "charged-twice-annual-plan-after-upgrade"
    assert slug_for(title, {first}) == "charged-twice-annual-plan-after-upgrade-teams"
    # never a word cut short, however long the words
    words = ("Synchronisation misconfiguration troubleshooting internationalisation documentation "
             "authentication recommendations")
    long = slug_for(words, set())
    assert len(long) <= 60 and set(long.split("-")) <= set(words.lower().split())
    assert long == "synchronisation-misconfiguration-troubleshooting"
    assert slug_for("What is the search?", set()) == "search-article"  # reserved slugs are avoided
    assert slug_for("???", set()) == "draft"


@pytest.mark.parametrize(("title", "slug"), [
    ("Why are my iphone photos .heic and not .jpg in cos, can't open them at work?", "iphone-photos-heic-jpg-cos-open"),
    ("How do I transfer ownership of our team to my colleague? I'm leaving in December?",
     "transfer-ownership-team-colleague-leaving-december"),
    ("Do you have student discount?", "student-discount"),
    ("Does data ever leave the EU if we pick EU residency?", "data-leave-eu-pick-residency"),
])
def test_slugs_hold_no_fragments_of_contractions_fillers_or_repeats(title: str, slug: str) -> None:
    assert slug_for(title, set()) == slug


def test_plain_front_matter_text() -> None:
    assert plain("<b>hi</b> [x](y)") == "b>hi/b> x(y)"  # no tag survives
    assert plain("Settings > Billing") == "Settings > Billing"
    assert plain("word " * 100, 30).endswith("…") and len(plain("word " * 100, 30)) <= 31
    assert first_sentences("One. Two is longer. " + "Three " * 80, 40) == "One. Two is longer."


def test_a_gap_goes_to_an_existing_draft_only_when_most_of_its_notes_are_in_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil
    from datetime import datetime, timezone
    from pathlib import Path

    from kbgen.drafts import write_drafts
    from kbgen.engine import open_engine
    from kbgen.gaps import Coverage, Gap
    from kbgen.kb import KnowledgeBase
    from kbgen.notes import Note
    from kbgen.project import Project

    root = tmp_path / "p"
    shutil.copytree(Path(__file__).parent / "report_cases" / "basic", root, ignore=shutil.ignore_patterns("expected.*"))
    draft = root / "kb" / "billing" / "euros.md"
    draft.write_text("---\ntitle: Invoices in euros?\nstatus: draft\nsource_notes:\n  - D1\n---\nSoon.\n", encoding="utf-8")
    kb = KnowledgeBase.load(Project.load(root))
    engine = open_engine(kb.project)
    drafted = Note(id="D1", time="2026-10-01T00:00:00Z", question="invoices in euros", state="drafted",
                   events=[{"event": "drafted", "draft": "kb/billing/euros.md", "time": "2026-10-02T00:00:00Z"}])
    open_notes = [Note(id=f"O{i}", time=f"2026-10-1{i}T00:00:00Z", question=q, answer="Not yet.")
                  for i, q in enumerate(["dark mode in the app", "app dark theme", "dark mode please"])]

    def run(members_open: list[Note]) -> list:  # type: ignore[type-arg]
        gap = Gap("gap-x", members_open, members_open[0].question, "billing", 1.0, drafted=[drafted])
        coverage = Coverage(datetime(2026, 10, 30, tzinfo=timezone.utc), [drafted, *members_open], [gap], [])
        return write_drafts(KnowledgeBase.load(Project.load(root)), coverage, engine, {}, min_size=1, dry_run=True)

    (minority,) = run(open_notes)  # one drafted note among four: a new draft, the old one untouched
    assert minority.created and minority.path != "kb/billing/euros.md"
    (majority,) = run(open_notes[:1])  # one drafted and one open: the existing draft
    assert not majority.created and majority.path == "kb/billing/euros.md"
    assert kb  # loaded fine

    # a new draft needs --min-size open notes: two open beside one drafted (in a minority, so
    # not the existing draft's) make none at --min-size 3, one at --min-size 2
    gap = Gap("gap-y", open_notes[:2] + [open_notes[2]], "dark mode in the app", "billing", 1.0, drafted=[drafted])
    gap.notes = open_notes[:2]
    coverage = Coverage(datetime(2026, 10, 30, tzinfo=timezone.utc), [drafted, *open_notes[:2]], [gap], [])
    kb = KnowledgeBase.load(Project.load(root))
    assert write_drafts(kb, coverage, engine, {}, min_size=3, dry_run=True) == []
    (made,) = write_drafts(kb, coverage, engine, {}, min_size=2, dry_run=True)
    assert made.created


def test_a_body_in_the_layout_of_older_kbgen_is_still_recognised_as_untouched() -> None:
    from kbgen.drafts import MAX_ANSWERS, render_body
    from kbgen.notes import Note

    notes = [Note(id=f"A{i}", time=f"2026-10-{i + 1:02d}T00:00:00Z", question="q", answer=f"answer number {i}") for i in range(MAX_ANSWERS + 3)]
    new, old = render_body("gap-1", notes), render_body("gap-1", notes, newest=False)
    assert new != old
    assert f"answer number {MAX_ANSWERS + 2}" in new and "earlier answers are in the source notes" in new
    assert f"answer number {MAX_ANSWERS + 2}" not in old and f"answer number {MAX_ANSWERS}" in old


def test_the_pull_request_description_says_how_many_notes_an_updated_draft_gained() -> None:
    from kbgen.drafts import DraftResult, Evidence, to_markdown

    evidence = Evidence(7, ["ana", "ben"], [], "2026-10-01T09:00:00Z", "2026-10-20T09:00:00Z", ["<b>euros?</b>"], 1)
    updated = DraftResult("kb/billing/euros.md", "euros", "Euros?", "gap-1", ["N9", "N10"], False, True, evidence=evidence)
    text = to_markdown([updated])
    assert text.startswith("kbgen updated 1 draft from the gap log")
    both = to_markdown([updated, DraftResult("kb/a/b.md", "b", "B?", "gap-2", ["N1"], True, True, evidence=evidence)])
    assert both.startswith("kbgen wrote 1 new draft article and updated 1 draft from the gap log")
    assert "### Updated draft: Euros?" in text
    assert "- **7 notes** (2 new in this draft), 2026-10-01 to 2026-10-20" in text
    assert "- **Agents** (2): ana, ben" in text and "Channels" not in text
    assert "  - &lt;b&gt;euros?&lt;/b&gt;" in text
