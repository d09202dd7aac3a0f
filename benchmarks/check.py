"""`kbgen check` on a generated 10,000-article knowledge base (about 500 words each).

Target (issues 2 and 13): at most 5 s wall on 2 cores, with the writing-style rules. Reports the
median of several runs, cold (the cache folder emptied first: every article's prose read) and
warm (style warnings kept by file stamp), the time per article, and, as a baseline measured in
the same run, the cost of just starting Python and reading every file (the floor no checker can
beat). With --compare DIR (another kbgen checkout, such as the main branch), that kbgen is run
too, interleaved run by run with this one, and both must print the same report.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate_kb, median, timed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
READ_ALL = "import pathlib,sys; n=sum(len(p.read_bytes()) for p in pathlib.Path('kb').rglob('*.md')); print(n)"
COMMAND = [sys.executable, "-m", "kbgen", "check", "--json"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another kbgen checkout to time beside this one")
    parser.add_argument("--kb", type=Path, help="reuse (or make) the generated knowledge base here")
    args = parser.parse_args()
    kbgens = {"this kbgen": ROOT}
    if args.compare:
        kbgens = {f"{args.compare}": args.compare.resolve(), **kbgens}
    envs = {name: {**os.environ, "PYTHONPATH": str(path)} for name, path in kbgens.items()}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.kb or Path(tmp) / "kb-bench"
        if not (root / "kb").is_dir() or len(list((root / "kb").rglob("*.md"))) != args.articles:
            generate_kb(root, args.articles)
        size = sum(p.stat().st_size for p in (root / "kb").rglob("*.md"))
        reports = {name: _report(root, env) for name, env in envs.items()}
        if len(set(reports.values())) > 1:
            raise SystemExit("the two kbgens report different problems: " + ", ".join(reports))
        floor: list[float] = []
        cold: dict[str, list[float]] = {name: [] for name in kbgens}
        warm: dict[str, list[float]] = {name: [] for name in kbgens}
        for _ in range(args.runs):  # interleaved, so a busy moment falls on every figure alike
            floor += timed([sys.executable, "-c", READ_ALL], root, 1)
            for name, env in envs.items():
                shutil.rmtree(root / ".kbgen-cache", ignore_errors=True)
                cold[name] += timed(COMMAND, root, 1, env)
                warm[name] += timed(COMMAND, root, 1, env)
    print(f"knowledge base: {args.articles} articles, {size / 1e6:.1f} MB; load average {os.getloadavg()[0]:.2f} at the end")
    print(f"baseline (python start + read every file): median {median(floor):.2f} s over {args.runs} runs")
    for name in kbgens:
        for kind, times in (("cold", cold[name]), ("warm", warm[name])):
            m = median(times)
            print(f"{name}, {kind}: median {m:.2f} s over {args.runs} runs (min {min(times):.2f}, max {max(times):.2f}); "
                  f"{m / args.articles * 1e3:.3f} ms an article; {m / median(floor):.1f}x the baseline; "
                  f"target <= 5 s: {'PASS' if m <= 5 else 'FAIL'}")
    if args.compare:
        base = str(args.compare)
        for kind, times in (("cold", cold), ("warm", warm)):
            print(f"{kind}: this kbgen / {base} = {median(times['this kbgen']) / median(times[base]):.2f}")


def _report(root: Path, env: dict[str, str]) -> str:
    """The JSON report of a cold check (the problems each kbgen finds, compared before timing)."""
    shutil.rmtree(root / ".kbgen-cache", ignore_errors=True)
    return subprocess.run(COMMAND, cwd=root, capture_output=True, text=True, env=env).stdout


if __name__ == "__main__":
    main()
