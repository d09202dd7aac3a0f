"""`kbgen api` SIGKILLed while many clients log notes: no acknowledged note is lost, none is
stored twice, and the next service takes over, on the gaps/ files and on PostgreSQL.

A note is acknowledged when the service answered 201 (stored) or 200 (already stored): by then
its line was handed to the operating system (files) or its row committed (PostgreSQL), so a
killed process cannot take it back. In `make test-slow` with the other SIGKILL trials.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import copy_demo, run_kbgen
from tests.service import start_service

pytestmark = pytest.mark.trials
TRIALS = max(1, int(os.environ.get("KBGEN_KILL_TRIALS", "20")) // 4)  # a service start costs seconds
CLIENTS = 16


def _client(port: int, token: str, prefix: str, acked: list[str], stop: threading.Event) -> None:
    """Log notes until the service dies; keep the ids it acknowledged."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for k in range(100_000):
        if stop.is_set():
            break
        note_id = f"{prefix}-{k}"
        body = json.dumps({"question": f"question {k} from {prefix} about moving folders", "answer": "x" * 100, "id": note_id})
        try:
            connection.request("POST", "/v1/notes", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            return  # the service is gone: this note was never acknowledged
        if response.status in (200, 201):
            acked.append(note_id)


@pytest.mark.parametrize("backend", ["files", "postgresql"])
def test_a_killed_service_loses_no_acknowledged_note(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    demo = copy_demo(tmp_path / "demo", ("kb", "docs"))
    env = {"KBGEN_STORE": request.getfixturevalue("postgres_url") if backend == "postgresql" else ""}
    if backend == "postgresql":
        from kbgen.store.postgres import PostgresStore

        store = PostgresStore(env["KBGEN_STORE"])
    else:
        from kbgen.store.jsonl import JsonlStore

        store = JsonlStore(demo / "gaps")
    token = run_kbgen("api", "token", "create", "--agent", "kills", cwd=demo).stdout.strip()
    rng = random.Random(14)
    acked: list[str] = []
    for trial in range(TRIALS):
        service, port = start_service(demo, env)
        stop = threading.Event()
        clients = [threading.Thread(target=_client, args=(port, token, f"T{trial}-{n}", acked, stop)) for n in range(CLIENTS)]
        for client in clients:
            client.start()
        time.sleep(rng.uniform(0.5, 3.0))
        service.send_signal(signal.SIGKILL)
        service.wait()
        stop.set()
        for client in clients:
            client.join(timeout=60)
        stored = Counter(n.id for n in store.read())
        missing = set(acked) - set(stored)
        assert not missing, f"trial {trial}: {len(missing)} acknowledged notes lost, e.g. {sorted(missing)[:3]}"
        assert all(count == 1 for count in stored.values()), f"trial {trial}: an id stored twice"
    assert len(acked) > TRIALS * CLIENTS, "the clients logged too little for the trials to mean anything"
    if backend == "files":
        for shard in (demo / "gaps").glob("*.jsonl"):
            for line in shard.read_bytes().splitlines():
                if line.strip():
                    json.loads(line)  # whole lines only (a torn tail is closed off by the next writer)
    # the next service stores the same ids once, and new ones
    service, port = start_service(demo, env)
    try:
        again: list[bool] = []
        replay = acked[:5]
        for note_id in replay:
            body = json.dumps({"question": "a retry after the kill", "id": note_id})
            req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/notes", data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=30) as response:
                again.append(json.loads(response.read())["stored"])
        assert again == [False] * len(replay)
    finally:
        service.terminate()
        service.wait(timeout=30)
    if hasattr(store, "close"):
        store.close()
