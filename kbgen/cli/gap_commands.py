"""Commands for editors closing coverage gaps: `kbgen report` and `kbgen draft`."""


import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from . import app
from .output import JsonOption, fail, print_json, say, stderr_console, warn

SinceOption = Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="Only notes logged on or after DATE (YYYY-MM-DD).")]
CategoryOption = Annotated[Optional[str], typer.Option("--category", help="Only this category (the note's, else its closest article's).")]
AsOfOption = Annotated[
    Optional[str],
    typer.Option("--as-of", metavar="DATE", help="Report as of DATE instead of today (reproducible reports)."),
]


def _date(value: Optional[str], option: str, bounded: bool = False) -> Optional[date]:
    """A date option; BOUNDED: from 2000 (no note is older) to tomorrow (no note is newer)."""
    if not value:
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date like 2026-11-01", param_hint=option) from None
    if bounded and (found.year < 2000 or found > date.today() + timedelta(days=1)):
        raise typer.BadParameter(f"'{value}' is outside the notes' range (2000-01-01 to today)", param_hint=option)
    return found


def _coverage(since: Optional[str], category: Optional[str], as_of: Optional[str], quiet: bool) -> tuple[Any, Any, Any, date, Any]:
    """Load everything and analyse it, with progress on stderr for long logs."""
    from rich.progress import Progress

    from kbgen.gaps import analyze
    from kbgen.kb import KnowledgeBase
    from kbgen.notes import ReadProblem
    from kbgen.engine import open_engine
    from kbgen.store import open_store
    from kbgen.project import Project

    since_date, as_of_date = _date(since, "--since"), _date(as_of, "--as-of", bounded=True)
    today = as_of_date or date.today()
    moment = datetime.combine(today, datetime.max.time(), timezone.utc) if as_of_date else datetime.now(timezone.utc)
    project = Project.find()
    kb = KnowledgeBase.load(project)
    if category and category not in kb.categories:
        fail(f"--category: no category '{category}' in kb/ (known: {', '.join(sorted(kb.categories))})")
    problems: list[ReadProblem] = []
    store = open_store(project)
    notes = store.read(problems)
    signals = store.read_signals(problems)
    for problem in problems:
        where = f"{project.relpath(Path(problem.path))}:{problem.line}" if problem.line else project.relpath(Path(problem.path))
        warn(f"{where}: {problem.message}")
    later = sum(1 for n in notes if n.when > moment)
    if later and not as_of_date:
        typer.echo(f"warning: {later} note{'s' * (later != 1)} dated after now left out (check the 'time' of the lines in gaps/)", err=True)
    if since_date and not any(n.when.date() >= since_date for n in notes):
        typer.echo(f"warning: no notes on or after {since_date.isoformat()}", err=True)
    console = stderr_console()
    started = time.monotonic()
    with Progress(console=console, transient=True, disable=quiet or not console.is_terminal) as progress:
        tasks: dict[str, Any] = {}

        def step(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done, total=total)

        engine = open_engine(project, on_warning=warn, progress=step)
        since_moment = datetime.combine(since_date, datetime.min.time(), timezone.utc) if since_date else None
        coverage = analyze(kb, notes, engine, as_of=moment, since=since_moment, category=category, progress=step,
                           signals=signals, min_searches=int(project.options.get("report_min_searches", 3)))
    elapsed = time.monotonic() - started
    if elapsed >= 10 and not quiet:  # a first report over a large log encodes every question once
        typer.echo(f"Matched and grouped {len(notes):,} notes in {elapsed:.0f} s; later reports reuse that work.", err=True)
    return project, kb, coverage, today, engine


@app.command("report")
def report_command(
    json_output: JsonOption = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print Markdown for a pull-request comment or CI job summary.")] = False,
    html_file: Annotated[Optional[Path], typer.Option("--html", metavar="FILE", help="Write a self-contained HTML page with charts.")] = None,
    since: SinceOption = None,
    category: CategoryOption = None,
    min_size: Annotated[int, typer.Option("--min-size", min=1, help=(
        "Only gaps with at least this many notes (a gap of searches alone has its own threshold, report_min_searches)."))] = 1,
    top: Annotated[
        Optional[int], typer.Option("--top", min=1, help="How many gaps and articles to show (default 10, 20 in --html; JSON lists all).")
    ] = None,
    as_of: AsOfOption = None,
    apply_findability: Annotated[
        bool,
        typer.Option("--apply-findability", help="Add the findability phrasings to the articles' questions and mark those notes resolved."),
    ] = False,
) -> None:
    """Coverage: what the knowledge base answers, the ranked gaps to write next, findability fixes.

    Every open note is matched with the same engine as `kbgen ask`. Notes an article already
    answers are findability fixes (add the customers' words to its questions); the rest are
    clustered into gaps, ranked by volume, recency and how many agents met them. The site's
    failed searches join the notes; articles customers rate unhelpful are listed to fix, and
    each article published for a gap shows its topic's questions a week before and after.

    Example: kbgen report --markdown --since 2026-10-01 >> "$GITHUB_STEP_SUMMARY"
    """
    from kbgen import report

    if html_file is not None:
        _check_html_file(html_file)
    if apply_findability:
        from kbgen.files import editing
        from kbgen.project import Project

        with editing(Project.find().cache_dir):  # one editing command at a time, each seeing the last's work
            project, kb, coverage, today, _ = _coverage(since, category, as_of, json_output or markdown)
            _apply_findability(project, coverage, json_output)
        return
    project, kb, coverage, today, _ = _coverage(since, category, as_of, json_output or markdown)
    filters = {"since": since, "category": category, "min_size": min_size}
    data = report.build(coverage, kb, today, filters, min_size)
    if html_file is not None:
        from kbgen.files import atomic_write_text

        try:
            atomic_write_text(html_file, report.to_html(data, top=top or 20))
        except OSError as exc:
            fail(f"--html: cannot write {html_file}: {exc.strerror}")
        typer.echo(f"Wrote {html_file}", err=True)
    if json_output:
        print_json(data)
    elif markdown:
        typer.echo(report.to_markdown(data, top=top or 10), nl=False)
    elif html_file is None:
        from rich.console import Console

        report.to_terminal(data, Console(), top=top or 10)


def _check_html_file(html_file: Path) -> None:
    """Stop before any work when --html names a folder or a file of the knowledge base or the site."""
    from kbgen.errors import KbgenError
    from kbgen.project import Project

    if not str(html_file).strip() or html_file.is_dir():
        fail(f"--html: '{html_file}' is a folder; give a file name, like report.html")
    if html_file.parent.exists() and not html_file.parent.is_dir():
        fail(f"--html: '{html_file.parent}' is a file, not a folder")
    try:
        Project.find().check_report_file(html_file)
    except KbgenError as exc:
        fail(f"--html: {exc}")


def _apply_findability(project: Any, coverage: Any, json_output: bool) -> None:
    from kbgen.articles import add_to_list, edit_file
    from kbgen.store import open_store

    applied = []
    events = []
    store = open_store(project)
    store.ensure_writable()
    for entry in coverage.findable:
        if not entry.path or not entry.notes:  # a findability entry of failed searches alone: nothing to resolve
            continue
        edit_file(project.root / entry.path, entry.path, lambda text, e=entry: add_to_list(text, "questions", e.phrasings, where=e.path))
        events += [(note.id, "resolved", {"article": entry.slug, "by": "findability"}) for note in entry.notes]
        applied.append({"path": entry.path, "slug": entry.slug, "added": entry.phrasings, "note_ids": [n.id for n in entry.notes]})
    store.add_events(events)
    if json_output:
        print_json({"applied": applied})
    elif not applied:
        typer.echo("No findability fixes to apply.")
    for item in applied if not json_output else []:
        added, notes = len(item["added"]), len(item["note_ids"])
        say(f"{item['path']}: added {added} phrasing{'s' * (added != 1)}; {notes} notes resolved")


@app.command("draft")
def draft_command(
    min_size: Annotated[int, typer.Option("--min-size", min=1, help="Only gaps with at least this many notes.")] = 3,
    top: Annotated[Optional[int], typer.Option("--top", min=1, help="Only the N best-ranked gaps.")] = None,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", min=0, help="At most N new drafts this run (default: the plugin's draft_limit, 5; 0: no limit).")] = None,
    json_output: JsonOption = False,
    markdown: Annotated[bool, typer.Option(
        "--markdown", help="Print what was drafted, with each gap's evidence, as Markdown for a pull request's description.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be written; change nothing.")] = False,
) -> None:
    """Turn the ranked gaps into draft articles in kb/, one per gap, and mark their notes drafted.

    Titles come from the most representative question, questions from the phrasings, the body
    from the agents' answers (escaped). Running it again adds new notes to the same drafts and
    never overwrites a body an editor has changed. Drafts pass `kbgen check` and never reach the site.

    Example: kbgen draft --min-size 3 --top 5
    """
    from kbgen.drafts import search_only_words, to_markdown, write_drafts
    from kbgen.files import editing
    from kbgen.project import Project

    with editing(Project.find().cache_dir):
        project, kb, coverage, today, engine = _coverage(None, None, None, json_output or markdown)
        notes_by_id = {n.id: n for n in coverage.notes}  # already read: no second pass over the log
        bound = limit if limit is not None else int(project.options.get("draft_limit", 5))
        results = write_drafts(
            kb, coverage, engine, notes_by_id, min_size=min_size, top=top, today=today, dry_run=dry_run,
            warn=warn, limit=bound,
        )
    if json_output:
        print_json({"dry_run": dry_run, "drafts": [r.to_dict() for r in results], "waiting": results.waiting,
                    "search_only": results.search_only})
        return
    if markdown:
        typer.echo(to_markdown(results, results.waiting, min_size, results.search_only), nl=False)
        return
    if results.search_only:
        typer.echo(search_only_words(results.search_only), err=True)
    if not results:
        typer.echo(f"No gap has {min_size} or more open notes; nothing to draft.")
        return
    verb = "would " if dry_run else ""
    for r in results:
        if r.created:
            say(f"{verb}create {r.path}  ({len(r.note_ids)} notes, gap {r.gap_id})")
        else:
            body = ", body updated" if r.body_updated else ""
            say(f"{verb}update {r.path}  (+{len(r.note_ids)} notes{body})")
    if results.waiting:
        typer.echo(f"{results.waiting} more gap(s) qualify; they are drafted by a later run (--limit, or draft_limit "
                   "in mkdocs.yml, to change how many a run writes).", err=True)
    if not dry_run:
        typer.echo("Next: edit the drafts, then `kbgen promote PATH` in a pull request.", err=True)


@app.command("promote")
def promote_command(
    draft: Annotated[str, typer.Argument(help="The draft: its path (kb/billing/x.md) or its slug.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who reviewed it (recorded in the front matter).")] = "",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Publish a draft and mark the notes it came from resolved by it.

    Sets status: published and updated: today, a review_by six months on when it has none,
    and the reviewer. Refuses while the draft has errors or still holds kbgen's drafting note.

    Example: kbgen promote kb/billing/student-discount.md --reviewer dana
    """
    from kbgen.drafts import find_draft, promote
    from kbgen.kb import KnowledgeBase
    from kbgen.project import Project

    from kbgen.files import editing

    project = Project.find()
    with editing(project.cache_dir):
        kb = KnowledgeBase.load(project)
        result = promote(kb, find_draft(kb, draft), reviewer=reviewer, dry_run=dry_run)
    if json_output:
        print_json({"dry_run": dry_run, "path": result.path, "slug": result.slug, "note_ids": result.note_ids,
                    "changes": {k: str(v) for k, v in result.changes.items()}})
        return
    verb = "Would publish" if dry_run else "Published"
    say(f"{verb} {result.path}: {result.title}")
    typer.echo(f"{'would mark' if dry_run else 'marked'} {len(result.note_ids)} notes resolved")


@app.command("export")
def export_command(json_output: JsonOption = False) -> None:
    """Write the notes, events and signals of the PostgreSQL store (KBGEN_STORE) into gaps/, for a pull request.

    Each is written once: what gaps/ already holds is left alone, so exporting again writes
    nothing new. The shards are the same JSON Lines files the embedded store keeps, so editors
    review and merge them as any other notes.

    Example: kbgen export && git add gaps/   (with KBGEN_STORE=postgresql://kbgen@db/kbgen)
    """
    from kbgen.project import Project
    from kbgen.store import export, open_store, store_url

    if not store_url():
        fail("kbgen export copies a PostgreSQL store into gaps/; set KBGEN_STORE=postgresql://... first "
             "(without it, notes are in gaps/ already)")
    project = Project.find()
    source = open_store(project)
    done = export(source, project.gaps_dir)
    if json_output:
        print_json(done.to_dict())
        return
    say(f"Exported {done.notes} notes, {done.events} events and {done.signals} signals from {source.name} "
        f"into {project.relpath(project.gaps_dir)}/")
