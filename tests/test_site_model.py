"""SiteModel.updated: which pages a change to the knowledge base shows on (what `kbgen serve` renders again)."""

from __future__ import annotations

from kbgen.kb import KnowledgeBase
from kbgen.project import Project
from kbgen.site import SiteModel
from tests.conftest import KbBuilder


def _load(kb: KbBuilder) -> KnowledgeBase:
    return KnowledgeBase.load(Project.load(kb.root))


def _topics(kb: KbBuilder) -> None:
    for number in range(1, 13):
        kb.article(f"basics/topic-{number:02d}.md", f"Topic {number:02d} about waving", summary=f"Summary {number}.",
                   questions=["semaphore signals" if number > 10 else f"question {number}"], tags=["waving"])
    kb.article("other/thanks.md", "How do I thank someone?", summary="Smile.", tags=["manners"])


def test_a_body_edit_shows_on_its_own_page_only(kb: KbBuilder) -> None:
    _topics(kb)
    site = SiteModel.build(_load(kb))
    kb.article("basics/topic-12.md", "Topic 12 about waving", body="New body.", summary="Summary 12.",
               questions=["semaphore signals"], tags=["waving"])
    updated, changes = site.updated(_load(kb))
    assert changes.articles == ["basics/topic-12.md"]
    assert not (changes.added or changes.removed or changes.categories or changes.listings or changes.navigation)
    assert next(a for a in updated.articles if a.slug == "topic-12").body.strip() == "New body."


def test_a_new_title_shows_where_the_article_is_listed(kb: KbBuilder) -> None:
    _topics(kb)
    site = SiteModel.build(_load(kb))
    kb.article("basics/topic-12.md", "Topic 12 about waving politely", summary="Summary 12.",
               questions=["semaphore signals"], tags=["waving"])
    updated, changes = site.updated(_load(kb))
    assert changes.articles[0] == "basics/topic-12.md"
    listing = {a.src_uri for a in updated.articles if any(o.slug == "topic-12" for o in updated.related[a.slug])}
    assert listing and listing <= set(changes.articles)
    assert changes.categories == {"basics"} and changes.listings and not changes.navigation
    assert len(changes.articles) < 12  # it stays last in its category: the others' "beside" lists hold
    for others in updated.related.values():  # every list names the article as it is now
        assert all(o.title == "Topic 12 about waving politely" for o in others if o.slug == "topic-12")
    fresh = SiteModel.build(_load(kb))
    assert [o.slug for o in updated.related["topic-12"]] == [o.slug for o in fresh.related["topic-12"]]


def test_a_title_that_moves_among_the_first_nine_shows_beside_every_article_of_its_category(kb: KbBuilder) -> None:
    _topics(kb)
    site = SiteModel.build(_load(kb))
    kb.article("basics/topic-12.md", "Aardvarks wave too", summary="Summary 12.", tags=["waving"])
    _, changes = site.updated(_load(kb))
    assert {f"basics/topic-{n:02d}.md" for n in range(1, 13)} <= set(changes.articles)
    assert "other/thanks.md" not in changes.articles


def test_added_and_deleted_articles(kb: KbBuilder) -> None:
    _topics(kb)
    site = SiteModel.build(_load(kb))
    kb.article("basics/wave.md", "How do I wave?", summary="Raise a hand.", tags=["waving"])
    (kb.root / "kb" / "basics" / "topic-03.md").unlink()
    updated, changes = site.updated(_load(kb))
    assert changes.added == ["basics/wave.md"] and changes.removed == ["basics/topic-03.md"]
    assert changes.articles[0] == "basics/wave.md" and changes.listings and changes.categories == {"basics"}
    assert all(o.slug != "topic-03" for others in updated.related.values() for o in others)
    assert "topic-03" not in updated.related and updated.related["wave"]


def test_a_new_category_changes_the_navigation(kb: KbBuilder) -> None:
    _topics(kb)
    site = SiteModel.build(_load(kb))
    kb.article("billing/refunds.md", "How do I get a refund?", summary="Ask.")
    _, changes = site.updated(_load(kb))
    assert changes.navigation and changes.added == ["billing/refunds.md"]
