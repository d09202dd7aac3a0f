"""The sentence encoder: all-MiniLM-L6-v2 with int8 weights, run by onnxruntime on the CPU.

The weights and the tokenizer come from the `kbgen-minilm` package (built from the repository's
models/ folder, with its licence, provenance and export script); nothing is downloaded at run
time. The model file's SHA-256 is checked against the package's before its first use on a
machine, and again whenever the file changes (its size, time or inode): a damaged or swapped
file is refused.

Each text is encoded alone. The int8 model quantises activations per run, so a text encoded
beside others would get a vector that depends on them; alone, a question gets the same vector
in `kbgen ask`, in a batch and in the report. Batches keep every core busy with one thread a
core, each running one text at a time (onnxruntime releases the GIL): about 700 short questions
a second on two cores, against about 600 for padded batches.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KbgenError

if TYPE_CHECKING:
    import numpy as np

SMALL = 8  # a job this small runs in the calling thread
MAX_WORKERS = 8
PROGRESS_EVERY = 256
CHECKED = "model-checked.json"  # where a verified model file's stamp is kept


class EncoderError(KbgenError):
    """The encoder cannot run here; the message says what to install or repair."""


class Encoder:
    """Text to unit vectors whose dot products say how alike in meaning two texts are."""

    def __init__(self, cache_dir: Path | None = None):
        try:
            import kbgen_minilm as package
        except ImportError:
            raise EncoderError(
                "the sentence encoder package kbgen-minilm is not installed; install it from the kbgen "
                "repository (pip install models/kbgen-minilm) or choose the lexical engine (KBGEN_ENGINE=lexical)"
            ) from None
        self.package = package
        self.model_id: str = package.MODEL_ID
        self.dim: int = package.EMBEDDING_DIM
        self.cache_dir = cache_dir
        self._session: Any = None
        self._tokenizer: Any = None

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Unit vectors (float32, one row a text) for TEXTS, in order."""
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        run = self._runner()
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        if len(texts) <= SMALL or workers == 1:
            for row, text in enumerate(texts):
                out[row] = run(text)
                if progress and (row + 1) % PROGRESS_EVERY == 0:
                    progress(row + 1, len(texts))
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(workers) as pool:
                for row, vector in enumerate(pool.map(run, texts, chunksize=32)):
                    out[row] = vector
                    if progress and (row + 1) % PROGRESS_EVERY == 0:
                        progress(row + 1, len(texts))
        if progress:
            progress(len(texts), len(texts))
        return out

    def tokenize(self, text: str) -> list[int]:
        """TEXT as the model's token ids: [CLS], word pieces, [SEP], at most MAX_SEQ_LENGTH."""
        return self._runner_parts()[1].encode(text)  # type: ignore[no-any-return]

    def _runner(self) -> Callable[[str], np.ndarray]:
        """One text to its vector: a run of the model on that text alone (no padding)."""
        import numpy as np

        session, tokenizer = self._runner_parts()
        output = [self.package.OUTPUT_NAME]

        def run(text: str) -> np.ndarray:
            ids = np.asarray([tokenizer.encode(text)], dtype=np.int64)
            return session.run(output, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]  # type: ignore[no-any-return]

        return run

    def _runner_parts(self) -> tuple[Any, Any]:
        if self._session is None:
            self._session = self._load()
        if self._tokenizer is None:
            from kbgen_minilm.wordpiece import WordPiece

            self._tokenizer = WordPiece(self.package.VOCAB_PATH, self.package.MAX_SEQ_LENGTH)
        return self._session, self._tokenizer

    def _load(self) -> Any:
        """The onnxruntime session: one thread a run (batches run texts side by side instead)."""
        import onnxruntime as ort

        path = self.package.MODEL_PATH
        self._verify(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # optimised when exported
        options.log_severity_level = 3
        try:
            return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own kinds on a damaged file
            raise EncoderError(f"the encoder model {path} cannot be loaded ({exc}); reinstall kbgen-minilm") from None

    def _verify(self, path: str) -> None:
        """Refuse a model file whose SHA-256 is not the package's; remember a verified file by its stamp."""
        info = os.stat(path)
        stamp = [info.st_size, info.st_mtime_ns, info.st_ino, self.package.MODEL_SHA256]
        memo = self.cache_dir / CHECKED if self.cache_dir else None
        if memo is not None:
            try:
                if json.loads(memo.read_text(encoding="utf-8")) == stamp:
                    return
            except (OSError, ValueError):
                pass
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != self.package.MODEL_SHA256:
            raise EncoderError(
                f"the encoder model {path} does not match its checksum (damaged or replaced); reinstall kbgen-minilm"
            )
        if memo is not None:
            try:
                memo.parent.mkdir(parents=True, exist_ok=True)
                tmp = memo.with_name(f".{CHECKED}.{os.getpid()}")
                tmp.write_text(json.dumps(stamp), encoding="utf-8")
                os.replace(tmp, memo)
            except OSError:
                pass  # checked again next time
