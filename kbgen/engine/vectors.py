"""The encoder's vectors, computed once and kept in the git-ignored cache folder.

- `ArticleVectors`: every indexed article's title and phrasings, one row each, updated
  incrementally (only articles whose files changed are encoded again) and rebuilt whole when the
  model changes or the files are damaged.
- `TextVectors`: questions as they are logged, by text and model, so a report over a large log
  encodes each question once; anything missing is encoded again.

Vectors are rounded to float16 precision (cosines change by less than 0.001), and the article
rows are kept as float32 files read by memory map: converting 100,000 rows from float16 took
0.15 s of every command, a memory map costs nothing until the rows are used. Each article's
centre is kept beside its rows, and an edit that keeps every article's number of rows is written
in place (a few kilobytes, not the whole matrix).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from ..jsonio import loads
from .catalog import Stamps, indexable, read, scan

if TYPE_CHECKING:
    import numpy as np

    from ..project import Project
    from .encoder import Encoder

VERSION = 6  # 2: self-score parts; 3: over phrasings only; 4: matrix checked by its stamp; 5: paths only;
# 6: float32 files, centres kept
FOLDER = "vectors"
MANIFEST = "articles.json"
MATRIX = "articles.npy"
CENTRES = "centres.npy"
Progress = Callable[[str, int, int], None]


def article_texts(entry_title: str, questions: Sequence[str]) -> list[str]:
    """The texts an article is matched by: its title and its customers' phrasings."""
    return [entry_title, *questions]


def texts_digest(texts: Sequence[str]) -> str:
    """A short digest of an article's texts: an edit that leaves them as they were (the body, the
    summary) keeps the article's rows, with no encoding and no write of the rows."""
    return hashlib.blake2b("\x00".join(texts).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


class ArticleVectors:
    """Rows of unit vectors for every indexed article, with the article each row belongs to."""

    def __init__(self, rels: list[str], bounds: np.ndarray, matrix: np.ndarray, signature: str,
                 self_parts: np.ndarray | None = None, centroids: np.ndarray | None = None):
        import numpy as np

        self.rels = rels  # each article's kb-relative path (what a hit shows comes from the lexical index)
        self.self_parts = self_parts if self_parts is not None else np.full((len(rels), 2), np.nan)
        self.bounds = bounds  # article i owns rows bounds[i]:bounds[i + 1]
        self.matrix = matrix  # float32, unit rows
        self.signature = signature
        owner = np.zeros(len(matrix), dtype=np.int64)
        if len(rels):
            owner[bounds[1:-1]] = 1
            owner = np.cumsum(owner)
        self.owner = owner
        self.by_rel = {rel: index for index, rel in enumerate(rels)}
        self._bases: dict[int, tuple[np.ndarray, np.ndarray] | None] = {}
        self.centroids = centres(matrix, bounds) if centroids is None else centroids

    @classmethod
    def open(cls, project: Project, encoder: Encoder, warn: Callable[[str], None],
             progress: Progress | None = None, files: Stamps | None = None) -> ArticleVectors:
        """The vectors for PROJECT's articles as they are now, encoding only what changed (FILES:
        the knowledge base's file stamps, when the caller has just read them)."""
        store = _Store(project, encoder, warn)
        return store.up_to_date(progress, files)

    def basis(self, dims: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The mean and the top DIMS principal directions of the articles' rows, or None with fewer
        than ten rows a direction (too few to estimate them well): a projection fitted on the
        knowledge base, not on the notes, so notes keep their places as more arrive."""
        import numpy as np

        if dims in self._bases:
            return self._bases[dims]
        found = None
        if len(self.matrix) >= 10 * dims:
            rows = self.matrix.astype(np.float64)
            mean = rows.mean(axis=0)
            centred = rows - mean
            values, vectors = np.linalg.eigh(centred.T @ centred)
            found = (mean.astype(np.float32), np.ascontiguousarray(vectors[:, ::-1][:, :dims]).astype(np.float32))
        self._bases[dims] = found
        return found

    def selves(self, alpha: float) -> np.ndarray:
        """How well each article's own phrasings match it (see `self_parts`), weighing the centre
        cosine by ALPHA; an article without phrasings gets the others' mean. Some articles draw
        every question close; this says which."""
        import numpy as np

        found = self.self_parts[:, 0] + alpha * self.self_parts[:, 1]
        known = ~np.isnan(found)
        return np.where(known, found, found[known].mean() if known.any() else 0.0)  # type: ignore[no-any-return]

    def max_and_centroid(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For unit QUERIES (n x dim): each one's best cosine with each article's rows, and its
        cosine with each article's centroid (two n x articles arrays)."""
        import numpy as np

        if not self.rels:
            empty = np.zeros((len(queries), 0), dtype=np.float32)
            return empty, empty
        sims = queries @ self.matrix.T
        best = np.maximum.reduceat(sims, self.bounds[:-1], axis=1)
        return best, queries @ self.centroids.T


def centres(matrix: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Each article's centre: the unit mean of its rows (articles own rows bounds[i]:bounds[i + 1])."""
    import numpy as np

    if not len(matrix):
        return np.zeros((len(bounds) - 1, matrix.shape[1] if matrix.ndim == 2 else 0), np.float32)
    sums = np.add.reduceat(np.asarray(matrix, dtype=np.float32), bounds[:-1], axis=0)
    return (sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def half(rows: np.ndarray) -> np.ndarray:
    """ROWS rounded to float16 precision, kept as float32 (what the files hold)."""
    import numpy as np

    return np.asarray(rows, dtype=np.float16).astype(np.float32)


def self_parts(rows: np.ndarray) -> list[float] | None:
    """How well an article's phrasings (its rows after the title) match the rest of it: for each,
    left out in turn, its best cosine with the other rows and its cosine with their centre, each
    averaged over the phrasings. None for an article without phrasings."""
    import numpy as np

    if len(rows) < 2:
        return None
    gram = rows @ rows.T
    np.fill_diagonal(gram, -np.inf)
    phrasings = rows[1:]
    others = rows.sum(axis=0)[None, :] - phrasings  # each phrasing's centre without it
    centre = (phrasings * others).sum(axis=1) / np.maximum(np.linalg.norm(others, axis=1), 1e-12)
    return [round(float(gram[1:].max(axis=1).mean()), 6), round(float(centre.mean()), 6)]


class _Store:
    """The files behind ArticleVectors: a manifest (model, file stamps, each article's path, rows and
    self-score parts) and the matrix. Titles and snippets are the lexical index's to keep."""

    def __init__(self, project: Project, encoder: Encoder, warn: Callable[[str], None]):
        self.project = project
        self.encoder = encoder
        self.warn = warn
        self.dir = project.cache_dir / FOLDER

    def _manifest(self) -> dict[str, Any] | None:
        try:
            data = loads((self.dir / MANIFEST).read_text(encoding="utf-8"), limit=0)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self.warn("the article vectors' manifest was damaged; encoding the articles again")
            return None
        if (not isinstance(data, dict) or data.get("version") != VERSION or data.get("model") != self.encoder.model_id
                or not isinstance(data.get("files"), dict) or not isinstance(data.get("articles"), list)):
            return None
        return data

    def _matrix(self, manifest: dict[str, Any], name: str = MATRIX, key: str = "matrix",
                rows: int | None = None) -> np.ndarray | None:
        """The stored rows of NAME, memory-mapped, if the file is as it was written: its size and
        time are in the manifest under KEY (a truncated, emptied, overwritten or deleted file shows
        there, for the price of a stat)."""
        import numpy as np

        path = self.dir / name
        expected = manifest.get("rows") if rows is None else rows
        try:
            info = path.stat()
            if [info.st_mtime_ns, info.st_size] != manifest.get(key):
                self.warn("the article vectors were changed or damaged outside kbgen; encoding the articles again")
                return None
            matrix = np.load(path, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self.warn("the article vectors were damaged; encoding the articles again")
            return None
        if matrix.ndim != 2 or matrix.dtype != np.float32 or matrix.shape[1] != self.encoder.dim or len(matrix) != expected:
            self.warn("the article vectors were damaged; encoding the articles again")
            return None
        return matrix

    def up_to_date(self, progress: Progress | None, files: Stamps | None = None) -> ArticleVectors:
        import numpy as np

        files = scan(self.project) if files is None else files
        manifest = self._manifest()
        matrix = self._matrix(manifest) if manifest is not None else None
        if manifest is not None and matrix is not None and manifest["files"] == files:
            found = self._vectors(manifest, matrix)
            if found is not None:
                return found
        with self._locked():
            seen = manifest
            manifest = self._manifest()  # another process may have updated it while we waited
            if manifest is None or seen is None or matrix is None or manifest.get("matrix") != seen.get("matrix"):
                matrix = self._matrix(manifest) if manifest is not None else None  # else: the rows read above
            if manifest is None or matrix is None:
                manifest, matrix = {"files": {}, "articles": [], "matrix": None}, np.zeros((0, self.encoder.dim), np.float32)
            if manifest["files"] != files:
                manifest, matrix = self._update(manifest, matrix, files, progress)
            found = self._vectors(manifest, matrix)
            if found is None:  # the centres were damaged: encode again
                manifest, matrix = self._update({"files": {}, "articles": [], "matrix": None},
                                                np.zeros((0, self.encoder.dim), np.float32), files, progress)
                found = self._vectors(manifest, matrix)
            assert found is not None
            return found

    def _vectors(self, manifest: dict[str, Any], matrix: np.ndarray) -> ArticleVectors | None:
        import numpy as np

        rels = [str(item["rel"]) for item in manifest["articles"]]
        bounds = np.asarray([0, *np.cumsum([item["rows"] for item in manifest["articles"]])], dtype=np.int64)
        parts = np.asarray([item.get("self") or [np.nan, np.nan] for item in manifest["articles"]], dtype=np.float64).reshape(-1, 2)
        centroids = self._matrix(manifest, CENTRES, "centres", len(rels)) if rels else centres(matrix, bounds)
        if centroids is None:
            return None
        return ArticleVectors(rels, bounds, matrix, str(manifest.get("matrix")), parts, centroids)

    def _update(self, manifest: dict[str, Any], matrix: np.ndarray, files: Stamps,
                progress: Progress | None) -> tuple[dict[str, Any], np.ndarray]:
        """Keep the rows of unchanged articles, encode the changed ones, write both files."""
        import numpy as np

        old_files: dict[str, Any] = manifest["files"]
        old_layout = [(item["rel"], item["rows"]) for item in manifest["articles"]]
        kept: dict[str, tuple[dict[str, Any], np.ndarray]] = {}
        start = 0
        for item in manifest["articles"]:
            rows = matrix[start : start + item["rows"]]
            start += item["rows"]
            if old_files.get(item["rel"]) == files.get(item["rel"]):
                kept[item["rel"]] = (item, rows)
        changed = sorted(rel for rel, stamp in files.items() if old_files.get(rel) != stamp)
        before: dict[str, tuple[dict[str, Any], np.ndarray]] = {}  # changed files' old rows, by what they encode
        if changed:
            start = 0
            for item in manifest["articles"]:
                before[item["rel"]] = (item, matrix[start : start + item["rows"]])
                start += item["rows"]
        fresh: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for rel, article in read(self.project, changed):
            if indexable(article):
                assert article is not None
                texts = article_texts(article.title, article.questions)
                digest = texts_digest(texts)
                old = before.get(rel)
                if old is not None and old[0].get("texts") == digest and old[0]["rows"] == len(texts):
                    kept[rel] = old  # the same title and phrasings (an edit to the body): the same rows
                else:
                    fresh[rel] = ({"rel": rel, "rows": len(texts), "texts": digest}, texts)
        texts = [text for _, group in fresh.values() for text in group]
        step = progress or (lambda what, done, total: None)
        encoded = half(self.encoder.encode(texts, lambda done, total: step("Encoding articles", done, total)))
        position = 0
        for rel, (item, group) in fresh.items():
            rows = encoded[position : position + len(group)]
            kept[rel] = ({**item, "self": self_parts(rows)}, rows)
            position += len(group)
        order = sorted(kept)
        items = [kept[rel][0] for rel in order]
        if not fresh and items == manifest["articles"] and manifest.get("centres"):
            restamped = self._restamp(manifest, files)  # no row changed: the rows and centres stay as written
            if restamped is not None:
                return restamped
        if fresh and [(item["rel"], item["rows"]) for item in items] == old_layout and manifest.get("centres"):
            patched = self._patch(manifest, files, items, {rel: kept[rel][1] for rel in fresh})
            if patched is not None:
                return patched
        matrix = np.concatenate([kept[rel][1] for rel in order]) if order else np.zeros((0, self.encoder.dim), np.float32)
        return self._write(files, items, matrix), matrix

    def _patch(self, manifest: dict[str, Any], files: Stamps, items: list[dict[str, Any]],
               fresh: dict[str, np.ndarray]) -> tuple[dict[str, Any], np.ndarray] | None:
        """Write FRESH rows (and centres) over the old ones, in place: every article kept its number
        of rows. None when the files cannot be opened for writing (then they are written whole)."""
        import numpy as np

        try:
            rows = np.load(self.dir / MATRIX, mmap_mode="r+", allow_pickle=False)
            centroids = np.load(self.dir / CENTRES, mmap_mode="r+", allow_pickle=False)
        except (OSError, ValueError):
            return None
        start = 0
        for index, item in enumerate(items):
            if item["rel"] in fresh:
                rows[start : start + item["rows"]] = fresh[item["rel"]]
                centroids[index] = centres(fresh[item["rel"]], np.asarray([0, item["rows"]]))[0]
            start += item["rows"]
        rows.flush()
        centroids.flush()
        del rows, centroids
        updated = {**manifest, "files": files, "articles": items}
        try:
            updated["matrix"] = _stamp(self.dir / MATRIX)
            updated["centres"] = _stamp(self.dir / CENTRES)
            _replace(self.dir / MANIFEST, json.dumps(updated, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            self.warn(f"could not keep the article vectors in {self.dir} ({exc.strerror}); they are encoded again next time")
        matrix = self._matrix(updated)
        return (updated, matrix) if matrix is not None else None

    def _restamp(self, manifest: dict[str, Any], files: Stamps) -> tuple[dict[str, Any], np.ndarray] | None:
        """The manifest with the files' new stamps, written, and the rows as they are; None when
        the manifest cannot be written or the rows no longer read as recorded (then they are
        written whole)."""
        updated = {**manifest, "files": files}
        matrix = self._matrix(updated)
        if matrix is None:
            return None
        try:
            _replace(self.dir / MANIFEST, json.dumps(updated, ensure_ascii=False).encode("utf-8"))
        except OSError:
            return None
        return updated, matrix

    def _write(self, files: Stamps, items: list[dict[str, Any]], matrix: np.ndarray) -> dict[str, Any]:
        import numpy as np

        manifest = {"version": VERSION, "model": self.encoder.model_id, "files": files, "articles": items,
                    "rows": len(matrix), "matrix": None, "centres": None}
        bounds = np.asarray([0, *np.cumsum([item["rows"] for item in items])], dtype=np.int64)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            for name, data in ((MATRIX, np.asarray(matrix, dtype=np.float32)), (CENTRES, centres(matrix, bounds))):
                tmp = self.dir / f".{name}.{os.getpid()}"
                with tmp.open("wb") as handle:
                    np.save(handle, data, allow_pickle=False)
                os.replace(tmp, self.dir / name)
            manifest["matrix"] = _stamp(self.dir / MATRIX)
            manifest["centres"] = _stamp(self.dir / CENTRES)
            _replace(self.dir / MANIFEST, json.dumps(manifest, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            self.warn(f"could not keep the article vectors in {self.dir} ({exc.strerror}); they are encoded again next time")
        return manifest

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One updater at a time (the lock is skipped where the cache cannot be written)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            yield
            return
        try:
            _flock(fd)
            yield
        finally:
            os.close(fd)


RECORD_KEY = 16  # bytes of a text's digest


class TextVectors:
    """Vectors of questions by text, for one model: an append-only file of (digest, vector) records.

    A record is written with one `write` under a lock; a torn record left by a killed process is
    cut off before the next append, and never read.
    """

    def __init__(self, project: Project, encoder: Encoder):
        self.encoder = encoder
        self.path = project.cache_dir / FOLDER / f"texts-{encoder.model_id}.bin"
        self.record = RECORD_KEY + 2 * encoder.dim
        self._index: dict[bytes, int] | None = None
        self._rows: Any = None

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=RECORD_KEY).digest()

    def _load(self) -> None:
        import numpy as np

        if self._index is not None:
            return
        try:
            raw = self.path.read_bytes()
        except OSError:
            raw = b""
        whole = len(raw) - len(raw) % self.record
        records = np.frombuffer(raw[:whole], dtype=np.uint8).reshape(-1, self.record)
        keys = records[:, :RECORD_KEY].tobytes()
        self._rows = records[:, RECORD_KEY:].copy().view(np.float16).reshape(len(records), self.encoder.dim)
        # every vector is a unit vector: a record that is not was damaged, and is encoded again
        whole_rows = np.abs(np.linalg.norm(self._rows.astype(np.float32), axis=1) - 1) < 0.01
        self._index = {keys[i * RECORD_KEY : (i + 1) * RECORD_KEY]: i for i in np.flatnonzero(whole_rows).tolist()}

    def lookup(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """The vectors known for TEXTS (float32, zeros where unknown) and the positions still unknown."""
        import numpy as np

        self._load()
        assert self._index is not None
        out = np.zeros((len(texts), self.encoder.dim), dtype=np.float32)
        missing, positions, rows = [], [], []
        index, key = self._index, self.key
        for position, text in enumerate(texts):
            row = index.get(key(text))
            if row is None:
                missing.append(position)
            else:
                positions.append(position)
                rows.append(row)
        if rows:  # one gather: row by row, converting each from float16 cost more than the hashing
            out[positions] = self._rows[rows]
        return out, missing

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep VECTORS for TEXTS (those not kept already); a cache that cannot be written is skipped."""
        import numpy as np

        known = self._index or {}  # not read just to add: a repeated record costs 784 bytes, reading all of them far more
        records = []
        seen: set[bytes] = set()
        for text, vector in zip(texts, vectors):
            key = self.key(text)
            if key not in known and key not in seen:
                seen.add(key)
                records.append(key + np.asarray(vector, dtype=np.float16).tobytes())
        if not records:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError:
            return
        try:
            _flock(fd)
            size = os.fstat(fd).st_size
            if size % self.record:  # a torn record from a killed writer: cut it off
                os.ftruncate(fd, size - size % self.record)
            data = b"".join(records)
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
        except OSError:
            pass  # a full disk costs the next report some encoding, nothing more
        finally:
            os.close(fd)
        self._index = None  # read again (with other writers' records) on the next lookup


def _stamp(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_mtime_ns, info.st_size]


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _flock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one writer is assumed
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
