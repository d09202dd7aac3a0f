"""Output conventions shared by every command: results on stdout, errors and progress on stderr."""


import json
import sys
from typing import Annotated, Any, NoReturn

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of text.")]


def print_json(data: Any) -> None:
    """One JSON document on stdout, readable by people too."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def print_json_line(data: Any) -> None:
    """One compact JSON object a line (JSON Lines), flushed so a pipe reader sees it at once."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop the command with MESSAGE on stderr; no traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def stderr_console() -> Any:
    """A rich console on stderr for progress and status (imported only by commands that need it)."""
    from rich.console import Console

    return Console(stderr=True)
