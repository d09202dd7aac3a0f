"""The semantic engine's own decisions (what its contract does not say)."""

from __future__ import annotations

import numpy as np
import pytest

from kbgen.engine import semantic
from kbgen.engine.semantic import SemanticEngine
from kbgen.project import Project

# customers' questions (the demo's log) about a student discount, which no demo article mentions
STUDENT = ["do you have student discount", "graduated in june, will my student discount stop?",
           "Do you have discount for students in India? price is too high in rupees",
           "already paying for plus, can i switch to the student price?", "Is the student discount for monthly too?"]
PASSWORD = ["how do i reset my password", "forgot my password, what now", "password reset email never arrived"]


def test_questions_that_lean_on_one_article_together_pool_their_evidence(demo: Project) -> None:
    engine = SemanticEngine.open(demo, lambda message: None)
    try:
        questions = STUDENT + PASSWORD
        answers = engine.ask_many(questions, limit=1)
        decided = engine.covered(answers, engine.vectors(questions))
        # one by one, the pricing article looks close enough to some of them
        assert any(a.covered and a.best is not None and a.best.slug == "plans-and-pricing" for a in answers[: len(STUDENT)])
        # together they are a topic of their own that the article does not answer: a gap
        assert decided[: len(STUDENT)] == [False] * len(STUDENT)
        assert decided[len(STUDENT) :] == [True] * len(PASSWORD)
        assert {a.best.slug for a in answers[len(STUDENT) :] if a.best} == {"reset-password"}
    finally:
        engine.close()


def test_pooled_scores_count_each_neighbour_once_and_anchors_stand_for_the_rest(
        demo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = SemanticEngine.open(demo, lambda message: None)
    try:
        questions = STUDENT + PASSWORD + ["how do I cancel my plan", "cancel subscription please", "stop my renewal"]
        vectors = engine.vectors(questions)
        projected = engine._projected(vectors)
        evidence = np.linspace(0.1, 0.5, len(questions)).astype(np.float32)
        rows = np.arange(len(questions))
        s = engine.settings
        # by hand: each question's neighbours (itself included) among all of them
        near = projected @ projected.T >= s["neighbours"]
        expected = []
        for i in rows:
            group = np.flatnonzero(near[i] | (rows == i))
            total = vectors[group].sum(axis=0)
            closeness = float(total @ engine.articles.centroids[0]) / float(np.linalg.norm(total))
            expected.append(engine._pooled(float(evidence[i]), float(evidence[group].mean()), len(group), closeness))
        assert engine._pooled_many(rows, projected, vectors, evidence, 0) == pytest.approx(expected, abs=1e-5)
        # more questions than anchors: a sample stands for the rest, still one score each, the same every time
        monkeypatch.setattr(semantic, "ANCHORS", 4)
        sampled = engine._pooled_many(rows, projected, vectors, evidence, 0)
        assert sampled.shape == (len(questions),) and np.isfinite(sampled).all()
        assert (engine._pooled_many(rows, projected, vectors, evidence, 0) == sampled).all()
    finally:
        engine.close()
