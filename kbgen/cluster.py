"""Group short texts by meaning, at any scale, the same way every time.

Features: TF-IDF over stemmed words and over character 3- to 5-grams of each word (typos and
word variants), each block L2-normalised, then reduced to at most 80 dense dimensions (one per
12 texts) with a seeded randomized SVD (latent semantic analysis), which also lets words that
keep company meet. The SVD's random starting matrix is drawn term by term, not column by
column, so a few new notes leave it as it was: on the demo log, the clusters of the old notes
after one to four new ones agree with those before at ARI 0.74 (mean over six seeds; 0.53 when
it was drawn by column). Fewer than 240 texts are too few to learn topics from: they are compared in
the raw TF-IDF space, with a cut of its own.

Clustering has two stages, so no step compares every text with every other:

1. Leader pass, in the order given (oldest first): each text joins the closest micro-cluster
   when it is at least `micro` similar, else starts one. Texts are compared in blocks against the
   micro-clusters that existed before the block, which keeps it to a few matrix products. Earlier
   texts never depend on later ones. (The vectors themselves do: the LSA basis is fitted on all
   the texts given, so new texts can move old boundaries a little; `kbgen.gaps` carries gap ids
   over for that reason.)
2. Average linkage over the micro-clusters' centroids (at most `max_linkage` of them, the
   largest; the rest join the nearest resulting cluster or stay alone), cut at `merge`
   similarity.

Nothing here knows about notes or articles: `kbgen.gaps` gives it texts and reads labels back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


@dataclass(frozen=True)
class Settings:
    """Chosen on CLINC150's validation queries and the demo's notes (benchmarks/gaps.py), never on test."""

    char_weight: float = 1.0  # weight of the character n-gram block against the word block
    dims: int = 80  # most dense dimensions after SVD ...
    texts_per_dim: int = 12  # ... and at most one per this many texts: small logs need fewer
    lsa_from: int = 240  # fewer texts than this are compared in the raw TF-IDF space
    micro: float = 0.80  # similarity to join a micro-cluster in the leader pass
    merge: float = 0.40  # average-linkage cut, as a similarity, in the reduced space
    raw_merge: float = 0.20  # the same cut in the raw TF-IDF space (small logs)
    max_linkage: int = 4_000  # micro-clusters linked exactly; the rest are attached to them
    block: int = 512  # texts compared at once in the leader pass
    seed: int = 0


_GRAMS: dict[str, list[str]] = {}


def _char_grams(words: list[str]) -> list[str]:
    """Character 3- to 5-grams of each word, padded with spaces (each word's worked out once)."""
    grams: list[str] = []
    for word in words:
        found = _GRAMS.get(word)
        if found is None:
            padded = f" {word} "
            found = [padded[i : i + size] for size in (3, 4, 5) for i in range(len(padded) - size + 1)]
            if len(_GRAMS) < 200_000:
                _GRAMS[word] = found
        grams += found
    return grams


def _tfidf(docs: list[list[str]]) -> tuple["object", list[str]]:
    """Sublinear TF-IDF, rows L2-normalised, as a scipy CSR matrix (built in sorted order
    directly: no COO round trip, no diagonal products), and the term of each column."""
    import numpy as np
    from scipy import sparse

    flat = [term for doc in docs for term in doc]
    vocab = {term: index for index, term in enumerate(dict.fromkeys(flat))}  # in order of first use
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    width = max(len(vocab), 1)
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), [len(doc) for doc in docs])
    keys, counts = np.unique(rows * width + ids, return_counts=True)  # (document, term) pairs, sorted
    row_of, terms = np.divmod(keys, width)
    df = np.bincount(terms, minlength=width)
    idf = (np.log((1 + len(docs)) / (1 + df)) + 1).astype(np.float32)
    values = (1.0 + np.log(counts)).astype(np.float32) * idf[terms]
    norms = np.sqrt(np.bincount(row_of, weights=values.astype(np.float64) ** 2, minlength=len(docs)))
    norms[norms == 0] = 1
    values /= norms[row_of].astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=len(docs)))])
    return sparse.csr_matrix((values, terms, indptr), shape=(len(docs), width)), list(vocab)


def features(texts: Sequence[str], stem: Callable[[str], list[str]], settings: Settings = Settings()) -> "np.ndarray":
    """Dense, L2-normalised vectors for TEXTS (one row each); STEM turns a text into word stems."""
    import numpy as np
    from scipy import sparse

    words = [stem(text) for text in texts]
    grams = [_char_grams(_WORD_RE.findall(text.lower())) for text in texts]
    (word_matrix, word_terms), (gram_matrix, gram_terms) = _tfidf(words), _tfidf(grams)
    matrix = sparse.hstack([word_matrix, gram_matrix * settings.char_weight]).tocsr()
    if len(texts) < settings.lsa_from:
        dense = matrix.toarray()  # too few texts to learn latent topics from
    else:
        dims = min(settings.dims, len(texts) // settings.texts_per_dim)
        dense = _reduce(matrix, dims, settings.seed, [f"w {t}" for t in word_terms] + [f"g {t}" for t in gram_terms])
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return (dense / norms).astype(np.float32)


def _reduce(matrix: "object", dims: int, seed: int, terms: list[str]) -> "np.ndarray":
    """Project onto the top DIMS singular directions: randomized SVD, seeded (same input, same
    output), with a starting matrix drawn term by term (TERMS names MATRIX's columns)."""
    import numpy as np

    rows, cols = matrix.shape  # type: ignore[attr-defined]
    if cols <= dims or rows <= dims:
        return matrix.toarray()  # type: ignore[attr-defined,no-any-return]
    probe = _probe(terms, dims + 10, seed)
    basis = _orthonormal(matrix @ probe)  # type: ignore[operator]
    for _ in range(POWER_ITERATIONS):  # sharpen the spectrum of sparse text matrices
        basis = _orthonormal(matrix @ _orthonormal(matrix.T @ basis))  # type: ignore[operator,attr-defined]
    small = (matrix.T @ basis).T  # type: ignore[attr-defined]  # (dims + 10) x terms
    # the rows' coordinates on the top singular directions, from the small Gram matrix: no SVD
    # of the wide (dims x terms) matrix is needed
    values, vectors = np.linalg.eigh(np.asarray(small @ small.T, dtype=np.float64))
    top = np.argsort(values)[::-1][:dims]
    return np.asarray(basis @ (vectors[:, top] * np.sqrt(np.maximum(values[top], 0))), dtype=np.float32)


POWER_ITERATIONS = 2
_PROBE_ROWS = 1 << 16


def _probe(terms: list[str], width: int, seed: int) -> "np.ndarray":
    """The random starting matrix of the range finder, one row per term, drawn by the term itself
    (a seeded table indexed by its CRC-32) rather than by its column: a new note adds columns
    and shifts others, and must not redraw every other term's row."""
    import zlib

    import numpy as np

    table = np.random.default_rng(seed).standard_normal((_PROBE_ROWS, width), dtype=np.float32)
    index = np.fromiter((zlib.crc32(t.encode("utf-8")) & (_PROBE_ROWS - 1) for t in terms), np.int64, len(terms))
    return table[index]


def _orthonormal(tall: "np.ndarray") -> "np.ndarray":
    """An orthonormal basis of TALL's columns.

    Cholesky QR, twice ("CholeskyQR2"): as accurate as Householder QR when the columns are far
    from dependent, as they are in the power iteration, for two small Gram matrices instead of
    a pass of reflections (a tenth of the time at 35,000 x 90). When they are not (a log of one
    question repeated, fewer terms than dimensions), Householder QR.
    """
    import numpy as np

    basis = np.asarray(tall, dtype=np.float64)
    try:
        for _ in range(2):
            basis = basis @ np.linalg.inv(np.linalg.cholesky(basis.T @ basis).T)  # basis = q @ upper
        if np.abs(basis.T @ basis - np.eye(basis.shape[1])).max() < 1e-6:
            return basis.astype(np.float32)
    except np.linalg.LinAlgError:
        pass
    return np.linalg.qr(np.asarray(tall, dtype=np.float64))[0].astype(np.float32)


def settings_for(count: int, settings: Settings = Settings()) -> Settings:
    """The settings to group COUNT texts' `features` with: few texts are compared in the raw
    TF-IDF space, where similarities run lower, so they have a cut of their own."""
    return replace(settings, merge=settings.raw_merge) if count < settings.lsa_from else settings


def cluster(vectors: "np.ndarray", settings: Settings = Settings()) -> list[int]:
    """A cluster label for each row of unit VECTORS (rows in the order to process: oldest first),
    joined at `settings.micro` in the leader pass and cut at `settings.merge` in the linkage."""
    import numpy as np

    n = len(vectors)
    if n == 0:
        return []
    empty = np.linalg.norm(vectors, axis=1) < 1e-9  # texts with no words ("???"): each alone
    if empty.any():
        kept = cluster(vectors[~empty], settings) if (~empty).any() else []
        labels, fresh, rest = [], max(kept, default=-1) + 1, iter(kept)
        for is_empty in empty:
            if is_empty:
                labels.append(fresh)
                fresh += 1
            else:
                labels.append(next(rest))
        return labels
    micro_of, sums, sizes = _leader(vectors, settings)
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    final = _link(centroids, sizes, settings)
    return [int(final[m]) for m in micro_of]


def _leader(vectors: "np.ndarray", settings: Settings) -> tuple[list[int], "np.ndarray", "np.ndarray"]:
    import numpy as np

    n, dims = vectors.shape
    sums = np.zeros((min(n, 1024), dims), dtype=np.float32)
    normed = np.zeros_like(sums)
    sizes = np.zeros(len(sums), dtype=np.int64)
    count = 0
    micro_of: list[int] = []
    for start in range(0, n, settings.block):
        block = vectors[start : start + settings.block]
        before = count
        sims = block @ normed[:before].T if before else np.zeros((len(block), 0), dtype=np.float32)
        for row, vector in enumerate(block):
            best, best_sim = -1, settings.micro
            if before:
                j = int(np.argmax(sims[row]))
                if sims[row, j] >= best_sim:
                    best, best_sim = j, float(sims[row, j])
            if count > before:
                local = normed[before:count] @ vector
                j = int(np.argmax(local))
                if local[j] >= best_sim:
                    best = before + j
            if best < 0:
                if count == len(sums):
                    sums = np.vstack([sums, np.zeros_like(sums)])
                    normed = np.vstack([normed, np.zeros_like(normed)])
                    sizes = np.concatenate([sizes, np.zeros_like(sizes)])
                best = count
                count += 1
            sums[best] += vector
            sizes[best] += 1
            if best >= before:  # micro-clusters born in this block are compared with up to date
                normed[best] = sums[best] / max(float(np.linalg.norm(sums[best])), 1e-12)
            micro_of.append(best)
        # centroids of older micro-clusters are refreshed once a block, not after every text
        touched = np.unique(np.asarray(micro_of[start:], dtype=np.int64))
        norms = np.maximum(np.linalg.norm(sums[touched], axis=1, keepdims=True), 1e-12)
        normed[touched] = sums[touched] / norms
    return micro_of, sums[:count], sizes[:count]


def _link(centroids: "np.ndarray", sizes: "np.ndarray", settings: Settings) -> "np.ndarray":
    """Final label of each micro-cluster: average linkage over the largest, the rest attached."""
    import numpy as np

    m = len(centroids)
    order = np.lexsort((np.arange(m), -sizes))  # largest first, then oldest
    linked = np.sort(order[: settings.max_linkage])
    labels = np.full(m, -1, dtype=np.int64)
    labels[linked] = average_linkage(centroids[linked], 1 - settings.merge)
    rest = np.sort(order[settings.max_linkage :])
    if len(rest):
        groups = int(labels.max()) + 1
        group_sums = np.zeros((groups, centroids.shape[1]), dtype=np.float64)
        np.add.at(group_sums, labels[linked], centroids[linked] * sizes[linked, None])
        group_sums /= np.maximum(np.linalg.norm(group_sums, axis=1, keepdims=True), 1e-12)
        sims = centroids[rest] @ group_sums.T
        best = sims.argmax(axis=1)
        near = sims[np.arange(len(rest)), best] >= settings.merge
        labels[rest[near]] = best[near]
        alone = rest[~near]
        labels[alone] = groups + np.arange(len(alone))
    return labels


def average_linkage(vectors: "np.ndarray", cut: float) -> "np.ndarray":
    """Flat clusters of unit VECTORS: average linkage (UPGMA) on cosine distance, cut at CUT.

    The nearest-neighbour chain algorithm: O(n^2) time and one n x n matrix, each step a few
    vector operations. Average linkage never merges below an earlier merge, so the flat
    clusters are the groups joined by merges at distance CUT or less, in whatever order the
    chain found them (as scipy's `fcluster(..., criterion="distance")` on its `linkage`; a test
    checks they agree). Our own because importing scipy.cluster costs more than the work here.
    Labels are numbered in order of each cluster's first vector.
    """
    import numpy as np

    n = len(vectors)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    unit = np.asarray(vectors, dtype=np.float64)
    distance = unit @ unit.T
    np.subtract(1.0, distance, out=distance)  # in place: at 4,000 vectors this matrix is 128 MB
    np.fill_diagonal(distance, np.inf)
    size = np.ones(n)
    parent = np.arange(n)
    chain: list[int] = []
    alive = n
    next_start = 0
    while alive > 1:
        if not chain:
            while size[next_start] == 0:  # merged away
                next_start += 1
            chain.append(next_start)
        a = chain[-1]
        row = distance[a]
        b = int(np.argmin(row))
        if len(chain) > 1 and row[chain[-2]] <= row[b]:
            b = chain[-2]  # ties go back down the chain, so it cannot cycle
        if len(chain) < 2 or b != chain[-2]:
            chain.append(b)
            continue
        chain.pop()
        chain.pop()
        if row[b] <= cut:
            parent[b] = a  # b's cluster is now a's
        merged = (size[a] * row + size[b] * distance[b]) / (size[a] + size[b])
        distance[a, :] = merged
        distance[:, a] = merged
        distance[a, a] = np.inf
        distance[b, :] = np.inf
        distance[:, b] = np.inf
        size[a] += size[b]
        size[b] = 0
        alive -= 1
    root = parent.copy()
    while True:  # follow each vector up to the slot its flat cluster ended in
        up = root[root]
        if (up == root).all():
            break
        root = up
    _, labels = np.unique(root, return_inverse=True)
    first = np.full(labels.max() + 1, n)
    np.minimum.at(first, labels, np.arange(n))
    return np.argsort(np.argsort(first, kind="stable"), kind="stable")[labels]
