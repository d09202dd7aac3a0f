"""Gap tracking on CLINC150 (issues 5 and 10): matching and grouping quality, stability, report speed.

Quality: articles for 100 intents (10 train phrasings each; the other 50 intents, drawn with a
fixed seed, have no article); the 4,500 in-scope test queries of all 150 intents are logged as
notes through `kbgen log -`, then `kbgen report --json` is read back:

- notes of covered intents: the share listed under findability for their own article;
- notes of uncovered intents: the share left open in gaps, and NMI/ARI of those gaps against
  the true intents, with the number of gaps of two or more notes;
- the whole trade-off between the first two over the findability threshold (in-process).

Baselines in the same run: the lexical engine (KBGEN_ENGINE=lexical) through the same commands,
and, on the same uncovered notes, TF-IDF over words with average-linkage clustering (scipy).
Settings were chosen on train and validation, never on test.

Stability: the demo's notes are grouped, then again with one to four new notes; ARI between the
old notes' groups before and after (needs no CLINC150). The lexical engine, whose LSA basis is
refitted on every report, is the baseline (six seeds of its random start).

Speed: `kbgen report --json` on 10,000 to 100,000 notes generated from CLINC150 phrasings with
light noise (case, punctuation, a typo, a greeting), written straight into gaps/ as a log would
be: first with nothing cached (every question encoded once: progress and time reported), then
with the questions' vectors cached but no match cache (the target), then warm; medians of three
runs, with peak memory; the baseline is reading the same log with kbgen's reader.

    python benchmarks/gaps.py [--quality-only | --speed-only | --stability] [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import clinc, clinc_kb, median  # noqa: E402

KBGEN = str(Path(sys.executable).with_name("kbgen"))
AGENTS = ["maya", "tom", "priya", "lucas", "aiko", "sam"]


def split_intents(data: dict) -> tuple[list[str], list[str]]:
    intents = sorted({intent for _, intent in data["train"]})
    uncovered = set(random.Random(0).sample(intents, 50))
    return [i for i in intents if i not in uncovered], sorted(uncovered)


def note_time(i: int, total: int) -> str:
    """Spread notes evenly over the 12 weeks from 2026-08-24 to 2026-11-16."""
    start = 1_787_529_600  # 2026-08-24T00:00:00Z
    seconds = int(start + 84 * 86400 * i / max(total, 1))
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc (shared pages counted twice)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(status.split("VmRSS:", 1)[1].split()[0]) if "VmRSS:" in status else 0
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


def run(args: list[str], cwd: Path, stdin: str | None = None, env: dict | None = None) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; return it, its wall time and its peak memory in MiB (the whole process tree,
    sampled every 20 ms: workers it forks count too)."""
    import threading

    peak = [0.0]
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], _tree_rss_mib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate(stdin)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err[-2000:]}")
    return subprocess.CompletedProcess(args, proc.returncode, out, err), wall, peak[0]


# --- quality ----------------------------------------------------------------------------------


def quality(data: dict, engine: str = "semantic") -> dict:
    """The figures above for ENGINE, through the real commands."""
    covered, uncovered = split_intents(data)
    env = {**os.environ, "KBGEN_ENGINE": engine}
    with tempfile.TemporaryDirectory() as tmp:
        root = clinc_kb(Path(tmp) / "kb150", covered)
        slug = {i: i.replace("_", "-") for i in covered}
        tests = data["test"]
        rng = random.Random(5)
        lines = [
            json.dumps({"id": f"T{n:05d}", "question": q, "answer": "We answered in chat.", "agent": rng.choice(AGENTS),
                        "channel": "chat", "time": note_time(n, len(tests))})
            for n, (q, intent) in enumerate(tests)
        ]
        _, log_s, _ = run([KBGEN, "log", "-"], root, "\n".join(lines) + "\n", env)
        done, report_s, _ = run([KBGEN, "report", "--json", "--as-of", "2026-11-21"], root, env=env)
        report = json.loads(done.stdout)
        curve = tradeoff(root, tests, slug) if engine == "semantic" else []

    truth = {f"T{n:05d}": intent for n, (_, intent) in enumerate(tests)}
    found = {i: f["slug"] for f in report["findability"] for i in f["note_ids"]}
    gap_of = {i: g["id"] for g in report["gaps"] for i in g["note_ids"]}
    cov = [i for i, intent in truth.items() if intent in slug]
    unc = [i for i, intent in truth.items() if intent not in slug]
    right = sum(1 for i in cov if found.get(i) == slug[truth[i]])
    left_open = [i for i in unc if i in gap_of]
    y = [truth[i] for i in left_open]
    labels = [gap_of[i] for i in left_open]
    sizes = Counter(g["size"] for g in report["gaps"])
    big_gaps = sum(c for s, c in sizes.items() if s >= 2)
    unc_gaps = {gap_of[i] for i in left_open}
    unc_big = sum(1 for g in report["gaps"] if g["id"] in unc_gaps and g["size"] >= 2)
    return {
        "engine": engine,
        "notes": len(tests),
        "log_s": round(log_s, 2),
        "report_s": round(report_s, 2),
        "covered_matched_right": round(right / len(cov), 4),
        "uncovered_left_open": round(len(left_open) / len(unc), 4),
        "nmi": round(nmi(y, labels), 4),
        "ari": round(ari(y, labels), 4),
        "gaps_size2plus_all": big_gaps,
        "gaps_size2plus_with_uncovered_notes": unc_big,
        "tradeoff": curve,
    }


def tradeoff(root: Path, tests: list, slug: dict) -> list[dict]:
    """Covered notes matched right and uncovered notes left open, over the findability threshold
    (the engine's own decisions, all notes together as the report makes them, in-process, for
    each threshold)."""
    from kbgen.engine import open_engine
    from kbgen.engine.semantic import SETTINGS
    from kbgen.project import Project

    engine = open_engine(Project.load(root), kind="semantic")
    questions = [q for q, _ in tests]
    chosen = SETTINGS["covered"]
    answers = engine.ask_many(questions, limit=1)
    vectors = engine.vectors(questions)
    rows = []
    for threshold in sorted({round(chosen, 4), *[round(0.72 + 0.02 * k, 2) for k in range(11)]}):
        engine.settings["covered"] = threshold
        decided = engine.covered(answers, vectors)
        cov = [(a, d, intent) for a, d, (_, intent) in zip(answers, decided, tests) if intent in slug]
        unc = [d for d, (_, intent) in zip(decided, tests) if intent not in slug]
        right = sum(d and a.best is not None and a.best.slug == slug[i] for a, d, i in cov) / len(cov)
        left_open = sum(not d for d in unc) / len(unc)
        rows.append({"threshold": threshold, "chosen": threshold == round(chosen, 4),
                     "covered_matched_right": round(right, 4), "uncovered_left_open": round(left_open, 4)})
    engine.close()
    return rows


def clustering_baseline(data: dict) -> dict:
    """Grouping alone, on all the uncovered notes (as if matching were perfect): the semantic
    engine's, the lexical engine's, and TF-IDF with scipy's average linkage (the baseline)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from kbgen.cluster import _tfidf
    from kbgen.engine import open_engine
    from kbgen.project import Project

    covered, _ = split_intents(data)
    texts = [q for q, intent in data["test"] if intent not in covered]
    truth = [intent for _, intent in data["test"] if intent not in covered]
    result: dict = {"notes": len(texts)}
    with tempfile.TemporaryDirectory() as tmp:
        root = clinc_kb(Path(tmp) / "kb", covered)
        for engine in ("semantic", "lexical"):
            opened = open_engine(Project.load(root), kind=engine)
            labels = opened.group(opened.vectors(texts))
            opened.close()
            big = sum(1 for c in Counter(labels).values() if c >= 2)
            result[engine] = {"nmi": round(nmi(truth, labels), 4), "ari": round(ari(truth, labels), 4), "gaps_size2plus": big}
    started = time.perf_counter()
    matrix = _tfidf([re.findall(r"\w+", t.lower()) for t in texts])[0].toarray()
    base = list(fcluster(linkage(matrix, method="average", metric="cosine"), t=0.85, criterion="distance"))
    result["tfidf_average_linkage"] = {"nmi": round(nmi(truth, base), 4), "ari": round(ari(truth, base), 4),
                                       "gaps_size2plus": sum(1 for c in Counter(base).values() if c >= 2),
                                       "seconds": round(time.perf_counter() - started, 2)}
    return result


def _contingency(a: list, b: list) -> tuple[Counter, Counter, Counter]:
    return Counter(zip(a, b)), Counter(a), Counter(b)


def nmi(a: list, b: list) -> float:
    """Normalized mutual information (arithmetic mean normalisation, as scikit-learn's default)."""
    n = len(a)
    joint, ca, cb = _contingency(a, b)
    mi = sum(c / n * math.log(c * n / (ca[x] * cb[y])) for (x, y), c in joint.items())
    ha = -sum(c / n * math.log(c / n) for c in ca.values())
    hb = -sum(c / n * math.log(c / n) for c in cb.values())
    return mi / ((ha + hb) / 2) if ha + hb else 1.0


def ari(a: list, b: list) -> float:
    """Adjusted Rand index."""
    joint, ca, cb = _contingency(a, b)
    pairs = lambda k: k * (k - 1) / 2  # noqa: E731
    index = sum(pairs(c) for c in joint.values())
    sa, sb = sum(pairs(c) for c in ca.values()), sum(pairs(c) for c in cb.values())
    expected = sa * sb / pairs(len(a))
    top = (sa + sb) / 2
    return (index - expected) / (top - expected) if top != expected else 1.0


# --- speed ------------------------------------------------------------------------------------


def noisy(text: str, rng: random.Random) -> str:
    """A CLINC150 phrasing as an agent might paste it: case, punctuation, a typo, a greeting."""
    if rng.random() < 0.3:
        text = text.capitalize()
    if rng.random() < 0.3:
        text += rng.choice(["?", "??", ".", " please", " thanks"])
    if rng.random() < 0.15:
        text = rng.choice(["hi, ", "hello ", "quick question: "]) + text
    if rng.random() < 0.2 and len(text) > 6:
        i = rng.randrange(1, len(text) - 2)
        text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def write_log(root: Path, total: int, data: dict, seed: int = 11) -> None:
    """TOTAL notes, as `kbgen log` stores them, straight into monthly shards."""
    rng = random.Random(seed)
    pool = data["train"] + data["val"] + data["test"]
    gaps = root / "gaps"
    gaps.mkdir(exist_ok=True)
    for shard in gaps.glob("*.jsonl"):
        shard.unlink()
    handles: dict[str, object] = {}
    for n in range(total):
        question, _ = pool[rng.randrange(len(pool))]
        moment = note_time(n, total)
        record = {"type": "note", "id": f"B{n:07d}", "time": moment, "question": noisy(question, rng),
                  "answer": "answered in chat", "agent": rng.choice(AGENTS), "channel": "chat", "answered": False}
        shard = moment[:7]
        if shard not in handles:
            handles[shard] = (gaps / f"{shard}.jsonl").open("w", encoding="utf-8")
        handles[shard].write(json.dumps(record, separators=(",", ":")) + "\n")  # type: ignore[attr-defined]
    for handle in handles.values():
        handle.close()  # type: ignore[attr-defined]


def speed(data: dict, sizes: list[int]) -> list[dict]:
    covered, _ = split_intents(data)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = clinc_kb(Path(tmp) / "kb", covered)
        reader = "from kbgen.notes import NoteLog; import sys; print(len(NoteLog(__import__('pathlib').Path('gaps')).read()))"
        run([KBGEN, "ask", "build the indexes first"], root)  # not part of any report's time
        cache = root / ".kbgen-cache"
        for total in sizes:
            write_log(root, total, data)
            for stale in ("matches.json", "gap-ids.json", "vectors/texts-all-MiniLM-L6-v2-int8-1.bin"):
                (cache / stale).unlink(missing_ok=True)
            for stale in cache.glob("vectors/texts-*.bin"):
                stale.unlink()
            _, base_s, base_mib = run([sys.executable, "-c", reader], root)
            # nothing cached: every distinct question is encoded once (kept for later reports)
            _, first_s, first_mib = run([KBGEN, "report", "--json"], root)
            cold = []
            for _ in range(3):  # vectors cached, matches not: what a report costs after kb/ changed
                (cache / "matches.json").unlink(missing_ok=True)
                cold.append(run([KBGEN, "report", "--json"], root))
            cold_s, cold_mib = median([c[1] for c in cold]), max(c[2] for c in cold)
            warm = [run([KBGEN, "report", "--json"], root) for _ in range(3)]
            warm_s = median([w[1] for w in warm])
            warm_mib = max(w[2] for w in warm)
            rows.append({"notes": total, "read_s": round(base_s, 2), "first_s": round(first_s, 1), "first_mib": round(first_mib),
                         "cold_s": round(cold_s, 2), "warm_s": round(warm_s, 2),
                         "peak_mib": round(max(cold_mib, warm_mib)), "read_mib": round(base_mib)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


# --- stability ------------------------------------------------------------------------------


EXTRA = ["can my team share a calendar in cos", "camera upload stopped on my pixel",
         "how do I merge two accounts", "invoice shows wrong vat number"]


def stability(seeds: int = 6) -> dict:
    """ARI of the demo's old notes' groups before and after one to four new notes, per engine."""
    import shutil

    from kbgen import cluster
    from kbgen.engine import open_engine
    from kbgen.engine.lexical import stem_words
    from kbgen.notes import NoteLog
    from kbgen.project import Project
    from kbgen.text import without_placeholders

    root = Path(__file__).resolve().parent.parent
    notes = sorted(NoteLog(root / "gaps").read(), key=lambda n: (n.time, n.id))
    texts = [n.question for n in notes]
    result: dict = {"notes": len(texts)}
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(root / "kb", Path(tmp) / "kb")
        shutil.copy(root / "mkdocs.yml", Path(tmp) / "mkdocs.yml")
        engine = open_engine(Project.load(Path(tmp)), kind="semantic")
        vectors = engine.vectors(texts + EXTRA)
        before = engine.group(vectors[: len(texts)])
        scores = [ari(before, engine.group(vectors[: len(texts) + k])[: len(texts)]) for k in range(1, len(EXTRA) + 1)]
        engine.close()
    result["semantic_mean_ari"] = round(sum(scores) / len(scores), 3)
    result["semantic_min_ari"] = round(min(scores), 3)
    result["report"] = report_stability(root, notes)
    scores = []
    plain = [without_placeholders(t) for t in texts]
    for seed in range(seeds):  # the lexical engine's grouping: its LSA basis is refitted with the new notes
        settings = cluster.Settings(seed=seed)
        old = cluster.cluster(cluster.features(plain, stem_words, settings), cluster.settings_for(len(plain), settings))
        for k in range(1, len(EXTRA) + 1):
            grown = plain + EXTRA[:k]
            new = cluster.cluster(cluster.features(grown, stem_words, settings), cluster.settings_for(len(grown), settings))
            scores.append(ari(old, new[: len(plain)]))
    result["lexical_baseline_mean_ari"] = round(sum(scores) / len(scores), 3)
    result["lexical_baseline_min_ari"] = round(min(scores), 3)
    return result


def report_stability(root: Path, notes: list) -> dict:
    """What editors see moving: each old note's place in the whole report (a gap, or an
    article's findability list; findability is decided for all notes together) before and after
    one to four new notes; ARI of the old open notes' places."""
    import shutil
    from dataclasses import replace

    from kbgen.engine import open_engine
    from kbgen.gaps import analyze
    from kbgen.kb import KnowledgeBase
    from kbgen.project import Project

    as_of = max(n.when for n in notes)
    extra = [replace(notes[-1], id=f"EXTRA-{k}", question=q, events=[], state="open") for k, q in enumerate(EXTRA)]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(root / "kb", Path(tmp) / "kb")
        shutil.copy(root / "mkdocs.yml", Path(tmp) / "mkdocs.yml")
        project = Project.load(Path(tmp))
        kb = KnowledgeBase.load(project)
        engine = open_engine(project, kind="semantic")

        def places(logged: list) -> dict[str, str]:
            coverage = analyze(kb, logged, engine, as_of=as_of)
            found = {n.id: "article:" + f.slug for f in coverage.findable for n in f.notes}
            return {**found, **{n.id: "gap:" + g.id for g in coverage.gaps for n in g.notes}}

        before = places(notes)
        scores, moved = [], []
        for k in range(1, len(EXTRA) + 1):
            after = places(notes + extra[:k])
            ids = [i for i in before if i in after]
            scores.append(ari([before[i] for i in ids], [after[i] for i in ids]))
            moved.append(sum(before[i].split(":")[0] != after[i].split(":")[0] for i in ids))
        engine.close()
    return {"open_notes": len(before), "mean_ari": round(sum(scores) / len(scores), 3), "min_ari": round(min(scores), 3),
            "notes_moved_between_findability_and_gaps": moved}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--stability", action="store_true", help="only the gap-membership stability check (demo log)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    args = parser.parse_args()
    if args.stability or not (args.quality_only or args.speed_only):
        print(json.dumps(stability(), indent=2), flush=True)
    if args.stability:
        return
    data = clinc()
    if data is None:
        print("CLINC150 not found at ../shared/data/clinc150; skipping")
        return
    if not args.speed_only:
        for engine in ("semantic", "lexical"):
            print(json.dumps(quality(data, engine), indent=2), flush=True)
        print(json.dumps(clustering_baseline(data), indent=2), flush=True)
    if not args.quality_only:
        rows = speed(data, args.sizes)
        if len(rows) > 1:
            first, last = rows[0], rows[-1]
            print(f"growth {first['notes']:,} -> {last['notes']:,} notes ({last['notes'] / first['notes']:.0f}x): "
                  f"cold {last['cold_s'] / first['cold_s']:.1f}x, warm {last['warm_s'] / first['warm_s']:.1f}x")


if __name__ == "__main__":
    main()
