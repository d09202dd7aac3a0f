"""Lookup quality of `kbgen ask -` on CLINC150 (issues 4 and 10).

One article per intent (title from the intent name, `questions` = its first 10 train queries,
nothing else); all 4,500 in-scope test queries and the 1,000 out-of-scope test queries go
through `kbgen ask - --limit 5` in one process, with the default (semantic) engine and, as
baselines in the same run, the lexical engine (KBGEN_ENGINE=lexical) and whoosh's BM25F with
default settings. Reports top-1 and top-5 accuracy, the share of out-of-scope queries
answered=false while the share of in-scope queries with a correct top-1 and answered=true, and
the whole trade-off between the two over the answered threshold.

Settings were chosen on train/validation only; this script is the only place the test split
is used. `--split val` runs the same measurement on the validation split.
"""

from __future__ import annotations

import argparse
import json
import os
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
        runs = {}
        for engine in ("semantic", "lexical"):
            env = {**os.environ, "KBGEN_ENGINE": engine}
            subprocess.run([sys.executable, "-m", "kbgen", "ask", "build the indexes"], cwd=root, env=env, capture_output=True)
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "kbgen", "ask", "-", "--limit", "5"], cwd=root, input=lines,
                                  capture_output=True, text=True, env=env)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            runs[engine] = ([json.loads(line) for line in done.stdout.splitlines()], elapsed)
        (Path(tmp) / "baseline").mkdir()
        base = baseline(Path(tmp) / "baseline", root / "kb", [q for q, _ in in_scope])
    truth = [intent.replace("_", "-") for _, intent in in_scope]
    b1 = sum(r[:1] == [t] for r, t in zip(base, truth)) / len(truth)
    b5 = sum(t in r[:5] for r, t in zip(base, truth)) / len(truth)
    print(f"CLINC150 {args.split}: {len(intents)} articles, {len(in_scope)} in-scope + {len(oos)} out-of-scope queries")
    print("                               top-1   top-5   OOS answered=false   in-scope correct & answered=true")
    print(f"whoosh default (baseline)     {b1:6.3f}  {b5:6.3f}")
    for engine in ("lexical", "semantic"):
        answers, elapsed = runs[engine]
        ours = [[r["slug"] for r in a["results"]] for a in answers[: len(in_scope)]]
        top1 = sum(r[:1] == [t] for r, t in zip(ours, truth)) / len(truth)
        top5 = sum(t in r[:5] for r, t in zip(ours, truth)) / len(truth)
        right = sum(a["answered"] and r[:1] == [t] for a, r, t in zip(answers, ours, truth)) / len(truth)
        rejected = sum(not a["answered"] for a in answers[len(in_scope) :]) / len(oos)
        label = "kbgen ask, lexical (baseline)" if engine == "lexical" else "kbgen ask, semantic"
        print(f"{label:<29} {top1:6.3f}  {top5:6.3f}   {rejected:18.3f}   {right:.3f}"
              f"   ({len(answers) / elapsed:.0f} questions/s, start-up included)")
    print("targets (issue 10)              0.88    0.97               >= 0.85   >= 0.80")
    answers, _ = runs["semantic"]
    best = [a["results"][0]["score"] if a["results"] else 0.0 for a in answers]
    ours = [[r["slug"] for r in a["results"]] for a in answers[: len(in_scope)]]
    print("\nsemantic: the trade-off over a threshold on the first result's score (S; the engine itself decides on")
    print("that article's F, its row is marked *)")
    print("  threshold   OOS answered=false   in-scope correct & answered")
    from kbgen.engine.semantic import SETTINGS

    topical = [bool(a["results"]) for a in answers]  # a question that names no topic gets no results
    for threshold in [round(0.40 + 0.02 * k, 2) for k in range(8)]:
        rejected = sum(not (t and b >= threshold) for t, b in zip(topical[len(in_scope) :], best[len(in_scope) :])) / len(oos)
        right = sum(t and b >= threshold and r[:1] == [g] for t, b, r, g in zip(topical, best, ours, truth)) / len(truth)
        print(f"  {threshold:8.4f}   {rejected:18.3f}   {right:.3f}")
    rejected = sum(not a["answered"] for a in answers[len(in_scope) :]) / len(oos)
    right = sum(a["answered"] and r[:1] == [g] for a, r, g in zip(answers, ours, truth)) / len(truth)
    print(f"  F {SETTINGS['answered']:6.4f}*  {rejected:18.3f}   {right:.3f}")

if __name__ == "__main__":
    main()
