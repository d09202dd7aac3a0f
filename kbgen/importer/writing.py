"""Writing an import: every file at once or none, never over a file without --force, never through
a symbolic link."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import KbgenError
from ..project import Project


def drop_unchanged(outputs: dict[Path, bytes], project: Project, force: bool) -> dict[Path, bytes]:
    """OUTPUTS without files that already hold the same bytes; an error for any other file in the
    way (unless FORCE), and always for a symbolic link or folder in the way."""
    root = project.root
    kept: dict[Path, bytes] = {}
    clashes: list[Path] = []
    categories = project.kb_dir / "categories.yml"
    for path, data in outputs.items():
        for part in [path, *path.parents]:
            if part == root or root not in part.parents:
                break
            if part.is_symlink():
                raise KbgenError("a symbolic link is in the way; not writing through it", path=project.relpath(part))
        if path.is_dir():
            raise KbgenError("a folder is in the way of an imported file", path=project.relpath(path))
        if path.is_file():
            if path.read_bytes() == data:
                continue
            if path != categories:  # categories.yml only gains entries
                clashes.append(path)
        kept[path] = data
    if clashes and not force:
        raise KbgenError(f"{len(clashes)} file(s) already exist, for example {project.relpath(clashes[0])}; nothing was "
                         "written (use --force to overwrite them)")
    return kept


def write_all(outputs: dict[Path, bytes], project: Project) -> None:
    """Every file into a staging folder first, then each moved into place: a failure before the moves
    leaves the knowledge base as it was.

    The staging folder is in kbgen's (git-ignored) cache when that is on the same disk as the
    knowledge base, so the moves are renames; one left by a killed import is removed by the next."""
    from ..files import _running

    cache = project.cache_dir
    try:
        cache.mkdir(parents=True, exist_ok=True)
        same_disk = cache.stat().st_dev == project.root.stat().st_dev
    except OSError:
        same_disk = False
    folder = cache if same_disk else project.root
    for old in folder.glob(".kbgen-import-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    stage = folder / f".kbgen-import-{os.getpid()}"
    try:
        staged = []
        for n, (path, data) in enumerate(outputs.items()):
            tmp = stage / str(n)
            tmp.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
            staged.append((tmp, path))
        for tmp, path in staged:
            path.parent.mkdir(parents=True, exist_ok=True)
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
