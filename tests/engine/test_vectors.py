"""The encoder's vectors in the cache: encoded once, updated by article, rebuilt when damaged."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from kbgen.engine.encoder import Encoder
from kbgen.engine.vectors import CENTRES, FOLDER, MATRIX, ArticleVectors, TextVectors
from kbgen.project import Project


class CountingEncoder(Encoder):
    """The real encoder, counting the texts it is given."""

    def __init__(self, cache_dir: Path):
        super().__init__(cache_dir)
        self.encoded: list[str] = []

    def encode(self, texts, progress=None):  # type: ignore[no-untyped-def]
        self.encoded += list(texts)
        return super().encode(texts, progress)


def test_articles_are_encoded_once_and_then_only_what_changed(demo: Project) -> None:
    warnings: list[str] = []
    encoder = CountingEncoder(demo.cache_dir)
    first = ArticleVectors.open(demo, encoder, warnings.append)
    assert len(first.rels) >= 35 and len(encoder.encoded) == len(first.matrix)
    assert "How do I reset my password?" in encoder.encoded
    assert "account-and-sign-in/reset-password.md" in first.rels and not any("ideas-backlog" in rel for rel in first.rels)

    encoder.encoded.clear()
    again = ArticleVectors.open(demo, encoder, warnings.append)
    assert encoder.encoded == [] and np.array_equal(again.matrix, first.matrix)

    path = demo.kb_dir / "billing" / "charged-twice-refunds.md"
    path.write_text(path.read_text().replace("questions:\n", "questions:\n  - billed me two times\n", 1))
    updated = ArticleVectors.open(demo, encoder, warnings.append)
    assert "billed me two times" in encoder.encoded and len(encoder.encoded) <= 20
    index = updated.by_rel["billing/charged-twice-refunds.md"]
    rows = updated.matrix[updated.bounds[index] : updated.bounds[index + 1]]
    assert len(rows) == len(encoder.encoded)
    assert warnings == []


def test_an_edit_that_leaves_title_and_phrasings_keeps_the_rows_unencoded_and_unwritten(demo: Project) -> None:
    from kbgen.engine.head import Head

    warnings: list[str] = []
    encoder = CountingEncoder(demo.cache_dir)
    first = ArticleVectors.open(demo, encoder, warnings.append)
    first_head = Head.open(demo, first, warnings.append)
    matrix_file = demo.cache_dir / FOLDER / MATRIX
    written = matrix_file.stat().st_mtime_ns

    path = demo.kb_dir / "billing" / "charged-twice-refunds.md"
    path.write_text(path.read_text().replace("summary: ", "summary: Edited. ", 1).rstrip() + "\n\nA new closing line.\n")
    encoder.encoded.clear()
    edited = ArticleVectors.open(demo, encoder, warnings.append)
    assert encoder.encoded == [] and matrix_file.stat().st_mtime_ns == written
    assert edited.signature == first.signature and np.array_equal(edited.matrix, first.matrix)
    assert np.array_equal(Head.open(demo, edited, warnings.append).weights, first_head.weights)
    again = ArticleVectors.open(demo, encoder, warnings.append)  # the new stamps were kept: nothing to do
    assert encoder.encoded == [] and again.signature == first.signature

    path.write_text(path.read_text().replace("title: ", "title: Edited ", 1))
    retitled = ArticleVectors.open(demo, encoder, warnings.append)
    index = retitled.by_rel["billing/charged-twice-refunds.md"]
    assert len(encoder.encoded) == int(retitled.bounds[index + 1] - retitled.bounds[index])
    assert encoder.encoded[0].startswith("Edited ") and retitled.signature != first.signature
    assert warnings == []


def test_a_damaged_matrix_is_encoded_again_with_a_warning(demo: Project) -> None:
    encoder = CountingEncoder(demo.cache_dir)
    first = ArticleVectors.open(demo, encoder, lambda m: None)
    path = demo.cache_dir / FOLDER / MATRIX
    with path.open("r+b") as handle:  # random bytes written over part of it
        handle.seek(200)
        handle.write(os.urandom(64))
    warnings: list[str] = []
    encoder.encoded.clear()
    again = ArticleVectors.open(demo, encoder, warnings.append)
    assert warnings and "damaged" in warnings[0]
    assert len(encoder.encoded) == len(first.matrix) and np.allclose(again.matrix, first.matrix, atol=2e-3)


def test_best_and_centre_cosines(demo: Project) -> None:
    encoder = Encoder(demo.cache_dir)
    vectors = ArticleVectors.open(demo, encoder, lambda m: None)
    query = encoder.encode(["I forgot my password"])
    best, centre = vectors.max_and_centroid(query)
    assert best.shape == centre.shape == (1, len(vectors.rels))
    assert vectors.rels[int(best.argmax())].split('/')[1].removesuffix('.md') == "reset-password"
    assert vectors.rels[int(centre.argmax())].split('/')[1].removesuffix('.md') == "reset-password"
    assert vectors.self_parts.shape == (len(vectors.rels), 2)
    assert (vectors.self_parts[:, 1] > 0.3).mean() > 0.8 and np.isfinite(vectors.selves(5.0)).all()


def test_question_vectors_are_kept_and_a_torn_record_is_cut_off(demo: Project) -> None:
    encoder = Encoder(demo.cache_dir)
    store = TextVectors(demo, encoder)
    texts = ["can I get a W-9", "dark mode please"]
    vectors = encoder.encode(texts)
    store.add(texts, vectors)
    with store.path.open("ab") as handle:
        handle.write(b"torn record")  # a writer killed mid-record
    store.add(["a third question"], encoder.encode(["a third question"]))
    fresh = TextVectors(demo, encoder)
    known, missing = fresh.lookup([*texts, "a third question", "never seen"])
    assert missing == [3]
    assert np.allclose(known[:2], vectors, atol=2e-3)
    assert store.path.stat().st_size % store.record == 0


@pytest.mark.parametrize("how", ["truncated", "deleted", "manifest emptied"])
def test_a_truncated_or_missing_matrix_is_encoded_again(demo: Project, how: str) -> None:
    encoder = CountingEncoder(demo.cache_dir)
    first = ArticleVectors.open(demo, encoder, lambda m: None)
    path = demo.cache_dir / FOLDER / MATRIX
    if how == "truncated":
        with path.open("r+b") as handle:
            handle.truncate(path.stat().st_size // 2)
    elif how == "deleted":
        path.unlink()
    else:
        (demo.cache_dir / FOLDER / "articles.json").write_text("")
    encoder.encoded.clear()
    again = ArticleVectors.open(demo, encoder, lambda m: None)
    assert len(encoder.encoded) == len(first.matrix) and np.allclose(again.matrix, first.matrix, atol=2e-3)


def test_an_edit_that_keeps_the_rows_is_written_in_place_and_equals_a_full_encoding(demo: Project) -> None:
    encoder = CountingEncoder(demo.cache_dir)
    ArticleVectors.open(demo, encoder, lambda m: None)
    matrix_file = demo.cache_dir / FOLDER / MATRIX
    before = matrix_file.stat().st_ino
    path = demo.kb_dir / "billing" / "charged-twice-refunds.md"
    path.write_text(path.read_text().replace("questions:\n  - ", "questions:\n  - please, ", 1))  # same number of rows
    encoder.encoded.clear()
    patched = ArticleVectors.open(demo, encoder, lambda m: None)
    assert matrix_file.stat().st_ino == before and 0 < len(encoder.encoded) <= 20  # patched, not rewritten
    assert patched.matrix.dtype == np.float32 and isinstance(patched.matrix, np.memmap)

    for name in os.listdir(demo.cache_dir / FOLDER):  # the same vectors from nothing
        os.remove(demo.cache_dir / FOLDER / name)
    whole = ArticleVectors.open(demo, encoder, lambda m: None)
    assert whole.rels == patched.rels and np.array_equal(whole.bounds, patched.bounds)
    assert np.array_equal(np.asarray(whole.matrix), np.asarray(patched.matrix))
    assert np.allclose(whole.centroids, patched.centroids, atol=1e-6)

    path.write_text(path.read_text().replace("questions:\n", "questions:\n  - billed me two times\n", 1))  # one more row
    grown = ArticleVectors.open(demo, encoder, lambda m: None)
    assert len(grown.matrix) == len(whole.matrix) + 1 and matrix_file.stat().st_ino != before


def test_damaged_centres_are_encoded_again_with_a_warning(demo: Project) -> None:
    encoder = CountingEncoder(demo.cache_dir)
    first = ArticleVectors.open(demo, encoder, lambda m: None)
    expected, rows = np.array(first.centroids), len(first.matrix)
    del first  # its files are memory-mapped: truncating one under a live map would fault
    (demo.cache_dir / FOLDER / CENTRES).write_bytes(b"not an array")
    warnings: list[str] = []
    encoder.encoded.clear()
    again = ArticleVectors.open(demo, encoder, warnings.append)
    assert warnings and len(encoder.encoded) == rows
    assert np.allclose(again.centroids, expected, atol=1e-6)
