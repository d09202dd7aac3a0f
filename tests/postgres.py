"""A throwaway PostgreSQL server from Debian's packages, for the tests and benchmarks/store.py.

`make postgres-deps` (which .ci/run calls) installs them; where they are missing the tests that
need a server are skipped with the reason. As root, the cluster belongs to the `postgres` user
(the package creates it; `nobody` otherwise), since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def binaries() -> Path:
    """The newest Debian PostgreSQL bin/ folder with initdb and pg_ctl."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        on_path = shutil.which("initdb")
        if on_path and shutil.which("pg_ctl"):
            return Path(on_path).parent
        raise Unavailable("PostgreSQL is not installed (make postgres-deps installs Debian's postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(settings: tuple[str, ...] = ()) -> Iterator[str]:
    """A started server on 127.0.0.1 (trust authentication, no password): yields its URL."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable("psycopg is not installed (pip install 'kbgen[postgres]')") from None
    bin_dir = binaries()
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        import pwd

        for name in ("postgres", "nobody"):
            try:
                owner = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        if owner is None or not shutil.which("runuser"):
            raise Unavailable("running as root with no 'postgres' or 'nobody' user and runuser to run PostgreSQL as")
        prefix = ["runuser", "-u", owner.pw_name, "--"]
    home = Path(tempfile.mkdtemp(prefix="kbgen-pg-"))
    data = home / "data"
    if owner is not None:
        os.chown(home, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    run = lambda *args: subprocess.run([*prefix, *map(str, args)], capture_output=True, text=True, timeout=120)  # noqa: E731
    try:
        done = run(bin_dir / "initdb", "-D", data, "-U", "kbgen", "-A", "trust", "--no-sync", "-E", "UTF8")
        if done.returncode:
            raise Unavailable(f"initdb failed: {done.stderr.strip()[-300:]}")
        options = " ".join(["-c listen_addresses=127.0.0.1", f"-p {port}", f"-c unix_socket_directories={home}",
                            "-c fsync=off" if "fsync=on" not in settings else "", *(f"-c {s}" for s in settings if s != "fsync=on")])
        done = run(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", home / "log", "-w", "-t", "60", "start")
        if done.returncode:
            log = (home / "log").read_text(errors="replace")[-400:] if (home / "log").exists() else ""
            raise Unavailable(f"pg_ctl start failed: {done.stderr.strip()[-300:]} {log}")
        try:
            yield f"postgresql://kbgen@127.0.0.1:{port}/postgres"
        finally:
            run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def fresh_schema(url: str, name: str) -> str:
    """URL for a new, empty schema NAME of the server at URL (one per test: no leftovers between them)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{url}?options=-csearch_path%3D{name}"


def wait_for(url: str, seconds: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(url).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
