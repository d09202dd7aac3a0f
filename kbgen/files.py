"""Small file helpers shared by every writer: atomic replacement, so readers never see half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def atomic_write_text(path: Path, text: str) -> None:
    """Write TEXT to PATH so that an interruption leaves either the old file or the new one."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write DATA to PATH so that an interruption leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def staging_dir(target: Path) -> Path:
    """A hidden sibling of TARGET to build into, so TARGET changes only when the new one is whole."""
    return target.parent / f".{target.name}.new-{os.getpid()}"


def recover_dir(target: Path) -> None:
    """Clean up after a build that was killed: remove its half-built siblings and, if it was
    killed between moving the old folder aside and the new one in, put the old one back."""
    import shutil

    for sibling in sorted(target.parent.glob(f".{target.name}.*-*")):
        kind, _, pid = sibling.name[len(target.name) + 2 :].partition("-")
        if kind not in ("new", "old") or not pid.isdigit() or (int(pid) != os.getpid() and _running(int(pid))):
            continue
        if kind == "old" and not target.exists():
            os.replace(sibling, target)
        else:
            shutil.rmtree(sibling, ignore_errors=True)


def swap_dir(new: Path, target: Path) -> None:
    """Put the folder NEW at TARGET in one step, then remove the old TARGET.

    On Linux the two are exchanged atomically (renameat2); elsewhere the old folder is moved
    aside first, and `recover_dir` puts it back if the process dies in between.
    """
    import shutil

    if not target.exists():
        os.replace(new, target)
        return
    if not _exchange(new, target):
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.replace(target, old)
        os.replace(new, target)
        new = old
    shutil.rmtree(new, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False where unavailable."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return result == 0


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def editing(project_cache: Path) -> Iterator[None]:
    """One command at a time that edits kb/ from the notes (draft, promote, apply-findability).

    Two `kbgen draft` runs at once would each read the same gaps and write the same drafts; the
    second waits here for the first, then reads what the first wrote. A cache that cannot be
    written only loses the lock (the notes' own lock still keeps the log whole)."""
    try:
        project_cache.mkdir(parents=True, exist_ok=True)
        fd = os.open(project_cache / "edit.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            pass
        yield
    finally:
        os.close(fd)
