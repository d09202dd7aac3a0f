"""The `kbgen` command line: a thin typer layer over the library.

Each command module parses options, calls the library and prints; library errors
(KbgenError) are turned into one line on stderr and exit status 1 here, in one place.
Heavy modules are imported inside the commands, so `kbgen log` and `kbgen ask` start fast.
"""


import os
import sys
from typing import Annotated, Optional

import typer

from kbgen import __version__
from kbgen.errors import KbgenError

from .output import QUICK_EXIT, say

app = typer.Typer(
    name="kbgen",
    help=(
        "kbgen: a help center that grows from the questions it could not answer.\n\n"
        "Build the knowledge base in kb/ into a searchable site, answer agents' questions, "
        "log the ones it cannot answer, and turn those into draft articles.\n\n"
        "Example: kbgen check && kbgen build"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kbgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
    kb: Annotated[
        Optional[str],
        typer.Option("--kb", metavar="DIR", help="The knowledge base to work on (its folder with mkdocs.yml), "
                     "from anywhere; default: KBGEN_KB, else the current folder or the nearest above it."),
    ] = None,
) -> None:
    """kbgen: a help center that grows from the questions it could not answer."""
    if kb is not None:
        os.environ["KBGEN_KB"] = kb  # read by Project.find, for this process only


# Registering the commands imports only their small CLI modules, never the heavy libraries.
from . import agent_commands, api_commands, gap_commands, kb_commands, site_commands  # noqa: E402,F401


def main() -> None:
    """Entry point: run the app, turning user-fixable errors into one line and exit status 1."""
    for stream in (sys.stdout, sys.stderr):  # a terminal or pipe that cannot show a character gets \u escapes
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass
    try:
        app()
    except SystemExit as exc:
        if QUICK_EXIT["on"]:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                typer.echo(str(exc.code), err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        raise
    except KbgenError as exc:
        say(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:  # a folder that is a file, a shard that is a folder, a full disk...
        where = f"{exc.filename}: " if exc.filename else ""
        say(f"error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
