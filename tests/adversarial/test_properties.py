"""Property-based hostile input: thousands of generated cases a run, and not one unhandled exception.

Each property runs in-process on the real library code (the CLI properties through typer's
runner), derandomized so a CI run is repeatable. Together they try well over 2,000 cases a run
(`PROPERTY_CASES` sums them); `KBGEN_PROPERTY_SCALE=10` multiplies every budget for a long run.
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCALE = int(os.environ.get("KBGEN_PROPERTY_SCALE", "1"))
BUDGETS = {"front_matter": 500, "note_lines": 500, "stored_notes": 150, "config": 300, "json": 300,
           "escapers": 300, "live_markup": 300, "cli": 120}
PROPERTY_CASES = sum(BUDGETS.values()) * SCALE  # at least 2,000 a run (test_the_budget_is_at_least_2000)


def budget(name: str) -> settings:
    return settings(max_examples=BUDGETS[name] * SCALE, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


def test_the_budget_is_at_least_2000() -> None:
    assert PROPERTY_CASES >= 2_000


# --- text that attackers and careless users type --------------------------------------------------

HOSTILE_PIECES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", '" onmouseover="x',
    "\x1b[31m", "\u202e", "\x00", "\ud83d", "{{ 7*7 }}", "{% raw %}", "[x](javascript:x)", "&amp;", "&#x3C;",
    "---", "...", ": ", "- ", "&a ", "*a", "!!python/object:os.system", "%TAG", "\t", "\r\n", "\\", "'", '"',
    "🙂", "ΣΑΣ", "İ", "\u2028", "[email]", "@", "$5", "|", "~~", "#", "<!-->", "</noscript>", "0" * 30,
]
texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(HOSTILE_PIECES) | st.text(alphabet=string.printable, max_size=10), max_size=12).map("".join),
)
yaml_scalars = st.one_of(texts, st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                         st.dates().map(str), st.lists(texts, max_size=4))


# --- front matter: parsing and checking never raise, and what is parsed is what was written -----

KEYS = ["title", "status", "audience", "summary", "questions", "tags", "updated", "review_by", "owner",
        "source_notes", "gap_id", "reviewer", "extra"]


@st.composite
def front_matters(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        key = draw(st.sampled_from(KEYS) | st.text(alphabet=string.ascii_letters + "_-", min_size=1, max_size=8))
        style = draw(st.sampled_from(["json", "raw", "block", "anchor"]))
        value = draw(yaml_scalars)
        if style == "json":
            lines.append(f"{key}: {json.dumps(value, default=str)}")
        elif style == "raw":
            lines.append(f"{key}: {value}".replace("\n", " "))
        elif style == "block":
            lines.append(f"{key}:")
            lines += [f"  - {item}".replace("\n", " ") for item in draw(st.lists(texts, max_size=3))]
        else:
            lines.append(f"{key}: &a{len(lines)} [{', '.join('*a0' if lines else 'x' for _ in range(3))}]")
    return "\n".join(lines)


@budget("front_matter")
@given(fm=front_matters(), body=texts)
def test_front_matter_never_raises(tmp_path_factory: pytest.TempPathFactory, fm: str, body: str) -> None:
    from kbgen.articles import parse_article

    path = Path("/nonexistent/kb/basics/some-article.md")
    text = f"---\n{fm}\n---\n{body}\n".encode("utf-8", "replace").decode("utf-8")  # as read from a UTF-8 file
    article, diagnostics = parse_article(path, "kb/basics/some-article.md", "basics", text)
    assert article is not None or any(d.is_error for d in diagnostics)
    for d in diagnostics:
        assert str(d) and d.path == "kb/basics/some-article.md" and d.line >= 0
    if article is not None:
        assert isinstance(article.title, str) and all(isinstance(q, str) for q in article.questions)
        assert article.status in ("draft", "published", "archived") and article.audience in ("public", "internal")


# --- note lines: one bad line is one named error, good ones are stored whole -----------------------

note_records = st.fixed_dictionaries(
    {"question": texts},
    optional={"answer": texts, "agent": texts, "channel": st.sampled_from(["chat", "email", "Phone", "fax"]) | texts,
              "ticket": texts | st.integers(), "tags": st.lists(texts, max_size=3) | texts, "category": texts,
              "id": st.text(alphabet=string.ascii_letters + string.digits + "-_.:#/", max_size=12) | texts,
              "time": st.datetimes().map(lambda d: d.isoformat() + "Z") | texts, "extra": texts},
)
note_lines = st.one_of(note_records.map(json.dumps), texts,
                       st.integers(1, 3000).map(lambda n: "[" * n + "]" * n), st.just('{"question": NaN}'))


@budget("note_lines")
@given(line=note_lines)
def test_a_note_line_is_a_note_or_one_named_error(line: str) -> None:
    from kbgen.jsonio import loads
    from kbgen.notes import NoteError, make_note

    try:
        record = loads(line)
        note = make_note(record)
    except NoteError as exc:
        assert exc.message
        return
    except ValueError as exc:  # not JSON, nested too deeply, NaN
        assert str(exc)
        return
    assert note.question and "\x00" not in note.question
    assert note.id and len(note.id) <= 200


@budget("stored_notes")
@given(records=st.lists(note_records, min_size=1, max_size=6))
def test_stored_notes_read_back_exactly(tmp_path_factory: pytest.TempPathFactory, records: list[dict]) -> None:
    from kbgen.notes import NoteError, NoteLog, make_note

    log = NoteLog(tmp_path_factory.mktemp("gaps"))
    notes = []
    for record in records:
        try:
            notes.append(make_note(dict(record)))
        except (NoteError, ValueError):
            continue
    stored = [s.note for s in log.append(notes) if s.stored]
    back = {n.id: n for n in log.read()}
    for note in stored:
        assert note.id in back
        assert back[note.id].record() == note.record()


# --- configuration: a value is accepted as it is, or refused by name ---------------------------------


@budget("config")
@given(options=st.dictionaries(st.sampled_from(["kb_dir", "gaps_dir", "engine", "featured", "featured_count",
                                                "public_email_domains", "strict", "nope"]), yaml_scalars, max_size=4)
       | yaml_scalars)
def test_config_is_read_or_refused_by_name(options: object) -> None:
    from kbgen import settings as kbsettings
    from kbgen.errors import KbgenError

    try:
        found = kbsettings.read(options)
    except KbgenError as exc:
        assert "mkdocs.yml" in str(exc)
        return
    for name, value in found.items():
        assert kbsettings.problem(name, value) == ""


# --- JSON from outside: a value or one ValueError -------------------------------------------------


@budget("json")
@given(text=texts | st.binary(max_size=100).map(lambda b: b.decode("latin-1")))
def test_untrusted_json_is_a_value_or_a_value_error(text: str) -> None:
    from kbgen.jsonio import loads

    try:
        loads(text)
    except ValueError as exc:
        assert str(exc)


# --- escapers: what they return is inert in its output ---------------------------------------------


@budget("escapers")
@given(text=texts)
def test_escaped_text_is_inert(text: str) -> None:
    import html

    import markdown

    from kbgen.escape import github_data, github_property, html_attr, html_text, markdown_inline, terminal
    from kbgen.markup import live_markup

    for escaped in (html_text(text), html_attr(text)):
        assert "<" not in escaped and '"' not in escaped
    rendered = markdown.markdown(markdown_inline(text))
    assert live_markup(html.unescape(rendered)) == "" or live_markup(text) != ""  # no markup of its own
    for tag in ("<script", "<a ", "<img", "<iframe"):
        assert tag not in rendered
    assert not any("\x00" <= c < " " and c not in "\t\n" for c in terminal(text))
    assert "\n" not in github_data(text) and "," not in github_property(text) and "::" not in github_property(text)


@budget("live_markup")
@given(text=texts)
def test_live_markup_finder_never_raises(text: str) -> None:
    from kbgen.markup import live_markup

    assert isinstance(live_markup(text), str)


# --- the command line: hostile arguments, never a traceback ---------------------------------------


@pytest.fixture(scope="module")
def small_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import KbBuilder

    kb = KbBuilder(tmp_path_factory.mktemp("cli"))
    kb.article("billing/refunds.md", title="How do I get a refund?", summary="Ask us.", questions=["refund please"])
    return kb.root


@budget("cli")
@given(args=st.lists(st.sampled_from(["ask", "log", "check", "report", "draft", "promote", "--json", "--as-of",
                                       "--since", "--limit", "-n", "--id", "--tag", "--category", "--answer",
                                       "--changed-since", "--format", "--min-size", "--top", "-"])
                     | texts.filter(lambda t: "\x00" not in t), min_size=1, max_size=5))
def test_hostile_arguments_never_raise(small_kb: Path, args: list[str]) -> None:
    from typer.testing import CliRunner

    from kbgen.cli import app

    # (no file-writing options: a generated path could name any file on the machine)
    cwd = os.getcwd()
    os.chdir(small_kb)
    try:
        result = CliRunner().invoke(app, args, input="", env={"KBGEN_ENGINE": "lexical", "NO_COLOR": "1"})
    finally:
        os.chdir(cwd)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        from kbgen.errors import KbgenError

        assert isinstance(result.exception, (KbgenError, OSError)), (args, repr(result.exception))
