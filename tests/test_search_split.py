"""The site's search index split by term (kbgen/search_split.py): what the browser fetches.

That the worker's scores from these pieces equal the theme's own lunr index is checked in the
browser (tests/mkdocs_plugin/test_search_split_browser.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from kbgen.search_split import analyzer, can_split, remove, split, stem

CONFIG = {
    "lang": ["en"],
    "separator": r"[\s\-,:;!?=\[\]()\"/]+|\.(?!\d)|&[lg]t;",
    "pipeline": ["stemmer", "stopWordFilter", "trimmer"],
    "fields": {"title": {"boost": 1000}, "text": {"boost": 1}, "tags": {"boost": 1}, "questions": {"boost": 500}},
}

# what lunr.js 2.3.9 (the theme's) returns for these words
LUNR_STEMS = [["refunds", "refund"], ["syncing", "sync"], ["subscription", "subscript"],
              ["generalization", "gener"], ["yelling", "yell"], ["happy", "happi"], ["crashing", "crash"],
              ["invoices", "invoic"], ["relational", "relat"], ["hopping", "hop"], ["agreed", "agre"],
              ["controlling", "control"], ["files", "file"], ["filing", "file"], ["sized", "size"],
              ["caresses", "caress"], ["ponies", "poni"], ["by", "by"], ["sky", "ski"], ["troubled", "troubl"]]


@pytest.mark.parametrize(("word", "expected"), LUNR_STEMS)
def test_words_are_stemmed_as_the_themes_lunr_stems_them(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_field_text_is_cut_as_the_themes_tokenizer_cuts_it() -> None:
    terms = analyzer(CONFIG)
    assert terms("<p>I was <strong>charged</strong> twice?? Refunds: 3.5 days.</p>") == [
        "charg", "twice", "refund", "3.5", "day"]
    assert terms(["Billing &amp; plans"]) == ["bill", "amp", "plan"]  # entities stay as the theme reads them
    assert terms("the and of") == []  # stop words


def test_only_indexes_tokenized_as_the_theme_does_are_split() -> None:
    assert can_split(CONFIG)
    assert not can_split({**CONFIG, "lang": ["de"]})
    assert not can_split({**CONFIG, "separator": "[unclosed"})


def _index() -> dict:
    docs = [
        {"location": "billing/refunds/", "title": "Refunds", "text": "<p>Money back in 5 days.</p><p>More.</p>",
         "tags": ["Billing"], "questions": "refund please"},
        {"location": "billing/refunds/#card", "title": "Card refunds", "text": "<p>Cards take longer.</p>"},
        {"location": "account/password/", "title": "Reset your password", "text": "<p>Use the link.</p>",
         "questions": "forgot password"},
        {"location": "billing/", "title": "Billing", "text": "Plans and refunds."},
    ]
    return {"config": CONFIG, "docs": docs}


def _pieces(folder: Path, kind: str) -> dict[str, object]:
    found: dict[str, object] = {}
    for path in sorted((folder / kind).glob("*.json")):
        found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return found


def test_every_term_is_in_the_piece_whose_range_holds_it(tmp_path: Path) -> None:
    manifest = split(_index(), tmp_path, shard_bytes=40)
    bounds = manifest["bounds"]
    assert bounds == sorted(bounds) and len(bounds) > 1
    for number, content in _pieces(tmp_path, "terms").items():
        for term in content:  # type: ignore[union-attr]
            holder = max(i for i, first in enumerate(bounds) if first <= term)
            assert holder == int(number), term
    assert manifest["documents"] == 4
    assert manifest["sections"] == "100"  # refunds has one section; password and billing none


def test_postings_give_lunrs_document_counts_and_occurrences_per_field(tmp_path: Path) -> None:
    split(_index(), tmp_path)
    terms = {t: e for piece in _pieces(tmp_path, "terms").values() for t, e in piece.items()}  # type: ignore[union-attr]
    counted, distinct, title, text, tags, questions = terms["refund"]
    # in the title and phrasings of doc 0, the title of doc 1 (its section), the text of doc 3
    assert (counted, distinct) == (4, 3)
    assert title == [0, 1, 1, 1] and text == [3, 1] and questions == [0, 1] and tags == []
    assert terms["password"][2] == [2, 1] and terms["password"][5] == [2, 1]


def test_a_common_term_keeps_the_documents_where_it_occurs_most(tmp_path: Path) -> None:
    docs = [{"location": f"p{n}/", "title": f"Page {n}", "text": " ".join(["sync"] * (n % 4 + 1))} for n in range(9)]
    split({"config": CONFIG, "docs": docs}, tmp_path, cap=3)
    terms = {t: e for piece in _pieces(tmp_path, "terms").values() for t, e in piece.items()}  # type: ignore[union-attr]
    counted, distinct, _, text, *_ = terms["sync"]
    assert (counted, distinct) == (9, 9)  # the true counts still weigh the word
    kept = [sum(text[0:i + 1:2]) for i in range(0, len(text), 2)]  # the gaps added up
    assert kept == [2, 3, 7] and text[1::2] == [3, 4, 4]  # four times in pages 3 and 7, then page 2


def test_display_data_holds_what_a_result_shows(tmp_path: Path) -> None:
    manifest = split(_index(), tmp_path, pages_per_chunk=2)
    docs = _pieces(tmp_path, "docs")
    assert sorted(docs) == ["0", "1"] and manifest["chunk"] == 2
    page = docs["0"][0]  # type: ignore[index]
    assert page[:4] == ["billing/refunds/", "Refunds", "<p>Money back in 5 days.</p>", ["Billing"]]
    assert page[4] == [["#card", "Card refunds", "Cards take longer."]]
    assert docs["1"][0][0] == "billing/"  # type: ignore[index]


def test_words_by_first_and_second_letter_carry_their_document_counts(tmp_path: Path) -> None:
    split(_index(), tmp_path)
    words = _pieces(tmp_path, "words")
    assert words[f"1-{ord('r'):x}"]["refund"] == 3  # type: ignore[index]
    assert words[f"2-{ord('e'):x}"]["refund"] == 3  # type: ignore[index]
    assert "password" in words[f"1-{ord('p'):x}"] and "password" in words[f"2-{ord('a'):x}"]  # type: ignore[operator]


def test_a_changed_index_gets_a_new_version_and_old_pieces_go(tmp_path: Path) -> None:
    first = split(_index(), tmp_path, shard_bytes=40)
    index = _index()
    index["docs"][2]["title"] = "Change your password"
    second = split(index, tmp_path)
    assert first["version"] != second["version"]
    assert len(list((tmp_path / "terms").glob("*.json"))) == len(second["bounds"])
    remove(tmp_path)
    assert not any((tmp_path / name).exists() for name in ("terms", "words", "docs"))


def test_weights_follow_lunrs_bm25_without_length_normalisation(tmp_path: Path) -> None:
    """The worker computes idf * 2.2 tf / (1.2 + tf) * boost from these counts: a term in fewer
    documents weighs more, as in the theme's index."""
    manifest = split(_index(), tmp_path)
    terms = {t: e for piece in _pieces(tmp_path, "terms").values() for t, e in piece.items()}  # type: ignore[union-attr]

    def idf(counted: int) -> float:
        return math.log(1 + abs((manifest["documents"] - counted + 0.5) / (counted + 0.5)))

    assert idf(terms["password"][0]) > idf(terms["refund"][0])
