"""Commands about the knowledge base itself: `kbgen check`, `kbgen init` and `kbgen import`."""


from pathlib import Path
from typing import Annotated, Optional

import typer

from kbgen.errors import KbgenError

from . import app
from .output import QUICK_EXIT, JsonOption, print_json


@app.command("check")
def check_command(
    json_output: JsonOption = False,
    output_format: Annotated[
        str,
        typer.Option("--format", help="Output format: text, json, or github (pull-request annotations)."),
    ] = "text",
    changed_since: Annotated[
        Optional[str],
        typer.Option("--changed-since", metavar="REF", help="Report only files changed since this git ref."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Validate the knowledge base and report every problem with file, line and key.

    Exit status 1 when there are errors (or warnings, with --strict).

    Example: kbgen check --format github --changed-since origin/main
    """
    from kbgen.check import check
    from kbgen.escape import github_data, github_property, terminal
    from kbgen.project import Project

    if output_format not in ("text", "json", "github"):
        raise typer.BadParameter("choose text, json or github", param_hint="--format")
    if json_output:
        output_format = "json"
    # CI and pre-commit run this on every change: once the report is out the process ends, without
    # freeing 10,000 articles one by one (nothing is left to write: the cache is in place by then)
    QUICK_EXIT["on"] = True
    result = check(Project.find(), changed_since=changed_since)
    if output_format == "json":
        print_json(result.to_dict(strict))
    elif output_format == "github":
        for d in result.diagnostics:
            kind = "error" if d.is_error or strict else "warning"
            line = f",line={d.line}" if d.line else ""
            # file names and messages hold editors' text: escaped, they cannot end the command early
            typer.echo(f"::{kind} file={github_property(d.path)}{line},title=kbgen {d.rule}::{github_data(d.message)}")
    else:
        for d in result.diagnostics:
            typer.echo(terminal(str(d)))
        errors, warnings = len(result.errors), len(result.warnings)
        verdict = "failed" if result.failed(strict) else "ok"
        typer.echo(
            f"{verdict}: {len(result.kb.articles)} article{'s' * (len(result.kb.articles) != 1)} checked, "
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}",
            err=True,
        )
    if result.failed(strict):
        raise typer.Exit(1)


@app.command("init")
def init_command(
    directory: Annotated[Path, typer.Argument(help="Folder for the new knowledge base.")] = Path("."),
    name: Annotated[str, typer.Option("--name", help="The help center's name, shown on the site.")] = "Help Center",
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
    kbgen_source: Annotated[Optional[str], typer.Option(
        "--kbgen-source", metavar="GIT_URL@REF", envvar="KBGEN_SOURCE", show_envvar=True,
        help="Where CI installs kbgen from (requirements-kbgen.txt): a git URL with the commit or tag to pin, like "
             "git+https://github.com/acme/kbgen@v0.1.0. Default: the git commit this kbgen was installed from, "
             "else this version from a package index.")] = None,
) -> None:
    """Create a new knowledge base that passes `kbgen check` and builds at once.

    Writes kb/ with a sample article, gaps/, the docs/ shell, mkdocs.yml, .gitignore,
    .gitattributes, requirements-kbgen.txt (this kbgen, pinned) and the CI: GitHub workflows for
    pull requests, publishing to GitHub Pages and weekly drafts, a pull-request template and a
    CODEOWNERS example. Refuses to overwrite existing files unless --force.

    Example: kbgen init my-help-center --name "Acme Help" --kbgen-source git+https://github.com/acme/kbgen@v0.1.0
    """
    from kbgen.scaffold import scaffold
    from kbgen.source import find_source

    from .output import warn

    source = find_source(kbgen_source)
    written = scaffold(directory, site_name=name, force=force, source=source)
    for path in written:
        typer.echo(f"created {path}")
    if source.found_by == "index":
        pins = " ".join(source.requirements())
        warn(f"requirements-kbgen.txt pins {pins}: CI installs them from a package index, which must serve them "
             "(kbgen was not installed from git here). To install from a repository instead, run init with "
             "--kbgen-source git+<url>@<commit> (or KBGEN_SOURCE), or edit requirements-kbgen.txt.")
    typer.echo(f"\nNext: cd {directory} && kbgen check && kbgen build", err=True)


@app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="The old help center's folder (Jekyll, Docusaurus or mkdocs).")],
    into: Annotated[
        Optional[Path],
        typer.Option("--into", metavar="DIR", help="The knowledge base to import into (its folder with mkdocs.yml); "
                     "default: the current one."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be written; write nothing.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Bring an existing Markdown help center (Jekyll, Docusaurus or mkdocs) into kb/.

    Each page becomes kb/<category>/<slug>.md: its category (Jekyll `categories`, or its folder)
    is the folder, with an entry in kb/categories.yml; `description` becomes `summary`, `date`
    becomes `updated`, tags are kept, and every other key (`order`, `sidebar_position`...) is kept
    as written. Links between pages (Liquid `{{ site.baseurl }}/...`, `{% link %}`, `{% post_url %}`,
    site addresses like /article/slug/ or /docs/x, relative .md links) become file links; images
    are copied to docs/assets/imported/. Liquid includes and MDX imports and components are removed.
    The report names everything it could not convert, with file and line.

    Writes nothing when the source cannot be read or a file is in the way (unless --force).

    Example: kbgen import ../old-help-center --dry-run
    """
    from kbgen.importer import KIND_NAMES, import_help_center
    from kbgen.project import CONFIG_NAME, Project

    from .output import say

    if into is not None:
        if not (into / CONFIG_NAME).is_file():
            raise KbgenError(f"--into: {into} has no {CONFIG_NAME}; create the knowledge base first with `kbgen init {into}`")
        project = Project.load(into)
    else:
        project = Project.find()
    result = import_help_center(source, project, force=force, dry_run=dry_run)
    if json_output:
        print_json(result.to_dict())
        return
    kind = KIND_NAMES[result.kind]
    verb = "would import" if dry_run else "imported"
    pages = len(result.articles)
    say(f"{verb} {pages} page{'s' * (pages != 1)} from a {kind} help center into {project.kb_rel}/")
    if result.categories:
        width = max(len("category"), *(len(name) for name in result.categories))
        say(f"  {'category'.ljust(width)}  pages")
        for name, count in sorted(result.categories.items()):
            new = "  (new)" if name in result.new_categories else ""
            say(f"  {name.ljust(width)}  {count:>5}{new}")
    say(f"links rewritten: {result.links_rewritten}; images and files copied: {len(result.assets)}")
    if dry_run:
        for path in result.files:
            say(f"would write {path}")
    else:
        files = len(result.files)
        say(f"wrote {files} file{'s' * (files != 1)}" if files else "nothing to write: kb/ already holds all of it")
    if result.problems:
        say(f"could not convert ({len(result.problems)}):")
        for problem in result.problems:
            say(f"  {problem}")
    if not dry_run:
        say("\nNext: kbgen check && kbgen build", err=True)
