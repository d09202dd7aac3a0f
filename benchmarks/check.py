"""`kbgen check` on a generated 10,000-article knowledge base (about 500 words each).

Target (issues 2 and 13): at most 5 s wall on 2 cores, with the writing-style rules. Reports the
median of several runs, cold (the cache folder emptied first: every article's prose read) and
warm (style warnings kept by file stamp), the time per article, and, as a baseline measured in
the same run, the cost of just starting Python and reading every file (the floor no checker can
beat).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate_kb, median, timed  # noqa: E402

READ_ALL = "import pathlib,sys; n=sum(len(p.read_bytes()) for p in pathlib.Path('kb').rglob('*.md')); print(n)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = generate_kb(Path(tmp) / "kb-bench", args.articles)
        size = sum(p.stat().st_size for p in (root / "kb").rglob("*.md"))
        floor = timed([sys.executable, "-c", READ_ALL], root, args.runs)
        command = [sys.executable, "-m", "kbgen", "check", "--json"]
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(root / ".kbgen-cache", ignore_errors=True)
            cold += timed(command, root, 1)
        warm = timed(command, root, args.runs)
    print(f"knowledge base: {args.articles} articles, {size / 1e6:.1f} MB")
    print(f"baseline (python start + read every file): median {median(floor):.2f} s")
    for name, times in (("cold", cold), ("warm", warm)):
        m = median(times)
        print(f"kbgen check, {name}: median {m:.2f} s over {args.runs} runs (min {min(times):.2f}, max {max(times):.2f}); "
              f"{m / args.articles * 1e3:.3f} ms an article; {m / median(floor):.1f}x the baseline; "
              f"target <= 5 s: {'PASS' if m <= 5 else 'FAIL'}")


if __name__ == "__main__":
    main()
