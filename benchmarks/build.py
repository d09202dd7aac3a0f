"""Site build at 1,000 and 10,000 articles: linear time, flat page size, small plugin overhead.

Targets (issue 3):
- time per article at 10,000 within 1.3x of time per article at 1,000;
- median article-page size at 10,000 within 1.1x of that at 1,000;
- the plugin's overhead at most 20% over the same pages built by plain mkdocs with the same
  theme and categories-only navigation (the baseline, measured side by side in this run).

The baseline writes the very Markdown the plugin generates into docs/ and builds it with the
kbgen plugin removed from mkdocs.yml; both sides run `mkdocs build`, interleaved and
alternating, so the difference is what the plugin itself costs. `kbgen build` (check, site
and the first build of the search index) is timed once beside them. Time per article uses
the plugin build (median).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate_kb, median, timed  # noqa: E402

from kbgen.kb import KnowledgeBase  # noqa: E402
from kbgen.project import Project  # noqa: E402
from kbgen.site import SiteModel  # noqa: E402


def plain_mkdocs_twin(root: Path, twin: Path) -> Path:
    """The same pages as plain Markdown files, built without the kbgen plugin."""
    site = SiteModel.build(KnowledgeBase.load(Project.load(root)))
    docs = twin / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text((root / "docs" / "index.md").read_text())
    nav = ["  - Home: index.md"]
    for view in site.categories:
        (docs / view.name).mkdir()
        (docs / view.name / "index.md").write_text(site.category_markdown(view, "main.html"))
        nav.append(f"  - {json.dumps(view.title)}: {view.name}/index.md")
    for article in site.articles:
        (docs / article.src_uri).write_text(site.article_markdown(article, "main.html"))
    config = (root / "mkdocs.yml").read_text()
    config = config[: config.index("  - kbgen:")] + "nav:\n" + "\n".join(nav) + "\n"
    (twin / "mkdocs.yml").write_text(config)
    return twin


def page_sizes(site: Path) -> list[int]:
    return [p.stat().st_size for p in site.glob("*/article-*/index.html")]


def measure(n: int, runs: int, tmp: Path) -> dict[str, float]:
    root = generate_kb(tmp / f"kb-{n}", n)
    twin = plain_mkdocs_twin(root, tmp / f"plain-{n}")
    # `kbgen build` once: check, site and search index, as a user runs it
    cli = timed([sys.executable, "-m", "kbgen", "build", "-d", str(tmp / f"cli-site-{n}")], root, 1)[0]
    kbgen_times, plain_times = [], []
    for run in range(runs):  # interleaved, alternating who goes first, so both see the same load
        pair = [
            (kbgen_times, [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp / f"site-{n}")], root),
            (plain_times, [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp / f"plain-site-{n}")], twin),
        ]
        for times, command, cwd in pair if run % 2 == 0 else reversed(pair):
            times += timed(command, cwd, 1)
    sizes = page_sizes(tmp / f"site-{n}")
    index = (tmp / f"site-{n}" / "search" / "search_index.json").stat().st_size
    result = {
        "articles": n,
        "cli_s": cli,
        "kbgen_s": median(kbgen_times),
        "plain_s": median(plain_times),
        "per_article_ms": median(kbgen_times) / n * 1e3,
        "median_page_kb": statistics.median(sizes) / 1024,
        "pages": len(sizes),
        "search_index_mb": index / 1e6,
    }
    result["overhead"] = result["kbgen_s"] / result["plain_s"] - 1
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(n, args.runs, Path(tmp)) for n in args.sizes]
    print(f"{'articles':>8} {'kbgen build':>12} {'mkdocs+kbgen':>13} {'plain mkdocs':>13} {'overhead':>9} {'ms/article':>11} {'median page':>12} {'search index':>13}")
    for r in results:
        print(
            f"{r['articles']:>8} {r['cli_s']:>10.1f} s {r['kbgen_s']:>11.1f} s {r['plain_s']:>11.1f} s {r['overhead']:>8.0%} "
            f"{r['per_article_ms']:>11.2f} {r['median_page_kb']:>9.1f} KB {r['search_index_mb']:>10.1f} MB"
        )
    if len(results) >= 2:
        small, large = results[0], results[-1]
        linear = large["per_article_ms"] / small["per_article_ms"]
        flat = large["median_page_kb"] / small["median_page_kb"]
        worst = max(r["overhead"] for r in results)
        print(f"time per article {large['articles']} vs {small['articles']}: {linear:.2f}x (target <= 1.3x) {'PASS' if linear <= 1.3 else 'FAIL'}")
        print(f"median page size {large['articles']} vs {small['articles']}: {flat:.2f}x (target <= 1.1x) {'PASS' if flat <= 1.1 else 'FAIL'}")
        print(f"plugin overhead vs plain mkdocs: worst {worst:.0%} (target <= 20%) {'PASS' if worst <= 0.2 else 'FAIL'}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
