"""Output conventions shared by every command: results on stdout, errors and progress on stderr."""


import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


# Commands that agents run many times a day set this: once their output is flushed, the process
# ends without tearing down onnxruntime, numpy and the index (about 20 ms of a 0.3 s command).
QUICK_EXIT = {"on": False}


def say(text: str, err: bool = False) -> None:
    """One line for people, with untrusted parts (titles, file names, note text) made terminal-safe."""
    from kbgen.escape import terminal

    typer.echo(terminal(text), err=err)


def warn(message: str) -> None:
    say(f"warning: {message}", err=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop the command with MESSAGE on stderr; no traceback."""
    say(f"error: {message}", err=True)
    raise typer.Exit(code)


def stderr_console() -> Any:
    """A rich console on stderr for progress and status (imported only by commands that need it)."""
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def progress_on_stderr(quiet: bool = False, min_total: int = 0) -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback, (what, done, total), drawing one bar per kind of work on stderr.

    Nothing is drawn for work of fewer than MIN_TOTAL items, when QUIET, or when stderr is not a
    terminal (rich is imported only once there is something to draw), so quick commands stay quick.
    """
    state: dict[str, Any] = {"progress": None, "tasks": {}}

    def step(what: str, done: int, total: int) -> None:
        if quiet or total < min_total:
            return
        if state["progress"] is None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            console = stderr_console()
            if not console.is_terminal:
                state["progress"] = False
                return
            state["progress"] = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                         TimeElapsedColumn(), console=console, transient=True)
            state["progress"].start()
        if state["progress"] is False:
            return
        tasks = state["tasks"]
        if what not in tasks:
            tasks[what] = state["progress"].add_task(what, total=total)
        state["progress"].update(tasks[what], completed=done, total=total)

    try:
        yield step
    finally:
        if state["progress"]:
            state["progress"].stop()
