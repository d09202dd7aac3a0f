"""Replies in the team's voice (`kbgen.reply`): golden replies from a fixed knowledge base, inert
hostile text in every format, templates refused with their file and line, and the built-in
templates' words passing the writing-style check."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from kbgen.engine import open_engine
from kbgen.errors import KbgenError
from kbgen.project import Project
from kbgen.reply import DEFAULT_TEMPLATES, FIELDS, NoReply, Reply, Template, compose, problems, render, \
    template_problem, templates
from kbgen.settings import read
from kbgen.style import check_text

CASES = Path(__file__).parent / "reply_cases"
GOLDEN_CASES = json.loads((CASES / "cases.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fixture_engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("replies") / "kb"
    shutil.copytree(CASES / "kb", root)
    project = Project.load(root)
    engine = open_engine(project)
    yield project, engine
    engine.close()


@pytest.mark.parametrize("case", GOLDEN_CASES, ids=lambda c: c["case"])
def test_reply_is_exactly_the_golden_file(case: dict[str, str], fixture_engine) -> None:  # type: ignore[no-untyped-def]
    project, engine = fixture_engine
    template = templates(project)[case["channel"]]
    answer = engine.ask(case["question"], limit=3)
    outcome = compose(answer, project, template, case.get("customer_name", ""), case.get("agent_name", ""))
    actual = (outcome.text if isinstance(outcome, Reply) else f"no reply: {outcome.reason}") + "\n"
    expected = CASES / "expected" / f"{case['case']}.txt"
    if os.environ.get("KBGEN_UPDATE_GOLDEN"):
        expected.write_text(actual, encoding="utf-8")
    assert actual == expected.read_text(encoding="utf-8")


def test_every_case_has_a_golden_file_and_no_golden_file_is_orphaned() -> None:
    names = {c["case"] for c in GOLDEN_CASES}
    assert names == {p.stem for p in (CASES / "expected").glob("*.txt")}


def test_no_reply_from_internal_draft_or_archived_articles(fixture_engine) -> None:  # type: ignore[no-untyped-def]
    project, engine = fixture_engine
    internal = compose(engine.ask("who approves a late refund"), project, templates(project)["chat"])
    assert isinstance(internal, NoReply) and "internal article" in internal.reason
    for question in ("can I pay with bitcoin", "how do I sign in with a pin on the old app"):
        outcome = compose(engine.ask(question), project, templates(project)["email"])
        assert isinstance(outcome, NoReply), question
        assert "Bitcoin" not in outcome.reason and "PIN" not in outcome.reason


HOSTILE = {
    "customer_name": "<b>Eve</b> {{ url }}",
    "agent_name": "\x1b[31mDana\x1b[0m",
    "question": "refund?",
    "title": "Reset <script>alert(1)</script> {{ 7*7 }} [x](javascript:alert(1))",
    "answer": "Click *here* <img src=x onerror=alert(1)> {% if 1 %}x{% endif %}",
    "url": "https://help.example.test/account/reset-password/",
    "site_name": "Example & Co",
}


def test_text_format_keeps_hostile_fields_as_inert_words() -> None:
    text = render(Template("chat", "{{ customer_name }}|{{ agent_name }}|{{ title }}|{{ answer }}"), HOSTILE)
    assert text == ("<b>Eve</b> {{ url }}|\ufffd[31mDana\ufffd[0m|Reset <script>alert(1)</script> {{ 7*7 }} "
                    "[x](javascript:alert(1))|Click *here* <img src=x onerror=alert(1)> {% if 1 %}x{% endif %}")


def test_html_format_escapes_every_field() -> None:
    text = render(Template("email", '<p>{{ title }}</p><a href="{{ url }}">{{ site_name }}</a>', "html"), HOSTILE)
    assert text == ('<p>Reset &lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} [x](javascript:alert(1))</p>'
                    '<a href="https://help.example.test/account/reset-password/">Example &amp; Co</a>')


def test_markdown_format_escapes_fields_and_keeps_the_link_working() -> None:
    text = render(Template("chat", "[{{ title }}]({{ url }}) {{ answer }}", "markdown"), HOSTILE)
    assert text.startswith(r"[Reset &lt;script&gt;alert\(1\)&lt;/script&gt; \{\{ 7\*7 \}\} \[x\]\(javascript")
    assert "](https://help.example.test/account/reset-password/) Click \\*here\\* &lt;img" in text
    assert "<" not in text


def test_a_template_cannot_reach_python_through_the_sandbox() -> None:
    with pytest.raises(KbgenError, match="reply template failed"):
        render(Template("chat", "{{ title.__class__.__mro__[1].__subclasses__() }}", path="replies.yml", line=3), HOSTILE)


@pytest.mark.parametrize("channel, template, wrong", [
    ("Chat!", "Hi", "a channel name is lowercase"),
    ("chat", "  ", "is empty"),
    ("chat", {"template": "Hi", "format": "pdf"}, "format must be one of text, markdown, html"),
    ("chat", {"text": "Hi"}, "unknown key(s) text"),
    ("chat", {"format": "html"}, "needs its text under 'template:'"),
    ("chat", ["Hi"], "must be text, or 'template:' and 'format:' lines"),
])
def test_template_shapes_are_refused_in_words(channel: str, template: object, wrong: str) -> None:
    assert wrong in template_problem(channel, template)


def test_the_replies_option_is_checked_with_the_other_options() -> None:
    with pytest.raises(KbgenError, match="'replies': the 'chat' template is empty"):
        read({"replies": {"chat": ""}})
    assert read({"replies": {"chat": "Hi {{ customer_name }}"}})["replies"] == {"chat": "Hi {{ customer_name }}"}


def _project(root: Path, options: str, files: dict[str, str] | None = None) -> Project:
    (root / "kb").mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text("site_name: Example Help\nplugins:\n  - search\n  - kbgen:\n" + options, encoding="utf-8")
    for name, text in (files or {}).items():
        (root / name).write_text(text, encoding="utf-8")
    return Project.load(root)


def test_templates_come_from_the_file_then_mkdocs_yml(tmp_path: Path) -> None:
    project = _project(tmp_path, "      replies_file: replies.yml\n      replies:\n        chat: |\n          Hi {{ customer_name }}\n",
                       {"replies.yml": "chat: From the file\nsms:\n  template: '{{ answer }} {{ url }}'\n  format: text\n"})
    found = templates(project)
    assert found["chat"] == Template("chat", "Hi {{ customer_name }}\n", "text", "mkdocs.yml", 8)
    assert found["sms"] == Template("sms", "{{ answer }} {{ url }}", "text", "replies.yml", 3)
    assert found["email"].source == DEFAULT_TEMPLATES["email"] and found["email"].path == ""


def test_check_names_the_file_and_line_of_a_broken_template(tmp_path: Path) -> None:
    project = _project(tmp_path, "      replies:\n        chat: |\n          Hi {{ customer_name }}\n          {% if agent_name %}\n",
                       )
    (found,) = problems(project)
    assert (found.path, found.line, found.rule) == ("mkdocs.yml", 8, "reply-template")
    assert "'chat' reply template is not valid" in found.message and "endif" in found.message


def test_check_refuses_unknown_fields_and_names_the_known_ones(tmp_path: Path) -> None:
    project = _project(tmp_path, "      replies_file: replies.yml\n",
                       {"replies.yml": "# our replies\nchat: |\n  Hi {{ customer.name }}, {{ answer }}\n"})
    (found,) = problems(project)
    assert (found.path, found.line) == ("replies.yml", 3)
    assert "unknown field(s) customer" in found.message and ", ".join(FIELDS) in found.message


def test_check_applies_the_style_rules_to_a_template_s_words(tmp_path: Path) -> None:
    project = _project(tmp_path, "      replies_file: replies.yml\n",
                       {"replies.yml": "email: |\n  Hello {{ customer_name }},\n\n  Simply open {{ url }}.\n"})
    (found,) = problems(project)
    assert (found.path, found.line, found.rule) == ("replies.yml", 4, "avoid-word")
    assert found.message.startswith("reply template 'email': 'simply'")


def test_a_missing_replies_file_is_one_error(tmp_path: Path) -> None:
    project = _project(tmp_path, "      replies_file: replies.yml\n")
    (found,) = problems(project)
    assert (found.path, found.rule) == ("replies.yml", "reply-template") and "does not exist" in found.message


@pytest.mark.parametrize("channel", sorted(DEFAULT_TEMPLATES))
def test_the_built_in_templates_pass_the_writing_style_check(channel: str) -> None:
    from kbgen.reply import _words_of

    settings = read({})
    assert check_text(_words_of(DEFAULT_TEMPLATES[channel]), "built-in", 1, settings) == []
    # and they say what support etiquette asks for: thanks, the link, an offer of more help
    words = DEFAULT_TEMPLATES[channel].lower()
    assert "thank" in words and "{{ url }}" in words and ("anything else" in words or "other questions" in words)
