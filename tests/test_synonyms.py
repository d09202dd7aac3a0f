"""Synonyms for the site's search (`kbgen.synonyms`): whole words only, the team's groups added."""

from __future__ import annotations

from kbgen.synonyms import BUILT_IN, expansions, groups


def test_an_article_gets_the_other_words_of_each_group_it_uses() -> None:
    found = groups()
    assert expansions("How do I cancel my subscription?", found).split(" ") == [
        "unsubscribe", "terminate", "membership", "renewal", "renew"]
    assert "login" in expansions("You cannot sign in after a reset", found)


def test_only_whole_words_and_phrases_count() -> None:
    found = groups()
    assert expansions("Designing a signature", found) == ""  # 'sign' inside 'signature', 'sign in' nowhere
    assert expansions("The pricelist", found) == ""


def test_a_word_already_used_is_not_added_again() -> None:
    assert "refund" not in expansions("Refund or money back", groups()).split()


def test_the_team_s_groups_are_added_and_cleaned() -> None:
    found = groups(["Seat,  License , seat", "lonely"])
    assert found[-1] == ("seat", "license")  # repeats dropped; a group of one is no group
    assert len(found) == len(BUILT_IN) + 1
    assert expansions("How many seats? One seat a person.", found) == "license"
