"""The answer model: fitted to the knowledge base's phrasings, kept in the cache, refitted by article."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kbgen.engine import head
from kbgen.engine.encoder import Encoder
from kbgen.engine.head import FOLDER, STATE, WEIGHTS, Head, fit, neighbours
from kbgen.engine.vectors import ArticleVectors, centres
from kbgen.project import Project


def open_both(project: Project, warnings: list[str] | None = None) -> tuple[ArticleVectors, Head]:
    warn = (warnings.append if warnings is not None else lambda message: None)
    articles = ArticleVectors.open(project, Encoder(project.cache_dir), warn)
    return articles, Head.open(project, articles, warn)


def own_article_rate(weights: np.ndarray, articles: ArticleVectors) -> float:
    """How often an article's own rows score it first among all articles."""
    picked = (articles.matrix @ weights.T).argmax(axis=1)
    return float((picked == articles.owner).mean())


def test_the_model_tells_close_articles_apart_better_than_their_centres(demo: Project) -> None:
    articles, model = open_both(demo)
    assert model.weights.shape == articles.centroids.shape
    assert own_article_rate(model.weights, articles) > own_article_rate(articles.centroids, articles)


def test_toy_articles_whose_centres_mislead_are_told_apart() -> None:
    # A's phrasings are spread wide; one of them is nearer B's tight centre than A's own
    rows = np.array([[0, 1, 0], [-0.3, 0.95, 0], [0.8, 0.6, 0],  # A
                     [1, 0, 0], [0.95, 0.3, 0], [0.95, -0.3, 0],  # B
                     [0, 0, 1], [0.1, 0, 0.99]], dtype=np.float32)  # C
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    bounds = np.array([0, 3, 6, 8])
    owner = np.repeat(np.arange(3), np.diff(bounds))
    centre = centres(rows, bounds)
    assert (rows @ centre.T).argmax(axis=1)[2] == 1  # the centres get it wrong
    weights = fit(rows, bounds, centre)
    assert ((rows @ weights.T).argmax(axis=1) == owner).all()
    probabilities = Head(weights).probabilities(rows, np.tile(np.arange(3), (len(rows), 1)))
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities.argmax(axis=1) == owner).all()


def test_the_model_is_kept_and_read_without_fitting_again(demo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    articles, first = open_both(demo)

    def refuse(*args: object, **kwargs: object) -> np.ndarray:
        raise AssertionError("fitted again")

    monkeypatch.setattr(head, "fit", refuse)
    again = Head.open(demo, articles, lambda message: None)
    assert np.array_equal(again.weights, first.weights)


def test_an_edit_fits_only_the_changed_article_close_to_a_whole_fit(demo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    open_both(demo)
    path = demo.kb_dir / "billing" / "charged-twice-refunds.md"
    path.write_text(path.read_text().replace("questions:\n", "questions:\n  - billed me two times\n", 1))
    calls: list[object] = []
    real = head.fit

    def counting(*args: object, **kwargs: object) -> np.ndarray:
        calls.append(args[3] if len(args) > 3 else kwargs.get("changing"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(head, "fit", counting)
    articles, updated = open_both(demo)
    index = articles.by_rel["billing/charged-twice-refunds.md"]
    assert len(calls) == 1 and list(calls[0]) == [index]  # type: ignore[call-overload]
    whole = real(articles.matrix, articles.bounds, articles.centroids)
    unchanged = np.arange(len(articles.rels)) != index
    cosines = (updated.weights * whole).sum(axis=1) / (np.linalg.norm(updated.weights, axis=1) * np.linalg.norm(whole, axis=1))
    assert cosines[index] > 0.95 and cosines[unchanged].min() > 0.95
    assert own_article_rate(updated.weights, articles) >= own_article_rate(whole, articles) - 0.02


def test_damaged_or_removed_weights_are_fitted_again(demo: Project) -> None:
    articles, first = open_both(demo)
    path = demo.cache_dir / FOLDER / WEIGHTS
    with path.open("r+b") as handle:
        handle.seek(300)
        handle.write(os.urandom(64))
    _, again = open_both(demo)
    assert np.allclose(again.weights, first.weights, atol=1e-6)
    (demo.cache_dir / FOLDER / STATE).write_text("{not json", encoding="utf-8")
    warnings: list[str] = []
    _, third = open_both(demo, warnings)
    assert np.allclose(third.weights, first.weights, atol=1e-6)
    assert any("answer model" in w and "damaged" in w for w in warnings)
    path.unlink()
    _, fourth = open_both(demo)
    assert np.allclose(fourth.weights, first.weights, atol=1e-6)


def test_a_removed_article_keeps_the_others_weights(demo: Project) -> None:
    articles, first = open_both(demo)
    (demo.kb_dir / "billing" / "charged-twice-refunds.md").unlink()
    after, model = open_both(demo)
    assert len(after.rels) == len(articles.rels) - 1
    for index, rel in enumerate(after.rels):
        assert np.array_equal(model.weights[index], first.weights[articles.by_rel[rel]])


def test_gathered_and_dense_products_agree(demo: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    articles, model = open_both(demo)
    queries = articles.matrix[::3]
    candidates = neighbours(articles.centroids, articles.owner[::3], 7)
    dense = model.probabilities(queries, candidates)
    monkeypatch.setattr(head, "DENSE", 0)
    gathered = model.probabilities(queries, candidates)
    assert np.allclose(dense, gathered, atol=1e-5)


def test_neighbours_put_each_article_first_then_the_nearest() -> None:
    points = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], dtype=np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    assert neighbours(points, np.arange(4), 1).tolist() == [[0, 1], [1, 0], [2, 3], [3, 2]]
    assert neighbours(points, np.array([2]), 10).tolist() == [[2, 3, 1, 0]]


def test_a_keys_file_of_the_wrong_shape_fits_everything_again_with_a_warning(demo: Project) -> None:
    articles, first = open_both(demo)
    (demo.kb_dir / "billing" / "charged-twice-refunds.md").unlink()  # something to refit
    (demo.cache_dir / FOLDER / head.KEYS).write_text('{"articles": [["only-a-path"], 3]}', encoding="utf-8")
    warnings: list[str] = []
    after, model = open_both(demo, warnings)
    assert any(head.KEYS in w and "damaged" in w for w in warnings)
    whole = fit(after.matrix, after.bounds, after.centroids)
    assert np.allclose(model.weights, whole, atol=1e-6)


def test_blocks_fitted_side_by_side_give_the_weights_of_one_block_and_the_same_each_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    sizes = rng.integers(2, 7, size=60)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    topics = rng.normal(size=(60, 24))
    rows = np.repeat(topics, sizes, axis=0) + 0.8 * rng.normal(size=(int(bounds[-1]), 24))
    rows = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    centre = centres(rows, bounds)
    whole = fit(rows, bounds, centre)  # one block
    monkeypatch.setattr(head, "BLOCK_ROWS", 40)  # about ten blocks, two threads
    split = fit(rows, bounds, centre)
    assert np.allclose(split, whole, atol=1e-3) and not np.array_equal(split, centre)
    assert np.array_equal(fit(rows, bounds, centre), split)
