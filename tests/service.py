"""`kbgen api` started on a free loopback port, for the tests and benchmarks that need a live service."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def start_service(root: Path, env: dict[str, str], command: list[str] | None = None) -> tuple[subprocess.Popen, int]:
    """The service for ROOT with ENV added, once /healthz answers: (its process, its port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    service = subprocess.Popen([*(command or [sys.executable, "-m", "kbgen"]), "api", "--port", str(port)], cwd=root,
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return service, wait_until_up(service, port)


def wait_until_up(service: subprocess.Popen, port: int) -> int:
    """PORT once the SERVICE started on it answers /healthz (killed if it exits or takes 2 minutes)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
            return port
        except OSError:
            if service.poll() is not None or time.monotonic() > deadline:
                service.kill()
                raise RuntimeError("kbgen api did not start") from None
            time.sleep(0.1)
