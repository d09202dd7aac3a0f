"""kbgen.cluster: groups texts by topic, deterministically, and old texts keep their groups."""

from __future__ import annotations

from kbgen import cluster
from kbgen.search import stem_words

TOPICS = {
    "euro": ["can I pay my invoice in euros", "invoice in euros please", "pay invoices in euros not dollars", "do you bill in euros"],
    "dark": ["is there a dark mode", "dark mode for the app", "please add dark mode", "app dark theme at night"],
    "export": ["export all my files to a zip", "how to export my data", "download an export of my data", "export data as zip"],
}


def _labels(texts: list[str]) -> list[int]:
    return cluster.cluster(cluster.features(texts, stem_words))


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
    labels = cluster.cluster(cluster.features(texts, stem_words, settings), settings)
    assert len(labels) == len(texts)
    assert len({labels[i] for i in range(4)}) == 1  # the first topic still holds together


def test_empty_input() -> None:
    assert cluster.cluster(cluster.features([], stem_words)) == []


def test_texts_without_words_stand_alone_and_break_nothing() -> None:
    texts = ["???", "is there a dark mode", "🙂", "dark mode for the app", "", "please add dark mode"]
    labels = _labels(texts)
    assert labels[1] == labels[3] == labels[5]
    assert len({labels[0], labels[2], labels[4], labels[1]}) == 4
