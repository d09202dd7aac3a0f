"""Every command has help with an example; the version is printed; the README names every command
and guide/commands.md documents each; links in the README and the guides lead somewhere."""

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
    assert f"`kbgen {name}" in readme, f"README.md does not name `kbgen {name}`"
    reference = (ROOT / "guide" / "commands.md").read_text(encoding="utf-8")
    assert f"| `kbgen {name}" in reference, f"guide/commands.md has no row for `kbgen {name}`"


def test_links_in_the_readme_and_guides_lead_to_files_that_exist() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "guide").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            if path.startswith("../account-and-sign-in/"):  # an article's own link, shown in an example
                continue
            assert (page.parent / path).exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"
