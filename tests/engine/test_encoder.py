"""The sentence encoder: the original model's vectors, from int8 weights whose checksum is checked."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from kbgen.engine.encoder import Encoder, EncoderError
from tests.conftest import ROOT

REFERENCE = ROOT / "models" / "kbgen-minilm" / "reference" / "vectors.json"


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    return Encoder(tmp_path_factory.mktemp("cache"))


def test_vectors_match_the_original_model(encoder: Encoder) -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    items = reference["items"]
    assert len(items) >= 40
    ours = encoder.encode([item["text"] for item in items])
    theirs = np.asarray([item["embedding"] for item in items], dtype=np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.95 and cosines.mean() >= 0.98, cosines  # int8 weights against fp32 torch
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-3)


def test_tokens_equal_the_original_tokenizer(encoder: Encoder) -> None:
    items = json.loads(REFERENCE.read_text(encoding="utf-8"))["items"]
    for item in items:
        assert encoder.tokenize(item["text"]) == item["input_ids"], item["text"]


def test_order_and_batching_do_not_change_a_vector(encoder: Encoder) -> None:
    texts = ["refund please", "how do I export all my photos to a zip file", "?", "", "é" * 600]
    texts = texts * 4  # more than a small job: encoded side by side on several threads
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode([text])[0] for text in reversed(texts)])[::-1]
    assert np.array_equal(together, alone)  # one text a run: a vector never depends on its batch
    assert encoder.encode([]).shape == (0, encoder.dim)


def test_meaning_not_words(encoder: Encoder) -> None:
    a, b, c = encoder.encode(["you billed me two times, how to get refund", "refund for duplicate payment", "is there a dark mode"])
    assert a @ b > 0.5 > a @ c


def test_a_model_file_that_fails_its_checksum_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kbgen_minilm

    fake = types.ModuleType("kbgen_minilm")
    fake.__dict__.update({k: v for k, v in vars(kbgen_minilm).items() if k.isupper() or k == "__version__"})
    damaged = tmp_path / "model.onnx"
    shutil.copy(kbgen_minilm.MODEL_PATH, damaged)
    with damaged.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\0" * 16)
    fake.MODEL_PATH = str(damaged)
    monkeypatch.setitem(sys.modules, "kbgen_minilm", fake)
    with pytest.raises(EncoderError, match="checksum"):
        Encoder(tmp_path / "cache").encode(["hello"])


def test_a_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kbgen_minilm", None)
    with pytest.raises(EncoderError, match="kbgen-minilm is not installed"):
        Encoder(None)


def test_the_tokenizer_gives_the_ids_of_the_tokenizers_library(encoder: Encoder) -> None:
    """kbgen_minilm's pure-Python WordPiece against the Rust one it replaces at run time."""
    import random

    tokenizers = pytest.importorskip("tokenizers")
    import kbgen_minilm

    from tests.conftest import CLINC

    reference = tokenizers.Tokenizer.from_file(kbgen_minilm.TOKENIZER_PATH)
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "kb").rglob("*.md"))]
    texts += [line for line in (ROOT / "tests" / "data" / "demo_notes.jsonl").read_text(encoding="utf-8").splitlines()]
    if (CLINC / "data_oos_plus.json").exists():
        data = json.loads((CLINC / "data_oos_plus.json").read_text(encoding="utf-8"))
        texts += [text for split in data.values() for text, _ in split][::7]
    rng = random.Random(1)
    blocks = [(32, 126), (0xA0, 0x24F), (0x370, 0x4FF), (0x2000, 0x206F), (0x3000, 0x30FF), (0x1F300, 0x1F64F)]
    texts += ["".join(chr(rng.randint(*rng.choice(blocks))) for _ in range(rng.randint(1, 30))) for _ in range(500)]
    texts += ["[UNK] [CLS] literal", "ΣΑΣ İstanbul ﬁ ½", "x" * 5000, "word " * 600, "\x00nul\ufffd\u2028line\u3000x"]
    differ = [t for t in texts if encoder.tokenize(t) != reference.encode(t).ids]
    assert differ == []


def test_the_cached_copy_of_the_model_gives_the_same_vectors(tmp_path: Path) -> None:
    """The model re-saved with its weights in a side file loads faster and changes no vector; a
    copy whose files changed since it was written is not used."""
    from kbgen.engine import encoder as module

    texts = ["refund please", "how do I export all my photos to a zip file", "?", "", "é" * 600]
    plain = Encoder(None).encode(texts)  # the package's file, no cache
    first = Encoder(tmp_path)
    assert np.array_equal(first.encode(texts), plain)  # this load writes the copy
    assert (tmp_path / module.COPY / module.COPY_WEIGHTS).stat().st_size > 1_000_000
    stamp = first._copy_stamp(first.package.MODEL_PATH, __import__("onnxruntime").__version__)
    assert first._copied(stamp)
    assert np.array_equal(Encoder(tmp_path).encode(texts), plain)  # loaded from the copy
    weights = tmp_path / module.COPY / module.COPY_WEIGHTS
    with weights.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\1" * 16)
    assert not first._copied(stamp)  # changed since written: the package's file is loaded, and copied again
    assert np.array_equal(Encoder(tmp_path).encode(texts), plain)
    assert first._copied(stamp)


def test_a_question_encoded_ahead_in_a_forked_process_gets_the_same_vector(tmp_path: Path) -> None:
    import os

    texts = ["how do I get a refund?", "é" * 600]
    here = Encoder(tmp_path).encode(texts)
    ahead = Encoder(tmp_path)
    ahead.start(texts)
    forked = sys.platform.startswith("linux") and ahead._started is not None
    assert np.array_equal(ahead.encode(texts), here)
    assert ahead._started is None and (not forked or ahead._session is None)  # read from the child, not encoded here
    other = Encoder(tmp_path)
    other.start(["something else"])
    assert np.array_equal(other.encode(texts), here)  # other texts: encoded here; the child is left running ...
    if other._started is not None:
        pid = other._started[0]
        other.close()  # ... until closed, which waits for it
        assert other._started is None
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, 0)


def test_the_vocabulary_read_from_its_text_gives_the_dict_s_ids() -> None:
    """`_Vocabulary` finds a piece in vocab.txt's text until LOOKUPS pieces were asked, then
    builds the dict: both ways give WordPiece's ids, and neither knows what the file does not."""
    import kbgen_minilm
    from kbgen_minilm.wordpiece import WordPiece

    from kbgen.engine.encoder import LOOKUPS, _tokenizer, _Vocabulary

    stock = WordPiece(kbgen_minilm.VOCAB_PATH, kbgen_minilm.MAX_SEQ_LENGTH)
    tokens = list(stock.vocab.items())
    for sample in (tokens[: LOOKUPS // 2], tokens[:: max(len(tokens) // (3 * LOOKUPS), 1)]):
        vocabulary = _Vocabulary(kbgen_minilm.VOCAB_PATH)
        assert [vocabulary[token] for token, _ in sample] == [index for _, index in sample]
        for piece in ("notawordpiece", "##zzqx", "a\nb", "", "[CLS] "):
            assert piece not in vocabulary
            with pytest.raises(KeyError):
                vocabulary[piece]
    texts = ["how do I get a refund?", "Ünïcödé naïve façade", "[UNK] [CLS] x", "x" * 300, "pneumonoultramicroscopic"]
    lazy = _tokenizer(kbgen_minilm.VOCAB_PATH, kbgen_minilm.MAX_SEQ_LENGTH)
    assert [lazy.encode(text) for text in texts] == [stock.encode(text) for text in texts]
