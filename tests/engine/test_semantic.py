"""The semantic engine's own decisions (what its contract does not say)."""

from __future__ import annotations

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
