"""Which columns of a score matrix rank first: the articles a question is closest to, the
articles an article is closest to. Shared by the engine and its answer model."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def top(scores: np.ndarray, count: int) -> np.ndarray:
    """Each row's COUNT best columns, best first (ties to the lower column), without sorting all of them."""
    import numpy as np

    count = min(count, scores.shape[1])
    if count == 0:
        return np.zeros((len(scores), 0), dtype=np.int64)
    if count < scores.shape[1]:
        part = np.argpartition(-scores, count - 1, axis=1)[:, :count]
    else:
        part = np.tile(np.arange(scores.shape[1]), (len(scores), 1))
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -picked), axis=1)
    return np.take_along_axis(part, order, axis=1)  # type: ignore[no-any-return]
