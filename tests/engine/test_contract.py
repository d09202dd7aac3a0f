"""What every engine promises its callers: one suite, run on each implementation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kbgen.engine import ENGINES, Engine, open_engine
from kbgen.project import Project
from tests.conftest import ROOT

QUESTIONS = [
    "how do I reset my password",
    "I was charged twice this month",
    "how do agents escalate a P1 ticket to on-call engineering",
    "do you sell branded hoodies",
    "how do I",
    "",
    "?!",
]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp(request.param) / "demo"
    shutil.copytree(ROOT / "kb", root / "kb")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    opened = open_engine(Project.load(root), kind=request.param)
    yield opened
    opened.close()


def test_answers_are_ranked_limited_and_decided(engine: Engine) -> None:
    answer = engine.ask("how do I reset my password", limit=3)
    assert answer.answered and answer.topical and len(answer.hits) == 3
    assert answer.hits[0].slug == "reset-password" and answer.hits[0].snippet
    scores = [hit.score for hit in answer.hits]
    assert scores == sorted(scores, reverse=True)
    assert answer.hits[0].url.endswith("/account-and-sign-in/reset-password/")
    assert answer.hits[0].path == "kb/account-and-sign-in/reset-password.md"


def test_many_at_once_equals_one_at_a_time(engine: Engine) -> None:
    together = engine.ask_many(QUESTIONS, limit=3, snippets=True)
    for question, many in zip(QUESTIONS, together):
        one = engine.ask(question, limit=3)
        assert (many.answered, many.topical, many.near) == (one.answered, one.topical, one.near), question
        assert [h.slug for h in many.hits] == [h.slug for h in one.hits], question
        assert [h.score for h in many.hits] == pytest.approx([h.score for h in one.hits], abs=1e-4)
        assert [h.snippet for h in many.hits] == [h.snippet for h in one.hits]


def test_an_internal_article_has_a_path_and_no_public_address(engine: Engine) -> None:
    best = engine.ask("how do agents escalate a P1 ticket to on-call engineering").hits[0]
    assert best.audience == "internal" and best.url == "" and best.path.endswith("/escalation-playbook.md")


@pytest.mark.parametrize("question", ["how do I", "I have a question", "COS", "", "?!"])
def test_a_question_that_names_no_topic_gets_no_results(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert not answer.answered and not answer.topical and answer.hits == []


def test_an_unanswered_question_is_not_answered(engine: Engine) -> None:
    assert not engine.ask("do you sell branded hoodies").answered


def test_vectors_are_unit_rows_and_groups_are_deterministic(engine: Engine) -> None:
    texts = ["is there a dark mode", "dark mode for the app", "please add a dark theme",
             "can I pay my invoice in euros", "invoices in euros please", "do you bill in euros"] * 2
    vectors = engine.vectors(texts)
    assert vectors.shape[0] == len(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    labels = engine.group(vectors)
    assert labels == engine.group(engine.vectors(list(texts)))
    assert len({labels[0], labels[1], labels[2]}) == 1 and len({labels[3], labels[4], labels[5]}) == 1
    assert labels[0] != labels[3]


def test_findability_is_decided_for_all_questions_at_once(engine: Engine) -> None:
    questions = ["how do I reset my password", "forgot my password, how do I get a new one",
                 "reset password link not working", "do you sell branded hoodies", "how do I"]
    answers = engine.ask_many(questions, limit=1)
    vectors = engine.vectors(questions)
    decided = engine.covered(answers, vectors)
    assert decided[:3] == [True, True, True] and decided[3:] == [False, False]
    assert engine.covered(answers, vectors) == decided  # deterministic
    assert engine.covered([], vectors[:0]) == []
    # a question alone is a group of one: what asking it said
    assert [engine.covered([a], vectors[i : i + 1])[0] for i, a in enumerate(answers)] == [a.covered for a in answers]


def test_same_topic_finds_the_draft_a_gap_belongs_to(engine: Engine) -> None:
    drafts = [["Is there a dark mode?", "dark theme at night"], ["Can I pay in euros?", "invoice currency euros"]]
    assert engine.same_topic(drafts, ["dark mode for the app please", "is there a dark mode"]) == 0
    assert engine.same_topic(drafts, ["how do I delete my account"]) is None
    assert engine.same_topic([], ["anything"]) is None


def test_the_signature_changes_with_an_article(engine: Engine) -> None:
    before = engine.signature
    project = engine.project  # type: ignore[attr-defined]
    path = Path(project.kb_dir) / "billing" / "plans-and-pricing.md"
    path.write_text(path.read_text() + "\nOne more line.\n")
    again = open_engine(project, kind=engine.name)
    assert again.signature != before
    again.close()
