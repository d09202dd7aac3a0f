"""`kbgen init`: a new knowledge base from the files in kbgen/scaffold_files/.

Dotfiles are stored as `dot-<name>` so packaging tools do not drop them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import KbgenError
from .files import atomic_write_text

PLACEHOLDER = "{{ site_name }}"


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


def scaffold(directory: Path, site_name: str = "Help Center", force: bool = False) -> list[str]:
    """Write a working knowledge base into DIRECTORY; returns the paths written."""
    files = scaffold_files()
    existing = sorted(p for p in files if (directory / p).exists())
    if existing and not force:
        raise KbgenError(
            f"{len(existing)} file(s) already exist, for example {directory / existing[0]}; "
            "nothing was written (use --force to overwrite)",
            path=directory,
        )
    name = site_name.replace('"', "'")
    for rel, text in files.items():
        atomic_write_text(directory / rel, text.replace(PLACEHOLDER, name))
    return sorted(files)
