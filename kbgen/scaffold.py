"""`kbgen init`: a new knowledge base from the files in kbgen/scaffold_files/.

Dotfiles are stored as `dot-<name>` so packaging tools do not drop them.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .errors import KbgenError
from .files import atomic_write_text
from .source import Source

PLACEHOLDER = "{{ site_name }}"
REQUIREMENTS = "{{ kbgen_requirements }}"  # in requirements-kbgen.txt: the pinned install lines
VERSION = "{{ kbgen_version }}"


def scaffold_files() -> dict[str, str]:
    """Target path (relative to the new root) -> text, for every file `init` writes."""
    root = resources.files("kbgen") / "scaffold_files"
    found: dict[str, str] = {}

    def walk(folder: object, prefix: str) -> None:
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):  # type: ignore[attr-defined]
            name = entry.name
            if name == "__pycache__":
                continue
            target = prefix + (("." + name[4:]) if name.startswith("dot-") else name)
            if entry.is_dir():
                walk(entry, target + "/")
            else:
                found[target] = entry.read_text(encoding="utf-8")

    walk(root, "")
    return found


def scaffold(directory: Path, site_name: str = "Help Center", force: bool = False, source: Source | None = None) -> list[str]:
    """Write a working knowledge base into DIRECTORY; returns the paths written.

    SOURCE is the kbgen its CI installs (requirements-kbgen.txt); default: this version, from an index.
    """
    from . import __version__

    files = scaffold_files()
    existing = sorted(p for p in files if (directory / p).exists())
    if existing and not force:
        raise KbgenError(
            f"{len(existing)} file(s) already exist, for example {directory / existing[0]}; "
            "nothing was written (use --force to overwrite)",
            path=directory,
        )
    name = site_name.replace('"', "'")
    values = {PLACEHOLDER: name, REQUIREMENTS: "\n".join((source or Source()).requirements()), VERSION: __version__}
    pattern = re.compile("|".join(re.escape(p) for p in values))  # one pass: a value is never read again
    for rel, text in files.items():
        atomic_write_text(directory / rel, pattern.sub(lambda m: values[m.group(0)], text))
    return sorted(files)
