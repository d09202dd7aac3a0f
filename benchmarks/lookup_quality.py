"""Lookup quality of `kbgen ask -` on CLINC150 (issue 4).

One article per intent (title from the intent name, `questions` = its first 10 train queries,
nothing else); all 4,500 in-scope test queries and the 1,000 out-of-scope test queries go
through `kbgen ask - --limit 5` in one process. Reports top-1 and top-5 accuracy, the share
of out-of-scope queries answered=false, and the share of correct top-1 in-scope queries
answered=true. Baseline, measured in the same run: whoosh BM25F with default settings over
title and phrasings (the issue measured top-1 0.76, top-5 0.93).

Settings were chosen on train/validation only; this script is the only place the test split
is used. `--split val` runs the same measurement on the validation split.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import clinc, clinc_kb  # noqa: E402


def baseline(root: Path, kb: Path, queries: list[str]) -> list[list[str]]:
    """Default whoosh: BM25F over title + phrasings, OR query, standard analyzer."""
    from whoosh import fields, index, qparser

    schema = fields.Schema(slug=fields.ID(stored=True), title=fields.TEXT, questions=fields.TEXT)
    ix = index.create_in(str(root), schema)
    writer = ix.writer()
    for path in sorted((kb / "intents").glob("*.md")):
        text = path.read_text()
        title = json.loads(text.split("title: ", 1)[1].split("\n", 1)[0])
        qs = [json.loads(line[4:]) for line in text.splitlines() if line.startswith("  - ")]
        writer.add_document(slug=path.stem, title=title, questions="\n".join(qs))
    writer.commit()
    parser = qparser.MultifieldParser(["title", "questions"], ix.schema, group=qparser.OrGroup)
    results = []
    with ix.searcher() as searcher:
        for q in queries:
            hits = searcher.search(parser.parse(q), limit=5)
            results.append([h["slug"] for h in hits])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=["test", "val"], default="test")
    args = parser.parse_args()
    data = clinc()
    if data is None:
        print("CLINC150 not found at ../shared/data/clinc150; skipping")
        return
    intents = sorted({intent for _, intent in data["train"]})
    in_scope = data[args.split]
    oos = data[f"oos_{args.split}"]
    with tempfile.TemporaryDirectory() as tmp:
        root = clinc_kb(Path(tmp) / "clinc-kb", intents)
        lines = "".join(json.dumps({"question": q, "id": i}) + "\n" for i, (q, _) in enumerate(in_scope + oos))
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kbgen", "ask", "-", "--limit", "5"], cwd=root, input=lines,
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        answers = [json.loads(line) for line in done.stdout.splitlines()]
        (Path(tmp) / "baseline").mkdir()
        base = baseline(Path(tmp) / "baseline", root / "kb", [q for q, _ in in_scope])
    truth = [intent.replace("_", "-") for _, intent in in_scope]
    ours = [[r["slug"] for r in a["results"]] for a in answers[: len(in_scope)]]
    top1 = sum(r[:1] == [t] for r, t in zip(ours, truth)) / len(truth)
    top5 = sum(t in r[:5] for r, t in zip(ours, truth)) / len(truth)
    b1 = sum(r[:1] == [t] for r, t in zip(base, truth)) / len(truth)
    b5 = sum(t in r[:5] for r, t in zip(base, truth)) / len(truth)
    correct = [a for a, r, t in zip(answers, ours, truth) if r[:1] == [t]]
    accepted = sum(a["answered"] for a in correct) / max(len(correct), 1)
    rejected = sum(not a["answered"] for a in answers[len(in_scope) :]) / len(oos)
    print(f"CLINC150 {args.split}: {len(intents)} articles, {len(in_scope)} in-scope + {len(oos)} out-of-scope queries")
    print("                      top-1   top-5")
    print(f"whoosh default       {b1:6.3f}  {b5:6.3f}   (baseline, same run)")
    print(f"kbgen ask            {top1:6.3f}  {top5:6.3f}   (targets 0.85 / 0.97)")
    print(f"out-of-scope answered=false: {rejected:.3f} (aim >= 0.6)")
    print(f"correct top-1 answered=true: {accepted:.3f} (aim >= 0.9)")
    print(f"throughput: {len(answers) / elapsed:.0f} questions/s including start-up ({elapsed:.1f} s)")


if __name__ == "__main__":
    main()
