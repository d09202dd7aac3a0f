"""Reading GitHub workflows as the runner would: their YAML, their steps, the `kbgen` commands in them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from kbgen.scaffold import scaffold_files
from tests.conftest import ROOT

OWN = ROOT / ".github" / "workflows"
SCAFFOLD_PREFIX = ".github/workflows/"


def all_workflows() -> dict[str, str]:
    """Label -> text of every workflow: the project's own (`own/x.yml`) and `kbgen init`'s (`init/x.yml`)."""
    found = {f"own/{p.name}": p.read_text(encoding="utf-8") for p in sorted(OWN.glob("*.y*ml"))}
    found.update({f"init/{rel[len(SCAFFOLD_PREFIX):]}": text for rel, text in scaffold_files().items()
                  if rel.startswith(SCAFFOLD_PREFIX)})
    return found


def load(text: str) -> dict[str, Any]:
    """A workflow as a dict; YAML 1.1 reads the key `on` as True, GitHub reads it as "on"."""
    data = yaml.safe_load(text)
    assert isinstance(data, dict), "a workflow is a mapping"
    if True in data:
        data["on"] = data.pop(True)
    return data


_OPERATORS = {";", "&&", "||", "|", "&", "(", ")"}
_REDIRECTS = {">", ">>", "<", ">&", "&>", ">|"}


def commands(script: str) -> list[list[str]]:
    """The simple commands of a `run:` script, as words: pipes, lists and redirections split off."""
    script = script.replace("\\\n", " ")
    found: list[list[str]] = []
    for line in script.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        skip = False
        for token in lexer:
            if skip:
                skip = False
            elif token in _OPERATORS:
                found.append(current)
                current = []
            elif token in _REDIRECTS:
                skip = True  # the redirection's target is not an argument
            else:
                current.append(token)
        found.append(current)
    return [c for c in found if c]


def kbgen_calls(script: str) -> list[list[str]]:
    """The arguments of every `kbgen ...` command in SCRIPT."""
    return [c[1:] for c in commands(script) if c[0] == "kbgen"]


def redirect_target(script: str) -> str:
    """Where SCRIPT's (first) `>` or `>>` writes."""
    match = re.search(r">>?\s*(\"[^\"]+\"|\S+)", script)
    assert match, script
    return match.group(1).strip('"')


def cli_problems(args: list[str]) -> list[str]:
    """Why `kbgen ARGS` would be refused by the real command line (no such command, option or value); [] if not."""
    import typer.main

    from kbgen.cli import app

    group = typer.main.get_command(app)
    try:
        root = group.make_context("kbgen", list(args), resilient_parsing=False)
    except Exception as exc:  # typer's click: UsageError and its kind
        return [f"kbgen {' '.join(args)}: {exc}"]
    # the command's name and its arguments (click 8.2 keeps the name in `_protected_args`)
    names = getattr(root, "_protected_args", None)
    rest = [*(root.protected_args if names is None else names), *root.args]
    if not rest:
        return [f"kbgen {' '.join(args)}: names no command"]
    command = group.get_command(root, rest[0])  # type: ignore[attr-defined]
    if command is None:
        return [f"kbgen {' '.join(args)}: no command '{rest[0]}'"]
    try:
        command.make_context(rest[0], rest[1:], parent=root)
    except Exception as exc:
        return [f"kbgen {' '.join(args)}: {exc}"]
    return []


def kind(step: dict[str, Any]) -> str:
    """What a step does, in a word: an action's name, `install`, `kbgen <command>` or `run`."""
    if "uses" in step:
        return step["uses"].split("@")[0].split("/")[-1]
    script = step["run"]
    if "pip install" in script:
        return "install"
    calls = kbgen_calls(script)
    if calls:
        return "kbgen " + next(a for a in calls[0] if not a.startswith("-"))
    return "run"


def kinds(job: dict[str, Any]) -> list[str]:
    return [kind(step) for step in job["steps"]]


def step_of(job: dict[str, Any], what: str) -> dict[str, Any]:
    return next(step for step in job["steps"] if kind(step) == what)


def scaffolded(name: str) -> str:
    return scaffold_files()[SCAFFOLD_PREFIX + name]


def own(name: str) -> Path:
    return OWN / name
