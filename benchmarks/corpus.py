"""Generated knowledge bases for the benchmarks, made of real English text.

Sentences come from the demo articles in kb/ and, when present, CLINC150's user questions
(../shared/data/clinc150). Deterministic for a given seed, so runs are comparable.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLINC = ROOT.parent / "shared" / "data" / "clinc150" / "data_oos_plus.json"
CATEGORIES = ["getting-started", "account", "billing", "your-data", "integrations", "troubleshooting", "contact", "security"]

MKDOCS_YML = """\
site_name: Benchmark Help
site_url: https://help.bench.test/
theme:
  name: material
  font: false
plugins:
  - search:
      pipeline: [stemmer, stopWordFilter, trimmer]
  - kbgen:
      contact_url: https://bench.test/contact
"""


def clinc() -> dict | None:
    return json.loads(CLINC.read_text()) if CLINC.exists() else None


def sentences() -> list[str]:
    """Sentences of real support prose from the demo articles."""
    found: list[str] = []
    for path in sorted((ROOT / "kb").rglob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        body = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", body)
        for line in body.splitlines():
            line = line.strip().lstrip("#>-*0123456789. ").strip()
            found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", line) if len(s.split()) >= 5]
    return found


def questions() -> list[str]:
    data = clinc()
    if data:
        return [q for q, _ in data["train"]]
    found = []
    for path in sorted((ROOT / "kb").rglob("*.md")):
        found += re.findall(r"^  - (.+)$", path.read_text(encoding="utf-8"), re.M)
    return found


def generate_kb(root: Path, articles: int, words: int = 500, seed: int = 7) -> Path:
    """Write ROOT/mkdocs.yml, ROOT/docs/index.md and ARTICLES articles of about WORDS words."""
    rng = random.Random(seed)
    prose, asks = sentences(), questions()
    if root.exists():
        shutil.rmtree(root)
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Help\n\n<!-- kbgen:categories -->\n\n<!-- kbgen:featured -->\n")
    (root / "mkdocs.yml").write_text(MKDOCS_YML)
    lines = ["# generated"]
    for order, name in enumerate(CATEGORIES, 1):
        lines += [f"{name}:", f"  title: {name.replace('-', ' ').capitalize()}", f"  description: Articles about {name}.", f"  order: {order}"]
    (root / "kb").mkdir()
    (root / "kb" / "categories.yml").write_text("\n".join(lines) + "\n")
    for i in range(articles):
        category = CATEGORIES[i % len(CATEGORIES)]
        title = rng.choice(asks).rstrip("?").capitalize() + f" ({i})?"
        phrasings = rng.sample(asks, 5)
        body, count = [], 0
        while count < words:
            paragraph = " ".join(rng.choice(prose) for _ in range(rng.randint(2, 5)))
            if rng.random() < 0.25:
                body.append(f"## {rng.choice(asks).capitalize()}")
            body.append(paragraph)
            count += len(paragraph.split())
        if i > 0:
            j = rng.randrange(i)
            body.append(f"See also [a related article](../{CATEGORIES[j % len(CATEGORIES)]}/article-{j}.md).")
        meta = {
            "title": title,
            "summary": rng.choice(prose),
            "questions": phrasings,
            "tags": rng.sample(["billing", "sync", "export", "login", "api", "mobile", "desktop", "share"], 2),
            "updated": "2026-10-01",
            "review_by": "2027-04-01",
            "owner": "docs-team",
        }
        fm = "".join(
            f"{k}:\n" + "".join(f"  - {json.dumps(v)}\n" for v in val) if isinstance(val, list) else f"{k}: {json.dumps(val) if k in ('title', 'summary') else val}\n"
            for k, val in meta.items()
        )
        path = root / "kb" / category / f"article-{i}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"---\n{fm}---\n" + "\n\n".join(body) + "\n", encoding="utf-8")
    return root


def timed(command: list[str], cwd: Path, runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Wall times of RUNS runs of COMMAND (each must succeed), in ENV (default: this one's)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def clinc_kb(root: Path, intents: list[str], phrasings: int = 10) -> Path:
    """One article per CLINC150 intent: title from the intent name, `questions` = its first train queries."""
    data = clinc()
    if data is None:
        raise SystemExit(f"CLINC150 is not at {CLINC.parent}; this benchmark needs it")
    by_intent: dict[str, list[str]] = {}
    for query, intent in data["train"]:
        by_intent.setdefault(intent, []).append(query)
    if root.exists():
        shutil.rmtree(root)
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Help\n")
    (root / "mkdocs.yml").write_text(MKDOCS_YML)
    for intent in intents:
        path = root / "kb" / "intents" / f"{intent.replace('_', '-')}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        title = intent.replace("_", " ").capitalize()
        questions = "".join(f"  - {json.dumps(q)}\n" for q in by_intent[intent][:phrasings])
        path.write_text(f"---\ntitle: {json.dumps(title)}\nquestions:\n{questions}---\n")
    return root
