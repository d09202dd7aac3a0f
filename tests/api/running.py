"""The real `kbgen api` in a subprocess, for the tests that call it over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import run_kbgen


@dataclass
class Service:
    url: str
    root: Path
    token: str

    def call(self, method: str, path: str, body: Any = None, token: str | None = "", headers: dict[str, str] | None = None,
             raw: bytes | None = None) -> tuple[int, dict[str, str], Any]:
        """(status, headers with lower-case names, parsed JSON body or None)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Content-Type": "application/json", **(headers or {})}
        token = self.token if token == "" else token
        if token:
            sent["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, got, text = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, got, text = exc.code, exc.headers, exc.read()
        return status, {k.lower(): v for k, v in got.items()}, json.loads(text) if text else None

    def signal(self, body: Any, client: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        """A signal from the site, as from client address CLIENT (the service trusts X-Forwarded-For from
        127.0.0.1, as from a reverse proxy on the same host)."""
        headers = {"X-Forwarded-For": client, **kwargs.pop("headers", {})}
        return self.call("POST", "/v1/signals", body, token=None, headers=headers, **kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(root: Path, agent: str = "maya", port: int = 0) -> Iterator[Service]:
    """`kbgen api` on the knowledge base at ROOT, with a token for AGENT; its log beside ROOT, checked
    for tracebacks when it stops."""
    created = run_kbgen("api", "token", "create", "--agent", agent, cwd=root)
    assert created.code == 0, created.stderr
    port = port or free_port()
    log = (root.parent / "service.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "kbgen", "--kb", str(root), "api", "--port", str(port)],
                               cwd=root.parent, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
    service = Service(f"http://127.0.0.1:{port}", root, created.stdout.strip())
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if service.call("GET", "/healthz", token=None)[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, (root.parent / "service.log").read_text()
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.3)
        yield service
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    assert "Traceback" not in (root.parent / "service.log").read_text()
