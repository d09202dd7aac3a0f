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
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agents import KBGEN, demo_copy, run  # noqa: E402
from corpus import median  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    # what users run: installed packages are byte-compiled by pip; compile kbgen likewise
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).resolve().parent.parent / "kbgen")], check=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        root = demo_copy(Path(tmp_name))
        run([*KBGEN, "ask", "warm up the cache", "--json"], root)
        token = subprocess.run([*KBGEN, "api", "token", "create", "--agent", "bench"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        service = subprocess.Popen([*KBGEN, "api", "--port", str(port)], cwd=root, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=5).read()
                    break
                except OSError:
                    if service.poll() is not None:
                        raise SystemExit("kbgen api did not start")
                    time.sleep(0.1)
            ready = time.perf_counter() - started
            cold: list[float] = []
            client: list[float] = []
            warm: list[float] = []
            elsewhere = Path(tmp_name) / "elsewhere"
            elsewhere.mkdir()
            as_client = {**os.environ, "KBGEN_SERVER": url, "KBGEN_TOKEN": token}
            notes: list[float] = []
            signals: list[float] = []
            for n in range(args.runs):
                question = QUESTIONS[n % len(QUESTIONS)]
                cold.append(run([*KBGEN, "ask", question, "--json"], root))
                client.append(run([*KBGEN, "ask", question, "--json"], elsewhere, env=as_client))
                warm.append(post(url + "/v1/ask", {"question": question}, token))
                notes.append(post(url + "/v1/notes", {"question": f"{question} ({n})", "answer": "bench", "id": f"B-{n}"}, token))
                signals.append(post(url + "/v1/signals", {"type": "search", "query": question, "results": 0},
                                    client=f"10.9.0.{n}"))  # each its own visitor: under the rate limit
        finally:
            service.terminate()
            service.wait(timeout=30)
    print(f"service start to first /healthz: {ready:.2f} s")
    for name, values in [("cold `kbgen ask --json`", cold), ("`kbgen ask --json` as the service's client", client),
                         ("warm POST /v1/ask", warm),
                         ("warm POST /v1/notes", notes), ("POST /v1/signals", signals)]:
        print(f"{name}: median {median(values) * 1000:.1f} ms, p90 {p90(values) * 1000:.1f} ms ({len(values)} runs)")
    print(f"warm ask is {median(cold) / median(warm):.0f}x faster than a cold one")
    print(f"`kbgen ask` as a client is {median(cold) / median(client):.1f}x faster than a local one")


if __name__ == "__main__":
    main()
