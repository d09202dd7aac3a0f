"""Every command has help with an example; the version is printed; the README names every command
and guide/commands.md documents each; links in the README and the guides lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _command_lines(section: str) -> list[list[str]]:
    """Every `kbgen ...` command in SECTION: in its code blocks (comments, `VAR=value` prefixes and
    `&&` chains taken apart) and in its inline code spans."""
    import shlex

    found: list[list[str]] = []
    blocks = re.findall(r"```(?:sh|console)\n(.*?)```", section, re.S)
    spans = re.findall(r"`(kbgen [^`]+)`", re.sub(r"```.*?```", "", section, flags=re.S))
    for line in [ln.strip().removeprefix("$ ") for block in blocks for ln in block.splitlines()] + spans:
        words = shlex.split(line, comments=True)
        for part in " ".join(shlex.quote(w) for w in words).split(" '&&' ") if "&&" in words else [shlex.join(words)]:
            argv = shlex.split(part)
            while argv and re.match(r"^[A-Z_]+=", argv[0]):
                argv.pop(0)
            if argv and argv[0] == "kbgen" and len(argv) > 1:
                found.append(argv[1:])
    return found


def _parses(argv: list[str]) -> None:
    """ARGV as kbgen's command line parses it (options, their types, the subcommand), without
    running it; a command named alone (`kbgen export` in a sentence) need only exist."""
    import typer.main

    command: Any = typer.main.get_command(app)
    if len(argv) == 1:
        assert argv[0] in command.commands, argv
        return
    context = command.make_context("kbgen", list(argv))
    while hasattr(command, "resolve_command"):
        rest = [*(getattr(context, "_protected_args", None) or getattr(context, "protected_args", None) or []), *context.args]
        if not rest:  # a group that runs itself (`kbgen api --port 8000`)
            break
        name, command, rest = command.resolve_command(context, rest)
        context = command.make_context(name, rest, parent=context)


def test_the_readme_team_service_commands_are_real_commands() -> None:
    section = _section((ROOT / "README.md").read_text(encoding="utf-8"), "Running the team service")
    lines = _command_lines(section)
    named = {" ".join(argv[:3]) for argv in lines}
    assert {"api token create", "api --host 127.0.0.1", "export"} <= named and any(a[0] == "log" for a in lines), named
    for argv in lines:
        _parses(argv)  # a misspelt option or command raises click's usage error here
    with pytest.raises(Exception, match="No such option"):
        _parses(["api", "token", "create", "--agnet", "maya"])  # the check can fail
