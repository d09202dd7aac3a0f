"""Notes stored per second by 64 concurrent clients: the gaps/ files against PostgreSQL (issue 14).

On a copy of the demo knowledge base (its index and vectors built first), for each store in
turn (the gaps/ files, today's store; then a PostgreSQL server started from Debian's packages
for this run, on loopback): two services are started with KBGEN_STORE set, the service as on
the main branch (`git archive BASELINE kbgen`, uvicorn's asyncio loop and h11: the baseline)
and this branch's (benchmarks/service_variant.py), and 64 clients (asyncio connections in 2
processes, benchmarks/load.py) each POST their notes to /v1/notes over one kept-alive connection, each note
with an id of its own, and each client's first note sent twice (an agent's tool retrying). Then
every note is read back from the store: an acknowledged note missing is lost, an id stored twice
is duplicated; both must be 0. RUNS rounds a store, interleaved; medians printed.

The same 64 clients also send their notes ten a request (`/v1/notes/batch`, as `kbgen log -`
and bots with a backlog do), and 64 threads append straight to the store (no HTTP, no matching): the store's own
ceiling, to tell the service's cost from the store's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from agents import KBGEN, demo_copy, run  # noqa: E402
from api import baseline_code, start_variant  # noqa: E402
from corpus import median  # noqa: E402
from load import load, request  # noqa: E402

CLIENTS = 64
QUESTIONS = ["how do I move my workspace to another region", "can the invoice show our VAT number",
             "is there a dark mode for the mobile app", "how do I merge two accounts", "do you offer a nonprofit discount"]


def note_requests(tag: str, per_client: int, token: str, port: int, batch: int = 1) -> tuple[list[list[bytes]], list[list[list[str]]]]:
    """Each client's requests (COUNT notes, the first sent twice; one a request, or BATCH a request
    to /v1/notes/batch) and the ids each request carries."""
    requests: list[list[bytes]] = []
    carried: list[list[list[str]]] = []
    for number in range(CLIENTS):
        ids = [f"{tag}-{number}-{k}" for k in range(per_client)]
        sent = [ids[0], *ids]
        notes = [{"question": f"{QUESTIONS[k % len(QUESTIONS)]} ({number}.{k})", "answer": "bench", "id": note_id}
                 for k, note_id in enumerate(sent)]
        groups = [notes[start : start + batch] for start in range(0, len(notes), batch)]
        requests.append([request("/v1/notes", json.dumps(g[0]).encode(), token, port) if batch == 1 else
                         request("/v1/notes/batch", json.dumps({"notes": g}).encode(), token, port) for g in groups])
        carried.append([[n["id"] for n in g] for g in groups])
    return requests, carried


def _timed(threads: list[threading.Thread]) -> float:
    """Seconds from starting THREADS to the last one's end."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def service_round(port: int, token: str, tag: str, per_client: int, read_ids, batch: int = 1) -> dict[str, float]:
    requests, carried = note_requests(tag, per_client, token, port, batch)
    sent, elapsed = load(port, requests, keep_bodies=batch > 1)
    acked: list[str] = []
    failed = 0
    for one in sent:
        ids = carried[one.client][one.index]
        if one.status not in (200, 201):
            failed += len(ids)
        elif batch == 1:
            acked += ids
        else:
            acked += [i for i, r in zip(ids, json.loads(one.body)["results"]) if "stored" in r]
    stored = Counter(i for i in read_ids() if i.startswith(tag + "-"))
    lost = len(set(acked) - set(stored))
    duplicated = sum(c - 1 for c in stored.values() if c > 1)
    return {"per_second": CLIENTS * per_client / elapsed, "lost": lost, "duplicated": duplicated,
            "failed": failed, "stored": len(stored)}


def direct_round(store, tag: str, per_client: int) -> dict[str, float]:
    from kbgen.notes import make_note

    def writer(number: int) -> None:
        for k in range(per_client):
            store.append([make_note({"question": f"{QUESTIONS[k % 5]} ({number}.{k})", "id": f"{tag}-{number}-{k}"})])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(CLIENTS)]
    elapsed = _timed(threads)
    stored = Counter(n.id for n in store.read() if n.id.startswith(tag + "-"))
    return {"per_second": CLIENTS * per_client / elapsed, "stored": len(stored),
            "duplicated": sum(c - 1 for c in stored.values() if c > 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="rounds a store (default 3)")
    parser.add_argument("--per-client", type=int, default=15, help="notes each of the 64 clients logs a round (default 15)")
    parser.add_argument("--baseline", default="main", metavar="REF", help="the git ref of the baseline service")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "kbgen")], check=True)
    from tests.postgres import fresh_schema, server

    from kbgen.store.jsonl import JsonlStore
    from kbgen.store.postgres import PostgresStore

    results: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp_name, server(settings=("fsync=on",)) as pg:
        url = fresh_schema(pg, "bench")
        root = demo_copy(Path(tmp_name))
        baseline = baseline_code(Path(tmp_name), args.baseline)
        run([*KBGEN, "ask", "warm up the cache", "--json"], root)
        token = subprocess.run([*KBGEN, "api", "token", "create", "--agent", "bench"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
        stores = {"files": (JsonlStore(root / "gaps"), {"KBGEN_STORE": ""}), "postgresql": (PostgresStore(url), {"KBGEN_STORE": url})}
        # each store behind the service as on main (the baseline) and as on this branch, side by side
        sides = {"main": "main", "branch": "fast+uvloop+cache"}
        services = {(name, side): start_variant(root, baseline, variant, env)
                    for name, (_, env) in stores.items() for side, variant in sides.items()}
        try:
            for r in range(args.runs):
                for name, (store, _) in stores.items():
                    for side in sides:
                        _, port = services[name, side]
                        mark = f"{r}{name[0]}{side[0]}"
                        results.setdefault(f"{name}, {side}: 64 clients POST /v1/notes", []).append(
                            service_round(port, token, f"S{mark}", args.per_client, lambda s=store: [n.id for n in s.read()]))
                        results.setdefault(f"{name}, {side}: 64 clients POST /v1/notes/batch, 10 notes a request", []).append(
                            service_round(port, token, f"B{mark}", args.per_client * 4, lambda s=store: [n.id for n in s.read()],
                                          batch=10))
                    results.setdefault(f"{name}: 64 threads append to the store", []).append(
                        direct_round(store, f"D{r}{name[0]}", args.per_client))
        finally:
            for service, _ in services.values():
                service.terminate()
                service.wait(timeout=30)
    print(f"{CLIENTS} clients x {args.per_client} notes (+1 repeated id each), {args.runs} rounds a store, 2 cores, loopback")
    for name, rounds in results.items():
        rates = [r["per_second"] for r in rounds]
        lost = sum(r.get("lost", 0) for r in rounds)
        duplicated = sum(r["duplicated"] for r in rounds)
        failed = sum(r.get("failed", 0) for r in rounds)
        print(f"{name}: median {median(rates):.0f} notes/s (rounds: {', '.join(f'{x:.0f}' for x in rates)}); "
              f"lost {lost}, duplicated {duplicated}, failed requests {failed}")


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001
        if type(exc).__name__ != "Unavailable":
            raise
        print(f"skipped: no PostgreSQL ({exc}); make postgres-deps installs it")  # `make bench` goes on
