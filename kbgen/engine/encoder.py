"""The sentence encoder: all-MiniLM-L6-v2 with int8 weights, run by onnxruntime on the CPU.

The weights and the tokenizer come from the `kbgen-minilm` package (built from the repository's
models/ folder, with its licence, provenance and export script); nothing is downloaded at run
time. The model file's SHA-256 is checked against the package's before its first use on a
machine, and again whenever the file changes (its size, time or inode): a damaged or swapped
file is refused.

The model is one protobuf file whose weights onnxruntime parses and copies at every load (about
half of a single `kbgen ask`'s 50 ms for the session). The first load saves it again in the cache
folder with the weights in a side file, which later loads read directly: the same graph and
weights (the same vectors), loaded in about 20 ms. The copy is used only while its files keep the
stamps recorded when it was written, for the verified model file and this onnxruntime.

A single question (`kbgen ask`, `kbgen log`) waits for onnxruntime's import and the model's load
(about 60 ms) as well as for the indexes' modules and files (about as long). `start` runs the
first on the other core: a forked process encodes the question, exactly as `encode` would here,
while this one opens the indexes; `encode` of the same texts then reads the vectors from it. Any
failure there (a damaged model, no fork) only means `encode` does the work here, as before.

Each text is encoded alone. The int8 model quantises activations per run, so a text encoded
beside others would get a vector that depends on them; alone, a question gets the same vector
in `kbgen ask`, in a batch and in the report. Batches keep every core busy with one thread a
core, each running one text at a time (onnxruntime releases the GIL): about 700 short questions
a second on two cores, against about 600 for padded batches.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import KbgenError
from ..text import without_placeholders

if TYPE_CHECKING:
    import numpy as np

SMALL = 8  # a job this small runs in the calling thread
MAX_WORKERS = 8
PROGRESS_EVERY = 256
CHECKED = "model-checked.json"  # where a verified model file's stamp is kept
COPY = "model"  # the cache's copy of the model, its weights in a side file ...
COPY_WEIGHTS = "model.data"
COPIED = "model-copied.json"  # ... and the stamps it was written with


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
        self._started: tuple[int, int, list[str]] | None = None  # a forked encoding: (pid, pipe, texts)

    def start(self, texts: Sequence[str]) -> None:
        """Begin encoding a few TEXTS in a forked process (see the module docstring); nothing when
        the model is already loaded here, when this process runs other threads (native ones
        included: a fork copies only the calling thread) or is not on Linux."""
        texts = list(texts)
        if self._started is not None or self._session is not None or not texts or len(texts) > SMALL:
            return
        if not sys.platform.startswith("linux") or _threads() != 1:  # fork without exec: Linux, one thread
            return
        try:
            read, write = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: encode, send the rows, and leave without running the parent's exit code
            status = 1
            try:
                os.close(read)
                quiet = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(quiet, fd)
                view = memoryview(self.encode(texts).tobytes())
                while view:
                    view = view[os.write(write, view) :]
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._started = (pid, read, texts)

    def _collect(self, texts: Sequence[str]) -> np.ndarray | None:
        """The forked process's vectors if it encoded exactly TEXTS and succeeded, else None."""
        if self._started is None:
            return None
        import numpy as np

        pid, read, started = self._started
        self._started = None
        chunks = []
        try:
            while chunk := os.read(read, 1 << 16):
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            os.close(read)
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 1
        data = b"".join(chunks)
        if status != 0 or list(texts) != started or len(data) != len(started) * self.dim * 4:
            return None
        return np.frombuffer(data, dtype=np.float32).reshape(len(started), self.dim).copy()

    def close(self) -> None:
        """Wait for a forked encoding nobody collected."""
        self._collect([])

    def encode(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Unit vectors (float32, one row a text) for TEXTS, in order."""
        import numpy as np

        started = self._collect(texts) if self._started is not None and list(texts) == self._started[2] else None
        if started is not None:
            if progress:
                progress(len(texts), len(texts))
            return started
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
            self._tokenizer = _tokenizer(self.package.VOCAB_PATH, self.package.MAX_SEQ_LENGTH)
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
        copy = self._copy_stamp(path, ort.__version__)
        if copy is not None and self._copied(copy):
            try:
                return ort.InferenceSession(str(self.cache_dir / COPY / "model.onnx"), sess_options=options,
                                            providers=["CPUExecutionProvider"])
            except Exception:  # a copy that cannot load: the package's file below, and a new copy
                pass
        if copy is not None:
            tmp = self.cache_dir / f".{COPY}.{os.getpid()}"  # type: ignore[operator]
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                tmp.mkdir(parents=True)
                saving = ort.SessionOptions()
                for name in ("intra_op_num_threads", "inter_op_num_threads", "graph_optimization_level", "log_severity_level"):
                    setattr(saving, name, getattr(options, name))
                saving.optimized_model_filepath = str(tmp / "model.onnx")  # saved as loaded: no optimisation
                saving.add_session_config_entry("session.optimized_model_external_initializers_file_name", COPY_WEIGHTS)
                saving.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
                session = ort.InferenceSession(path, sess_options=saving, providers=["CPUExecutionProvider"])
                self._keep_copy(tmp, copy)
                return session
            except Exception:  # a cache that cannot be written (or a damaged file: said below)
                shutil.rmtree(tmp, ignore_errors=True)
        try:
            return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own kinds on a damaged file
            raise EncoderError(f"the encoder model {path} cannot be loaded ({exc}); reinstall kbgen-minilm") from None

    def _copy_stamp(self, path: str, runtime: str) -> list[Any] | None:
        """What the cache's copy must have been written from: the model file (as verified) and the runtime."""
        if self.cache_dir is None:
            return None
        info = os.stat(path)
        return [info.st_size, info.st_mtime_ns, info.st_ino, self.package.MODEL_SHA256, runtime]

    def _copied(self, copy: list[Any]) -> bool:
        """The cache's copy was written from COPY's model and runtime, and its files are as written."""
        folder = self.cache_dir / COPY  # type: ignore[operator]
        try:
            memo = json.loads((self.cache_dir / COPIED).read_text(encoding="utf-8"))  # type: ignore[operator]
            return memo == {"from": copy, "files": _stamps(folder)}
        except (OSError, ValueError):
            return False

    def _keep_copy(self, tmp: Path, copy: list[Any]) -> None:
        """Put the copy just written in TMP in place, and record its files' stamps; any failure
        leaves no copy (the next load makes one)."""
        folder = self.cache_dir / COPY  # type: ignore[operator]
        memo = self.cache_dir / COPIED  # type: ignore[operator]
        try:
            memo.unlink(missing_ok=True)
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
            note = memo.with_name(f".{COPIED}.{os.getpid()}")
            note.write_text(json.dumps({"from": copy, "files": _stamps(folder)}), encoding="utf-8")
            os.replace(note, memo)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)

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
        import hashlib

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


def _stamps(folder: Path) -> list[list[int]]:
    """[size, mtime_ns, inode] of the copy's two files (OSError when one is missing)."""
    found = []
    for name in ("model.onnx", COPY_WEIGHTS):
        info = os.stat(folder / name)
        found.append([info.st_size, info.st_mtime_ns, info.st_ino])
    return found


LOOKUPS = 256  # word pieces looked up in the vocabulary's text before its dict is built


class _Vocabulary:
    """WordPiece's vocabulary (vocab.txt: a token a line, its id the line number) as the tokeniser
    reads it, `in` and `[]`. One question looks up a few dozen pieces: each is found in the
    file's text (tens of microseconds) instead of first building the 30,522-entry dict (8 to
    10 ms of a single `kbgen ask`); past LOOKUPS pieces (a batch) the dict is built after all."""

    def __init__(self, path: str):
        with open(path, encoding="utf-8") as handle:
            text = handle.read().rstrip("\n")
        self._text = "\n" + text + "\n"  # every token between two newlines
        self._found: dict[str, int] = {}
        self._all: dict[str, int] | None = None

    def _id(self, piece: str) -> int:
        if self._all is not None:
            return self._all.get(piece, -1)
        found = self._found.get(piece)
        if found is None:
            if len(self._found) >= LOOKUPS:
                tokens = self._text[1:-1].split("\n")
                self._all = dict(zip(tokens, range(len(tokens))))
                return self._all.get(piece, -1)
            at = self._text.find("\n" + piece + "\n") if "\n" not in piece else -1
            found = self._found[piece] = self._text.count("\n", 0, at) if at >= 0 else -1
        return found

    def __contains__(self, piece: object) -> bool:
        return isinstance(piece, str) and self._id(piece) >= 0

    def __getitem__(self, piece: str) -> int:
        found = self._id(piece)
        if found < 0:
            raise KeyError(piece)
        return found


def _tokenizer(vocab_path: str, max_len: int) -> Any:
    """kbgen_minilm's WordPiece over a `_Vocabulary` instead of a dict built at once (the same ids)."""
    from kbgen_minilm.wordpiece import WordPiece

    class Tokenizer(WordPiece):  # type: ignore[misc]
        def __init__(self) -> None:  # WordPiece.__init__, but for the vocabulary
            self.vocab = _Vocabulary(vocab_path)
            self.max_len, self.cache = max_len, {}
            self.unk, self.cls, self.sep = self.vocab["[UNK]"], self.vocab["[CLS]"], self.vocab["[SEP]"]

    return Tokenizer()


def _threads() -> int:
    """This process's threads, native ones included (0 when unknown)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def encoder_text(text: str) -> str:
    """What the encoder is given of TEXT: redaction placeholders left out, spaces collapsed."""
    return " ".join(without_placeholders(text).split())
