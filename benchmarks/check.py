"""`kbgen check` on a generated 10,000-article knowledge base (about 500 words each).

Target (issue 2): at most 5 s wall on 2 cores. Reports the median of several runs, the time
per article, and, as a baseline measured in the same run, the cost of just starting Python and
reading every file (the floor no checker can beat).
"""

from __future__ import annotations

import argparse
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
        check = timed([sys.executable, "-m", "kbgen", "check", "--json"], root, args.runs)
    m = median(check)
    print(f"knowledge base: {args.articles} articles, {size / 1e6:.1f} MB")
    print(f"kbgen check:    median {m:.2f} s over {args.runs} runs (min {min(check):.2f}, max {max(check):.2f})")
    print(f"per article:    {m / args.articles * 1e3:.3f} ms")
    print(f"baseline (python start + read every file): median {median(floor):.2f} s; check is {m / median(floor):.1f}x that")
    print(f"target <= 5 s: {'PASS' if m <= 5 else 'FAIL'}")


if __name__ == "__main__":
    main()
