"""Commands that make the customers' site: `kbgen build` and `kbgen serve`."""


from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from . import app
from .output import fail, say, warn


def _checked_project():  # type: ignore[no-untyped-def]
    """The project, after a check that prints errors to stderr and stops the command on them."""
    from kbgen.check import check
    from kbgen.project import Project

    project = Project.find()
    if not project.plugin_listed:
        fail(f"{project.relpath(project.config_file)} does not list the kbgen plugin under 'plugins:', so the site would "
             "have no articles; add '- kbgen' after '- search'")
    result = check(project)
    if result.errors:
        for d in result.errors:
            say(str(d), err=True)
        fail(f"not building: the knowledge base has {len(result.errors)} error(s); fix them and try again")
    return project


THEME_END_OF_LIFE = ("the site's theme, Material for MkDocs, reaches end of life on 5 May 2027 (security fixes "
                     "until then); kbgen's site step is a thin plugin so it can move: see guide/site.md, 'The theme's end of life' "
                     "(set NO_MKDOCS_2_WARNING=1 to hide this)")


@contextmanager
def _mkdocs_messages(level: int) -> Iterator[Any]:
    """mkdocs' and the theme's log messages at LEVEL and above, on stderr, while building or serving;
    the console they are printed on is given to the caller for progress bars."""
    import logging
    import os

    from rich.logging import RichHandler

    from .output import stderr_console

    console = stderr_console()
    if not os.environ.get("NO_MKDOCS_2_WARNING"):
        warn(THEME_END_OF_LIFE)
    logger = logging.getLogger("mkdocs")
    handler = RichHandler(console=console, show_time=False, show_path=False, markup=False)
    handler.setLevel(level)
    logger.addHandler(handler)
    logger.setLevel(min(level, logging.INFO))
    logger.propagate = False
    try:
        yield console
    finally:
        logger.removeHandler(handler)


@app.command("build")
def build_command(
    site_dir: Annotated[
        Optional[Path], typer.Option("--site-dir", "-d", help="Where to write the site (default: site/).")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on mkdocs warnings too.")] = False,
) -> None:
    """Check the knowledge base, build the customers' help site, and refresh the search index.

    Refuses to build when `kbgen check` reports errors; the previous site is left as it was.

    Example: kbgen build -d public/
    """
    import logging
    import shutil
    import time

    from kbgen.errors import KbgenError
    from kbgen.files import recover_dir, staging_dir, swap_dir

    project = _checked_project()
    target = (site_dir or project.site_dir).resolve()
    try:
        project.check_site_folder(target)
    except KbgenError as exc:
        fail(f"--site-dir: {exc}")
    recover_dir(target)
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    # built beside the old site and swapped in only when whole: a kill, a full disk or a failed
    # --strict build leaves the previous site as it was
    staging = staging_dir(target)
    overrides: dict[str, object] = {"strict": strict, "site_dir": str(staging)}
    started = time.monotonic()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with _mkdocs_messages(logging.WARNING) as console, Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("Building pages", total=None)
            config = load_config(str(project.config_file), **overrides)
            config.plugins["kbgen-progress"] = _progress_plugin(progress, task)
            config.plugins.on_startup(command="build", dirty=False)
            try:
                build(config)
            finally:
                config.plugins.on_shutdown()
    except MkDocsException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        fail(f"the site could not be built: {exc}; the previous site is left as it was")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_dir(staging, target)
    from kbgen.engine import open_engine

    from .output import stderr_console

    console = stderr_console()

    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def step(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done, total=total)

        open_engine(project, on_warning=warn, progress=step).close()
    typer.echo(f"Built the help site in {target} and refreshed the search index ({time.monotonic() - started:.1f} s)", err=True)


def _progress_plugin(progress: Any, task: Any) -> Any:
    """A tiny mkdocs plugin, added by the CLI only, that advances the progress bar per page."""
    from mkdocs.plugins import BasePlugin

    class ProgressPlugin(BasePlugin):  # type: ignore[type-arg]
        def on_files(self, files: Any, config: Any) -> Any:
            progress.update(task, total=len(files.documentation_pages()))
            return files

        def on_post_page(self, output: str, page: Any, config: Any) -> str:
            progress.advance(task)
            return output

    return ProgressPlugin()


@app.command("serve")
def serve_command(
    address: Annotated[str, typer.Option("--dev-addr", "-a", help="IP:PORT to serve on.")] = "127.0.0.1:8000",
    open_browser: Annotated[bool, typer.Option("--open", help="Open the site in a browser.")] = False,
) -> None:
    """Preview the help site, rebuilding when kb/ or docs/ change.

    A saved article renders again only the pages that show it (its page, its category's page,
    the home and tags pages, articles that list it); anything else builds the whole site. A save
    with errors is reported and the last good site stays served.

    Example: kbgen serve -a 127.0.0.1:8080
    """
    import logging

    from mkdocs.exceptions import MkDocsException

    project = _checked_project()
    from kbgen.mkdocs_plugin.live import LivePreview

    host, _, port = address.rpartition(":")
    say(f"Serving the help site at http://{host or '127.0.0.1'}:{port}/ (rebuilt when kb/ or docs/ change; "
        "Ctrl+C stops)", err=True)
    try:
        with _mkdocs_messages(logging.INFO):
            LivePreview(project, address, report=lambda line: say(line, err=True)).serve(open_in_browser=open_browser)
    except MkDocsException as exc:
        fail(f"the preview could not start: {exc}")
