"""Check kbgen_minilm.wordpiece against the `tokenizers` library (pip install tokenizers) and vectors.json.

    PYTHONPATH=models/kbgen-minilm python models/kbgen-minilm/reference/check_wordpiece.py [data_oos_plus.json]
"""
import json
import random
import sys
import time
from pathlib import Path

from tokenizers import Tokenizer

import kbgen_minilm as km
from kbgen_minilm.wordpiece import WordPiece

here = Path(__file__).resolve().parent
wp, tk = WordPiece(km.VOCAB_PATH, km.MAX_SEQ_LENGTH), Tokenizer.from_file(km.TOKENIZER_PATH)
items = json.loads((here / "vectors.json").read_text(encoding="utf-8"))["items"]
texts = [it["text"] for it in items]
assert all(wp.encode(it["text"]) == it["input_ids"] for it in items), "vectors.json ids differ"
clinc = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/clinc150/data_oos_plus.json")
if clinc.exists():
    texts += [t for split in json.loads(clinc.read_text()).values() for t, _ in split]
rng = random.Random(1)
blocks = [(32, 126), (0xA0, 0x24F), (0x370, 0x4FF), (0x2000, 0x206F), (0x3000, 0x30FF), (0x4E00, 0x4F00), (0x1F300, 0x1F64F)]
for _ in range(2000):
    texts.append("".join(chr(rng.randint(*rng.choice(blocks))) for _ in range(rng.randint(1, 30))))
texts += ["[UNK] [CLS] literal", "ΣΑΣ İstanbul ﬁ ½", "x" * 5000, "word " * 600, "\x00nul\ufffd\u2028line\u3000x"]
t = time.perf_counter()
bad = [x for x in texts if wp.encode(x) != tk.encode(x).ids]
print(f"{len(texts)} texts, {len(bad)} differ ({time.perf_counter() - t:.1f} s)")
for x in bad[:5]:
    print(repr(x), wp.encode(x), tk.encode(x).ids)
sys.exit(1 if bad else 0)
