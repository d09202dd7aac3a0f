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

Then the acceptance figure under load: `POST /v1/ask` with the model warm, first from a single
client (the baseline), then from CLIENTS threads at once (32 by default), each sending
REQUESTS questions over its own keep-alive connection (`--new-connections`: a new one per
request, as curl in a helpdesk trigger would). `--think MS`: each client waits that long between
its asks (an agent's tool, not a loop); 0, the default, sends the next ask as soon as the last
is answered, which measures the service saturated. Target: median <= 15 ms, p99 <= 100 ms with
32 clients. Prints the median, p99 and throughput of both.
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


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def ask_client(port: int, token: str, count: int, offset: int, new_connections: bool, out: list[float],
               start: threading.Barrier | None = None, think: float = 0.0) -> None:
    """COUNT asks in a row from one client, each timed from sending to the last byte read."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    if start is not None:
        start.wait()
    try:
        for n in range(count):
            body = json.dumps({"question": QUESTIONS[(offset + n) % len(QUESTIONS)]})
            started = time.perf_counter()
            if new_connections:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", "/v1/ask", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            out.append(time.perf_counter() - started)
            if response.status != 200:
                raise SystemExit(f"/v1/ask answered {response.status}")
            if think:
                time.sleep(think * (0.5 + ((offset * 7 + n * 13) % 11) / 10))  # 0.5 to 1.5 times THINK, spread
    finally:
        connection.close()


def load(port: int, token: str, clients: int, requests: int, new_connections: bool,
         think: float = 0.0) -> tuple[list[float], float]:
    """CLIENTS threads each asking REQUESTS questions at once: every latency, and the wall time."""
    results: list[list[float]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=ask_client, args=(port, token, requests, i, new_connections, results[i], start, think))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return [t for r in results for t in r], time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50, help="interleaved cold/warm runs (0: the load test only)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients in the load test")
    parser.add_argument("--requests", type=int, default=25, help="asks each client sends in the load test")
    parser.add_argument("--new-connections", action="store_true", help="a new connection per ask instead of keep-alive")
    parser.add_argument("--think", type=float, default=0.0, metavar="MS", help="each client's pause between asks (0: none)")
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
            # the load test: a single client first (the baseline), then CLIENTS at once, same questions
            load(port, token, 1, 10, args.new_connections)  # warm-up, not counted
            single, single_wall = load(port, token, 1, args.clients * args.requests // 4 or 1, args.new_connections)
            many, many_wall = load(port, token, args.clients, args.requests, args.new_connections, args.think / 1000)
        finally:
            service.terminate()
            service.wait(timeout=30)
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
    for name, values, wall in [("1 client", single, single_wall), (f"{args.clients} clients", many, many_wall)]:
        if name == "1 client":
            name += ", no pause"
        print(f"POST /v1/ask under load, {name} ({how}): median {median(values) * 1000:.1f} ms, "
              f"p99 {p99(values) * 1000:.1f} ms, {len(values) / wall:.0f} asks/s ({len(values)} asks)")
    verdict = median(many) <= 0.015 and p99(many) <= 0.100
    print(f"target (median <= 15 ms, p99 <= 100 ms with {args.clients} clients): {'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    main()
