"""The team service's warm ask against a cold `kbgen ask` (issue 14), on 2 cores.

On a copy of the demo knowledge base (its index and vectors built first, so both sides start
from a warm cache on disk): `kbgen api` is started once; then, interleaved, RUNS times each:

- cold: `kbgen ask QUESTION --json` in a new process (what an agent's script without the
  service pays: Python, the engine's start and the matching);
- warm: `POST /v1/ask` with the same question and a bearer token, a new connection each
  time (what curl pays: HTTP, JSON, token check and the matching alone);

- client: `kbgen ask QUESTION --json` in a new process with KBGEN_SERVER and KBGEN_TOKEN set, run
  from an empty folder (what an agent with only `pip install kbgen` pays: Python, the CLI and
  one HTTP request; no engine, no knowledge base);

and `POST /v1/notes` and `POST /v1/signals` for the service's writes. Prints medians, the 90th
percentile and the ratios.

Then the acceptance figure under load, for several variants of the service side by side, each
a service of its own on the same copy (benchmarks/service_variant.py): `main`, the service as on
the main branch (`git archive BASELINE kbgen`; uvicorn's asyncio loop and h11, which it took
there), the baseline; this branch's fast path (`fast`), with uvloop and httptools (`uvloop`),
with its answers kept (`cache`), and two worker processes (`2 workers`). ROUNDS rounds,
interleaved: in each, for each variant, a single client asking 200 times in a row (the
baseline), then CLIENTS clients at once (32 by default), REQUESTS asks each, each over its own
keep-alive connection (`--new-connections`: a new one per ask, as curl in a helpdesk trigger).
The clients are asyncio connections in 2 processes writing HTTP by hand (benchmarks/load.py),
not threads. Their questions are drawn from a pool of about 400 (the demo articles' topics in
customers' words, with typos, and questions nothing answers), the popular ones more often (Zipf):
the share of asks whose question had been asked before (what a kept answer can serve) is
printed. `--think MS`: each client pauses 0.5 to 1.5 times MS between its asks. Target: median
<= 15 ms, p99 <= 100 ms with 32 clients. Prints the median, p99 and throughput of each, the
services' memory (resident, all processes), and the engine's reload: how long /healthz and
/v1/signals take while the service reopens its engine after an article changed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from agents import KBGEN, demo_copy, run  # noqa: E402
from corpus import ROOT, median  # noqa: E402
from load import Sent, load, request  # noqa: E402
from tests.service import wait_until_up  # noqa: E402

QUESTIONS = ["I was charged twice this month", "how do i reset my pasword", "can I export my files",
             "do you sell branded hoodies", "how do I change my plan"]


def post(url: str, body: dict, token: str | None = None, client: str = "") -> float:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
               **({"X-Forwarded-For": client} if client else {})}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return time.perf_counter() - started


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def question_pool() -> list[str]:
    """About 400 questions an agent might send: each demo article's topic as customers put it
    (several wordings, a typo), and questions nothing in the demo answers; most popular first."""
    titles = [line.split(":", 1)[1].strip().strip('"') for path in sorted((ROOT / "kb").rglob("*.md"))
              for line in path.read_text(encoding="utf-8").splitlines()[:8] if line.startswith("title:")]
    pool: list[str] = []
    for n, title in enumerate(titles):
        plain = title.rstrip("?").replace("COS", "the app")
        lower = plain[0].lower() + plain[1:]
        words = lower.split()
        long = max(range(len(words)), key=lambda i: (len(words[i]), i))
        w = words[long]
        typo = " ".join(words[:long] + [w[:2] + w[3] + w[2] + w[4:]] + words[long + 1:])
        pool += [title, lower, f"hi, {lower}?", typo, f"customer asks: {lower}", f"{lower} on my phone",
                 f"{lower} for my whole team", f"quick question - {lower}"]
    for thing in ["branded hoodies", "gift cards", "a lifetime plan", "printed manuals", "an on-premise version",
                  "phone support on sundays", "a student discount", "a reseller program", "stickers", "a fax number",
                  "training courses", "a hardware appliance", "a museum discount", "an affiliate program",
                  "white-label apps", "a crypto payment option", "a warranty extension", "a mascot costume",
                  "a referral bonus", "a desktop theme pack"]:
        pool += [f"do you sell {thing}", f"is there {thing}", f"can I get {thing}"]
    import random

    random.Random(14).shuffle(pool)
    return pool


def ask_requests(pool: list[str], clients: int, requests: int, token: str, port: int, seed: int) -> list[list[bytes]]:
    """Each client's asks: questions drawn from POOL, the first ones most often (weight 1/rank)."""
    import random

    weights = [1 / (rank + 1) for rank in range(len(pool))]
    draw = random.Random(seed)
    return [[request("/v1/ask", json.dumps({"question": q}).encode(), token, port)
             for q in draw.choices(pool, weights, k=requests)] for _ in range(clients)]


def questions_of(requests: list[list[bytes]]) -> list[str]:
    return [json.loads(r.split(b"\r\n\r\n", 1)[1])["question"] for client in requests for r in client]


def memory_mb(pid: int) -> float:
    """Resident memory of process PID and its descendants (uvicorn's workers), in MB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            rss = next(line for line in Path(f"/proc/{current}/status").read_text().splitlines() if line.startswith("VmRSS"))
            total += int(rss.split()[1])
        except (OSError, StopIteration):
            pass
    return total / 1024


VARIANTS = {  # name: (the baseline's code?, environment of service_variant.py)
    "main": (True, {"KBGEN_BENCH_LOOP": "asyncio", "KBGEN_BENCH_HTTP": "h11"}),
    "fast": (False, {"KBGEN_BENCH_FAST": "1", "KBGEN_BENCH_CACHE": "0", "KBGEN_BENCH_LOOP": "asyncio", "KBGEN_BENCH_HTTP": "h11"}),
    "fast+uvloop": (False, {"KBGEN_BENCH_FAST": "1", "KBGEN_BENCH_CACHE": "0", "KBGEN_BENCH_LOOP": "uvloop", "KBGEN_BENCH_HTTP": "httptools"}),
    "FastAPI routes+uvloop+cache": (False, {"KBGEN_BENCH_FAST": "0", "KBGEN_BENCH_CACHE": "1024", "KBGEN_BENCH_LOOP": "uvloop",
                                            "KBGEN_BENCH_HTTP": "httptools"}),
    "fast+uvloop+cache": (False, {"KBGEN_BENCH_FAST": "1", "KBGEN_BENCH_CACHE": "1024", "KBGEN_BENCH_LOOP": "uvloop",
                                  "KBGEN_BENCH_HTTP": "httptools"}),
    "fast+uvloop+cache+2 workers": (False, {"KBGEN_BENCH_FAST": "1", "KBGEN_BENCH_CACHE": "1024", "KBGEN_BENCH_LOOP": "uvloop",
                                             "KBGEN_BENCH_HTTP": "httptools", "KBGEN_BENCH_WORKERS": "2"}),
}


def start_variant(root: Path, baseline: Path, name: str, extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, int]:
    """The service of variant NAME on ROOT (EXTRA added to its environment), once /healthz answers:
    (its process, its port)."""
    on_main, env = VARIANTS[name]
    code = baseline if on_main else Path(__file__).resolve().parent.parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "service_variant.py"), str(port)], cwd=root,
                               env={**os.environ, **env, **(extra or {}), "PYTHONPATH": str(code)}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    return service, wait_until_up(service, port)


def baseline_code(tmp: Path, ref: str) -> Path:
    """kbgen as at REF (the service as on main), unpacked into TMP, byte-compiled as installed code is."""
    into = tmp / "baseline"
    into.mkdir()
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "-C", str(repo), "archive", ref, "kbgen"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into)], check=True)
    return into


def reload_pause(root: Path, port: int, token: str, change: bool = True) -> tuple[float, float, float]:
    """An article changed (CHANGE; else nothing, for comparison) while 8 clients ask: the slowest
    /healthz, the slowest /v1/signals and the slowest ask (in seconds) in the 8 seconds after, while
    the service reopens its engine."""
    if change:
        article = next((root / "kb").rglob("*.md"))
        article.write_text(article.read_text(encoding="utf-8") + "\nOne more line for the reload.\n", encoding="utf-8")
    pool = question_pool()
    asks = ask_requests(pool, 8, 400, token, port, 99)
    worst = {"healthz": 0.0, "signals": 0.0}

    def probe() -> None:
        ends = time.monotonic() + 8
        n = 0
        while time.monotonic() < ends:
            worst["healthz"] = max(worst["healthz"], get(f"http://127.0.0.1:{port}/healthz"))
            worst["signals"] = max(worst["signals"], post(f"http://127.0.0.1:{port}/v1/signals",
                                                           {"type": "search", "query": "reload", "results": 0},
                                                           client=f"10.8.{n // 250}.{n % 250}"))
            n += 1
            time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    sent, _ = load(port, asks, think=0.01)
    prober.join()
    return worst["healthz"], worst["signals"], max(s.seconds for s in sent)


def get(url: str) -> float:
    started = time.perf_counter()
    urllib.request.urlopen(url, timeout=60).read()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50, help="interleaved cold/warm runs (0: the load test only)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients in the load test")
    parser.add_argument("--requests", type=int, default=25, help="asks each client sends in the load test")
    parser.add_argument("--rounds", type=int, default=3, help="load rounds, each variant once a round (0: none)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="which services to load, comma-separated")
    parser.add_argument("--baseline", default="main", metavar="REF", help="the git ref the `main` variant serves")
    parser.add_argument("--new-connections", action="store_true", help="a new connection per ask instead of keep-alive")
    parser.add_argument("--think", type=float, default=0.0, metavar="MS", help="each client's pause between asks (0: none)")
    parser.add_argument("--no-reload", action="store_true", help="skip the engine-reload measure")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    # what users run: installed packages are byte-compiled by pip; compile kbgen likewise
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).resolve().parent.parent / "kbgen")], check=True)
    loads: dict[str, dict[str, list[tuple[list[Sent], float]]]] = {}
    repeats: dict[str, list[float]] = {}
    memory: dict[str, float] = {}
    cold: list[float] = []
    client: list[float] = []
    warm: list[float] = []
    notes: list[float] = []
    signals: list[float] = []
    reloads: dict[str, tuple[float, float, float]] = {}
    ready = 0.0
    with tempfile.TemporaryDirectory() as tmp_name:
        root = demo_copy(Path(tmp_name))
        run([*KBGEN, "ask", "warm up the cache", "--json"], root)
        token = subprocess.run([*KBGEN, "api", "token", "create", "--agent", "bench"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
        services: dict[str, tuple[subprocess.Popen, int]] = {}
        try:
            if args.runs:
                started = time.perf_counter()
                services["kbgen api"] = start_variant(root, root, "fast+uvloop+cache")
                ready = time.perf_counter() - started
                url = f"http://127.0.0.1:{services['kbgen api'][1]}"
                elsewhere = Path(tmp_name) / "elsewhere"
                elsewhere.mkdir()
                as_client = {**os.environ, "KBGEN_SERVER": url, "KBGEN_TOKEN": token}
                for n in range(args.runs):
                    question = QUESTIONS[n % len(QUESTIONS)]
                    cold.append(run([*KBGEN, "ask", question, "--json"], root))
                    client.append(run([*KBGEN, "ask", question, "--json"], elsewhere, env=as_client))
                    warm.append(post(url + "/v1/ask", {"question": question}, token))
                    notes.append(post(url + "/v1/notes", {"question": f"{question} ({n})", "answer": "bench", "id": f"B-{n}"}, token))
                    signals.append(post(url + "/v1/signals", {"type": "search", "query": question, "results": 0},
                                        client=f"10.9.0.{n}"))  # each its own visitor: under the rate limit
            if args.rounds:
                baseline = baseline_code(Path(tmp_name), args.baseline)
                for name in variants:
                    services[name] = start_variant(root, baseline, name)
                pool = question_pool()
                seen: dict[str, set[str]] = {name: set() for name in variants}
                for r in range(args.rounds):
                    for name in variants:
                        port = services[name][1]
                        warm_up = ask_requests(pool, 1, 10, token, port, 1000 + r)
                        load(port, warm_up)  # not counted
                        seen[name].update(questions_of(warm_up))
                        single = ask_requests(pool, 1, 200, token, port, 2000 + r)
                        many = ask_requests(pool, args.clients, args.requests, token, port, 3000 + r)
                        seen[name].update(questions_of(single))  # asked just before the 32 clients
                        asked = questions_of(many)  # each question new once at most (the first to ask it)
                        repeats.setdefault(name, []).append(1 - len(set(asked) - seen[name]) / len(asked))
                        seen[name].update(asked)  # a kept answer lasts till the engine reopens
                        rows = loads.setdefault(name, {})
                        rows.setdefault("1", []).append(load(port, single, processes=1, new_connections=args.new_connections))
                        rows.setdefault("many", []).append(load(port, many, new_connections=args.new_connections,
                                                                think=args.think / 1000))
                for name in variants:
                    memory[name] = memory_mb(services[name][0].pid)
                if not args.no_reload:  # one article changed for each in turn: each reopens its engine
                    for name in ("main", "fast+uvloop+cache"):
                        if name in services:
                            reloads[name + ", nothing changed"] = reload_pause(root, services[name][1], token, change=False)
                            reloads[name + ", an article changed"] = reload_pause(root, services[name][1], token)
        finally:
            for service, _ in services.values():
                service.terminate()
                service.wait(timeout=30)
    if args.runs:
        print(f"service start to first /healthz: {ready:.2f} s")
    for name, values in [("cold `kbgen ask --json`", cold), ("`kbgen ask --json` as the service's client", client),
                         ("warm POST /v1/ask", warm),
                         ("warm POST /v1/notes", notes), ("POST /v1/signals", signals)]:
        if values:
            print(f"{name}: median {median(values) * 1000:.1f} ms, p90 {p90(values) * 1000:.1f} ms ({len(values)} runs)")
    if cold:
        print(f"warm ask is {median(cold) / median(warm):.0f}x faster than a cold one")
    if cold and client:
        print(f"`kbgen ask` as a client is {median(cold) / median(client):.1f}x faster than a local one")
    how = "a new connection per ask" if args.new_connections else "keep-alive"
    how += f", {args.think:g} ms between a client's asks" if args.think else ""
    if loads:
        print(f"POST /v1/ask under load ({how}); per round: median, p99 (ms), asks/s; the median round's figures first")
    for name, rows in loads.items():
        failed = sum(s.status != 200 for sent, _ in rows["1"] + rows["many"] for s in sent)
        for which, label in [("1", "1 client, no pause"), ("many", f"{args.clients} clients")]:
            figures = [(median([s.seconds for s in sent]) * 1000, p99([s.seconds for s in sent]) * 1000, len(sent) / wall)
                       for sent, wall in rows[which]]
            mid = sorted(figures)[len(figures) // 2]
            rounds = "; ".join(f"{m:.1f}, {q:.1f}, {t:.0f}" for m, q, t in figures)
            verdict = ""
            if which == "many":
                verdict = " target met" if mid[0] <= 15 and mid[1] <= 100 else " target NOT met"
            print(f"  {name}, {label}: median {mid[0]:.1f} ms, p99 {mid[1]:.1f} ms, {mid[2]:.0f} asks/s "
                  f"(rounds: {rounds}){verdict}")
        print(f"  {name}: asks whose question was asked before: "
              f"{', '.join(f'{x:.0%}' for x in repeats[name])}; memory {memory.get(name, 0):.0f} MB; failed {failed}")
    for name, (healthz, signal, ask) in reloads.items():
        print(f"{name} (8 clients asking, 8 s): slowest /healthz "
              f"{healthz * 1000:.0f} ms, slowest /v1/signals {signal * 1000:.0f} ms, slowest ask {ask * 1000:.0f} ms")


if __name__ == "__main__":
    main()
