"""Every command has help with an example; the version is printed; README documents every command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kbgen import __version__
from kbgen.cli import app
from tests.conftest import ROOT, run_kbgen


def command_names() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def test_version(tmp_path: Path) -> None:
    result = run_kbgen("--version", cwd=tmp_path)
    assert result.code == 0 and result.stdout.strip() == f"kbgen {__version__}"


def test_top_level_help_lists_commands_with_an_example(tmp_path: Path) -> None:
    result = run_kbgen("--help", cwd=tmp_path)
    assert result.code == 0
    assert "Example" in result.stdout
    for name in command_names():
        assert name in result.stdout


@pytest.mark.parametrize("name", command_names())
def test_every_command_help_has_an_example(name: str, tmp_path: Path) -> None:
    result = run_kbgen(name, "--help", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert re.search(r"Example: kbgen " + name, result.stdout), result.stdout


@pytest.mark.parametrize("name", command_names())
def test_every_command_is_documented_in_the_readme(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`kbgen {name}" in readme, f"README.md does not document `kbgen {name}`"
