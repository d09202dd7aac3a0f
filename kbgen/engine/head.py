"""A small answer model fitted to each knowledge base: which of a few close articles a question means.

F (`kbgen.engine.semantic`) ranks articles by how close a question comes to their rows. Where
articles sit close together ("freeze my card" and "report a lost card"), closeness alone often
picks the neighbour; what tells them apart is in the knowledge base's own phrasings. So each
article a gets a weight vector w_a, fitted so that each of its rows (title and phrasings) picks it
among itself and its NEIGHBOURS nearest articles (by their centres):

    p(a | x) = exp(SCALE x.w_a) / sum over b in {a} + nearest(a) of exp(SCALE x.w_b)

minimising the rows' mean negative log-likelihood plus L2 / 2 x |W|^2, starting from the articles'
centres, by L-BFGS for at most ITERATIONS steps (30 to 50 s at 10,000 articles on 2 cores, beside
the lexical index's build). At question time `probabilities` gives the same softmax over the
articles F ranks first, and the engine ranks by both (see `semantic.py`).

The weights are kept in the cache beside the article vectors and fitted again only for the
articles whose rows changed: after an edit, the changed article's weights against its neighbours,
with every other article's held (a few milliseconds). Many changes at once fit all of them again.
Settings were chosen on CLINC150's train and validation splits (benchmarks/lookup_quality.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..jsonio import loads
from .ranking import top
from .vectors import _replace

if TYPE_CHECKING:
    import numpy as np

    from ..project import Project
    from .vectors import ArticleVectors

VERSION = 1
NEIGHBOURS = 32  # each article is told apart from this many nearest (8: 0.878, 16: 0.880, 32: 0.883 on test)
SCALE = 40.0  # cosines are small numbers; the softmax needs them spread
L2 = 1e-3
ITERATIONS = 30  # L-BFGS converges in about 50 on CLINC150; 30 is within 0.001 of it and costs 60%
DENSE = 2_048  # up to this many articles, every question is scored against every article at once
BLOCK_ROWS = 8_192  # padded rows scored at once while fitting (about 12 MB a block at 384 dimensions)
REFIT_ALL = 0.125  # above this share of articles changed, all of them are fitted again
FOLDER = "vectors"
WEIGHTS = "heads.npy"
STATE = "heads.json"  # what the weights were fitted for: small, read by every command
KEYS = "heads-keys.json"  # each article's path and rows' digest: read only when something changed
Progress = Callable[[str, int, int], None]


class Head:
    """The fitted weights, one row an article in the article vectors' order."""

    def __init__(self, weights: np.ndarray):
        self.weights = weights

    @classmethod
    def open(cls, project: Project, articles: ArticleVectors, warn: Callable[[str], None],
             progress: Progress | None = None) -> Head:
        """The weights for ARTICLES as they are now: read from the cache, or fitted for what changed."""
        return _Store(project, warn).up_to_date(articles, progress)

    def probabilities(self, queries: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """For unit QUERIES (n x dim) and each one's CANDIDATES (n x c article numbers): the
        head's softmax over those candidates (n x c, each row summing to 1)."""
        import numpy as np

        if candidates.shape[1] == 0:
            return np.zeros(candidates.shape, dtype=np.float32)
        if len(self.weights) <= DENSE:  # one product with every article beats gathering rows
            logits = np.take_along_axis(queries @ self.weights.T, candidates, axis=1)
        else:
            logits = np.empty(candidates.shape, dtype=np.float32)
            for start in range(0, len(queries), 256):  # 256 x 100 gathered rows of 384: 39 MB
                stop = start + 256
                logits[start:stop] = np.einsum("nd,ncd->nc", queries[start:stop], self.weights[candidates[start:stop]])
        return _softmax(SCALE * logits)


def _softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """The softmax of LOGITS along AXIS, computed in place."""
    import numpy as np

    logits -= logits.max(axis=axis, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=axis, keepdims=True)
    return logits


def neighbours(centroids: np.ndarray, articles: np.ndarray, count: int) -> np.ndarray:
    """For each of ARTICLES, itself and then its COUNT nearest other articles by centre (ties to
    the lower number): (len(articles) x count + 1)."""
    import numpy as np

    found = np.empty((len(articles), min(count, len(centroids) - 1) + 1), dtype=np.int64)
    for start in range(0, len(articles), 1_024):
        rows = articles[start : start + 1_024]
        sims = centroids[rows] @ centroids.T
        sims[np.arange(len(rows)), rows] = np.inf  # itself first
        found[start : start + len(rows)] = top(sims, found.shape[1])
    return found


def fit(matrix: np.ndarray, bounds: np.ndarray, centroids: np.ndarray, changing: np.ndarray | None = None,
        start: np.ndarray | None = None, progress: Progress | None = None) -> np.ndarray:
    """The weights of every article (see the module docstring).

    CHANGING: the articles whose weights are fitted (default: all), the others kept as in START
    (default: the centres). Only the rows whose likelihood involves them count: their own, and
    their neighbours' against the neighbours' own nearest articles."""
    import numpy as np
    from scipy import sparse
    from scipy.optimize import minimize

    total, dim = centroids.shape
    weights = np.array(centroids if start is None else start, dtype=np.float32)
    if total < 2 or len(matrix) == 0:
        return weights
    if changing is None:
        changing = involved = np.arange(total)
    else:  # the changed articles' rows, and their neighbours', whose softmax the changed weights enter
        changing = np.unique(changing)
        involved = np.unique(neighbours(centroids, changing, NEIGHBOURS))
    sets = neighbours(centroids, involved, NEIGHBOURS)
    sizes = np.diff(bounds)[involved]
    keep = sizes > 0
    involved, sets, sizes = involved[keep], sets[keep], sizes[keep]
    rows = int(sizes.sum())
    if not rows:
        return weights
    # the weights any involved row is scored against, numbered locally; the fitted ones among them
    support = np.unique(sets)
    local = np.full(total, -1, dtype=np.int64)
    local[support] = np.arange(len(support))
    current = weights[support]
    fitted = local[changing]
    slot = np.full(len(support), -1, dtype=np.int64)  # each supporting weight's place among the fitted
    slot[fitted] = np.arange(len(changing))
    # articles in order of their number of rows, in blocks padded to the block's longest; rows are
    # kept transposed (block x dim x rows) so both products run on contiguous arrays
    order = np.argsort(sizes, kind="stable")
    blocks = []
    begin = 0
    while begin < len(order):
        end = begin + 1
        while end < len(order) and (end - begin + 1) * int(sizes[order[end]]) <= BLOCK_ROWS:
            end += 1
        members = order[begin:end]
        longest = int(sizes[members].max())
        padded = np.zeros((len(members), longest, dim), dtype=np.float32)
        mask = np.zeros((len(members), 1, longest), dtype=np.float32)
        for place, member in enumerate(members):
            article = involved[member]
            count = int(sizes[member])
            padded[place, :count] = matrix[bounds[article] : bounds[article] + count]
            mask[place, 0, :count] = 1.0
        candidates = local[sets[members]]
        columns = slot[candidates].ravel()
        kept = columns >= 0
        scatter = sparse.csr_matrix((np.ones(int(kept.sum()), dtype=np.float32), (columns[kept], np.flatnonzero(kept))),
                                    shape=(len(changing), candidates.size))
        blocks.append((padded, np.ascontiguousarray(padded.transpose(0, 2, 1)), mask, candidates, scatter))
        begin = end
    step = progress or (lambda what, done, total: None)
    calls = [0]

    def part(some: list[Any]) -> tuple[float, np.ndarray]:
        """The negative log-likelihood of SOME blocks' rows, and its gradient (unscaled)."""
        gradient = np.zeros((len(changing), dim), dtype=np.float32)
        loss = 0.0
        for padded, transposed, mask, candidates, scatter in some:
            chosen = current[candidates]  # block x candidates x dim
            probs = _softmax(SCALE * np.matmul(chosen, transposed), axis=1)  # block x candidates x rows
            loss -= float((np.log(np.maximum(probs[:, 0, :], 1e-30)) * mask[:, 0, :]).sum())
            probs[:, 0, :] -= 1.0
            probs *= mask
            gradient += scatter @ np.matmul(probs, padded).reshape(-1, dim)  # each candidate's share
        return loss, gradient

    pool = None
    if len(blocks) > 1 and (os.cpu_count() or 1) > 1:
        # numpy and scipy's products run outside Python's lock: the even and odd blocks side by
        # side (one objective at 10,000 articles: 0.9 s alone, 0.6 s so), summed in a fixed order
        # so the weights do not depend on which thread finishes first
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(2)

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        variables = flat.reshape(len(changing), dim)
        current[fitted] = variables
        if pool is None:
            loss, gradient = part(blocks)
        else:
            (even_loss, even), (odd_loss, odd) = pool.map(part, [blocks[0::2], blocks[1::2]])
            loss, gradient = even_loss + odd_loss, even + odd
        loss = loss / rows + L2 / 2 * float((variables**2).sum())
        calls[0] += 1
        step("Fitting the answer model", min(calls[0], ITERATIONS), ITERATIONS)
        return loss, (gradient.astype(np.float64) * (SCALE / rows) + L2 * variables).ravel()

    try:
        found = minimize(objective, weights[changing].astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
                         options={"maxiter": ITERATIONS})
    finally:
        if pool is not None:
            pool.shutdown()
    weights[changing] = found.x.reshape(len(changing), dim)
    step("Fitting the answer model", ITERATIONS, ITERATIONS)
    return weights


def digests(articles: ArticleVectors) -> list[str]:
    """A short digest of each article's centre and number of rows: what says its weights must be
    fitted again (an article's centre moves with any change to its rows; hashing the centres, not
    the rows, reads 15 MB at 10,000 articles, not 100)."""
    import numpy as np

    centroids = np.ascontiguousarray(articles.centroids, dtype=np.float32)
    counts = np.diff(articles.bounds).tolist()
    return [hashlib.blake2b(centroids[index].tobytes() + count.to_bytes(4, "little"), digest_size=8).hexdigest()
            for index, count in enumerate(counts)]


class _Store:
    """The weights' files in the cache: WEIGHTS, STATE (the article vectors' signature they fit)
    and KEYS (each article's path and digest, to keep the weights of unchanged articles)."""

    def __init__(self, project: Project, warn: Callable[[str], None]):
        self.dir = project.cache_dir / FOLDER
        self.warn = warn

    def settings(self) -> list[float]:
        return [VERSION, NEIGHBOURS, SCALE, L2, ITERATIONS]

    def up_to_date(self, articles: ArticleVectors, progress: Progress | None) -> Head:
        import numpy as np

        total, dim = articles.centroids.shape
        state = self._read(STATE)
        if state is not None and state.get("for") == articles.signature and state.get("settings") == self.settings():
            weights = self._weights(state, total, dim)
            if weights is not None:
                return Head(weights)
        keys = digests(articles)
        start = np.array(articles.centroids, dtype=np.float32)
        changing: np.ndarray | None = None
        known = self._known()
        weights = self._weights(state, len(known), dim) if state is not None and known is not None else None
        if weights is not None and known is not None and state is not None and state.get("settings") == self.settings():
            before = {(rel, key): row for row, (rel, key) in enumerate(known)}
            fresh = []
            for index, (rel, key) in enumerate(zip(articles.rels, keys)):
                row = before.get((rel, key))
                if row is None:
                    fresh.append(index)
                else:
                    start[index] = weights[row]
            if len(fresh) <= REFIT_ALL * total:
                changing = np.asarray(fresh, dtype=np.int64)
        if changing is None:
            weights = fit(articles.matrix, articles.bounds, articles.centroids, progress=progress)
        elif len(changing):
            weights = fit(articles.matrix, articles.bounds, articles.centroids, changing, start, progress)
        else:  # only removed articles
            weights = start
        self._write(articles, keys, weights)
        return Head(weights)

    def _known(self) -> list[tuple[str, str]] | None:
        """The (path, digest) of each article the kept weights were fitted for, in their order."""
        data = self._read(KEYS)
        found = data.get("articles") if data is not None else None
        if not isinstance(found, list) or not all(
                isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item) for item in found):
            if data is not None:
                self.warn(f"the answer model's {KEYS} was damaged; fitting it again")
            return None
        return [(rel, key) for rel, key in found]

    def _read(self, name: str) -> dict[str, Any] | None:
        try:
            data = loads((self.dir / name).read_text(encoding="utf-8"), limit=0)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self.warn(f"the answer model's {name} was damaged; fitting it again")
            return None
        return data if isinstance(data, dict) else None

    def _weights(self, state: dict[str, Any], total: int, dim: int) -> np.ndarray | None:
        import numpy as np

        path = self.dir / WEIGHTS
        try:
            info = path.stat()
            if [info.st_mtime_ns, info.st_size] != state.get("weights"):
                return None
            weights = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        if weights.ndim != 2 or weights.shape != (total, dim) or weights.dtype != np.float32:
            return None
        return weights  # type: ignore[no-any-return]

    def _write(self, articles: ArticleVectors, keys: list[str], weights: np.ndarray) -> None:
        import numpy as np

        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = self.dir / f".{WEIGHTS}.{os.getpid()}"
            with tmp.open("wb") as handle:
                np.save(handle, np.asarray(weights, dtype=np.float32), allow_pickle=False)
            os.replace(tmp, self.dir / WEIGHTS)
            info = (self.dir / WEIGHTS).stat()
            _replace(self.dir / KEYS, json.dumps({"articles": [[rel, key] for rel, key in zip(articles.rels, keys)]},
                                                 ensure_ascii=False).encode("utf-8"))
            state = {"for": articles.signature, "settings": self.settings(), "weights": [info.st_mtime_ns, info.st_size]}
            _replace(self.dir / STATE, json.dumps(state).encode("utf-8"))
        except OSError as exc:
            self.warn(f"could not keep the answer model in {self.dir} ({exc.strerror}); it is fitted again next time")
