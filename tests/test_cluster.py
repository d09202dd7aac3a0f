"""kbgen.cluster: groups texts by topic, deterministically, and old texts keep their groups."""

from __future__ import annotations

from kbgen import cluster
from kbgen.engine.lexical import stem_words

TOPICS = {
    "euro": ["can I pay my invoice in euros", "invoice in euros please", "pay invoices in euros not dollars", "do you bill in euros"],
    "dark": ["is there a dark mode", "dark mode for the app", "please add dark mode", "app dark theme at night"],
    "export": ["export all my files to a zip", "how to export my data", "download an export of my data", "export data as zip"],
}


def _labels(texts: list[str]) -> list[int]:
    return cluster.cluster(cluster.features(texts, stem_words), cluster.settings_for(len(texts)))


def test_texts_on_one_topic_share_a_label_and_topics_differ() -> None:
    texts = [t for group in zip(*TOPICS.values()) for t in group]  # interleaved, as notes arrive
    labels = _labels(texts)
    by_topic = {name: {labels[texts.index(t)] for t in group} for name, group in TOPICS.items()}
    assert all(len(found) == 1 for found in by_topic.values()), by_topic
    assert len({next(iter(found)) for found in by_topic.values()}) == 3


def test_same_input_same_labels() -> None:
    texts = [t for group in TOPICS.values() for t in group] * 3
    assert _labels(texts) == _labels(list(texts))


def test_leader_pass_never_lets_later_texts_move_earlier_ones() -> None:
    import numpy as np

    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((700, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    settings = cluster.Settings(micro=0.5, block=64)
    first, _, _ = cluster._leader(vectors[:500], settings)
    again, _, _ = cluster._leader(vectors, settings)
    assert again[:500] == first


def test_more_micro_clusters_than_the_linkage_cap_are_attached_not_dropped() -> None:
    texts = [t for group in TOPICS.values() for t in group] + [f"unrelated question number {i} zq{i}x" for i in range(30)]
    settings = cluster.Settings(max_linkage=5)
    labels = cluster.cluster(cluster.features(texts, stem_words, settings), cluster.settings_for(len(texts), settings))
    assert len(labels) == len(texts)
    assert len({labels[i] for i in range(4)}) == 1  # the first topic still holds together


def test_empty_input() -> None:
    assert cluster.cluster(cluster.features([], stem_words)) == []


def test_texts_without_words_stand_alone_and_break_nothing() -> None:
    texts = ["???", "is there a dark mode", "🙂", "dark mode for the app", "", "please add dark mode"]
    labels = _labels(texts)
    assert labels[1] == labels[3] == labels[5]
    assert len({labels[0], labels[2], labels[4], labels[1]}) == 4


def _partition(labels) -> set[frozenset[int]]:  # type: ignore[no-untyped-def]
    groups: dict[int, set[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), set()).add(index)
    return {frozenset(g) for g in groups.values()}


def test_average_linkage_gives_scipys_flat_clusters() -> None:
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage

    rng = np.random.default_rng(7)
    for _ in range(25):
        n, dims = int(rng.integers(2, 200)), int(rng.integers(2, 16))
        centres = rng.standard_normal((int(rng.integers(1, 12)), dims))
        vectors = centres[rng.integers(0, len(centres), n)] + rng.standard_normal((n, dims)) * rng.uniform(0.05, 1.0)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        cut = float(rng.uniform(0.05, 1.2))
        expected = fcluster(linkage(vectors, method="average", metric="cosine"), t=cut, criterion="distance")
        got = cluster.average_linkage(vectors, cut)
        assert _partition(got) == _partition(expected), (n, dims, cut)
        firsts = [list(got).index(label) for label in sorted(set(got.tolist()))]
        assert firsts == sorted(firsts)  # numbered in order of each cluster's first vector


def test_average_linkage_small_inputs() -> None:
    import numpy as np

    assert cluster.average_linkage(np.zeros((0, 3)), 0.5).tolist() == []
    assert cluster.average_linkage(np.eye(3)[:1], 0.5).tolist() == [0]
    assert cluster.average_linkage(np.eye(3), 0.5).tolist() == [0, 1, 2]  # orthogonal: distance 1
    assert cluster.average_linkage(np.eye(3), 1.0).tolist() == [0, 0, 0]


def test_cholesky_orthonormal_basis_spans_the_same_columns() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    tall = rng.standard_normal((5_000, 40)).astype(np.float32)
    basis = cluster._orthonormal(tall)
    assert np.allclose(basis.T @ basis, np.eye(40), atol=1e-4)
    reference, _ = np.linalg.qr(tall.astype(np.float64))
    assert np.allclose(reference @ (reference.T @ basis), basis, atol=1e-4)  # same space


def test_orthonormal_basis_of_dependent_columns_is_still_orthonormal() -> None:
    import numpy as np

    rng = np.random.default_rng(4)
    rank_two = rng.standard_normal((300, 2)) @ rng.standard_normal((2, 30))
    basis = cluster._orthonormal(rank_two)
    assert np.isfinite(basis).all()
    assert np.allclose(basis.T @ basis, np.eye(30), atol=1e-4)


def test_a_log_of_one_question_repeated_clusters_into_one_gap() -> None:
    texts = ["how do I reset my password"] * 300 + ["is there a dark mode"] * 5
    labels = _labels(texts)
    assert len(set(labels[:300])) == 1
    assert labels[300] != labels[0] and len(set(labels[300:])) == 1
