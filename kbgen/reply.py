"""Replies in the team's voice: the customer-ready message `kbgen ask --reply` gives an agent.

Support etiquette asks the agent who finds the answer in the knowledge base to send it, with the
article's link, politely: greet and thank the customer, answer in plain words, link the article,
offer more help, sign. A reply is built only from the best article when the engine says it
answers the question and the article is published and public; never from an internal, draft or
archived one.

Templates belong to the team: one a channel, in the kbgen plugin's `replies` option in mkdocs.yml
or in the YAML file `replies_file` names, each either the template's text or
`{template: ..., format: text|markdown|html}`. They are Jinja2 templates run in its sandbox, and
they see only the FIELDS below, each plain text escaped for the channel's format as it is printed
(`{{ title }}` of a title holding `<script>` or `{{ x }}` shows those characters, inert). Jinja2
comes with mkdocs; it is imported only when a reply is made or checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ERROR, WARNING, Diagnostic, KbgenError

if TYPE_CHECKING:
    from .engine import Answer
    from .project import Project

FIELDS = {
    "customer_name": "the customer's name (--customer-name); empty when not given",
    "agent_name": "the agent's name (--agent-name, default $KBGEN_AGENT); empty when not given",
    "question": "the customer's question, as asked",
    "title": "the article's title",
    "answer": "the article's summary, or else its passage closest to the question, as plain text",
    "url": "the article's public address",
    "site_name": "the help center's name (site_name in mkdocs.yml)",
}
FORMATS = ("text", "markdown", "html")
ANSWER_WORDS = 25  # a passage shorter than this is followed by the next one, so the answer says enough
_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")

# The built-in templates. Their words pass the writing-style check (tests/test_reply.py).
DEFAULT_TEMPLATES: dict[str, str] = {
    "chat": (
        "Hi{% if customer_name %} {{ customer_name }}{% endif %}, thanks for reaching out!\n"
        "{{ answer }}\n"
        "Here is the full article: {{ url }}\n"
        "Is there anything else I can help you with?"
        "{% if agent_name %}\n{{ agent_name }}{% endif %}\n"
    ),
    "email": (
        "Hello {{ customer_name or 'there' }},\n"
        "\n"
        "Thank you for contacting us.\n"
        "\n"
        "{{ answer }}\n"
        "\n"
        "You can read more in our help center article \"{{ title }}\":\n"
        "{{ url }}\n"
        "\n"
        "If you have any other questions, reply to this email and we will be glad to help.\n"
        "\n"
        "Best regards,\n"
        "{{ agent_name or 'The support team' }}\n"
        "{% if site_name %}{{ site_name }}\n{% endif %}"
    ),
}


@dataclass(frozen=True)
class Template:
    """One channel's template and where it was written (for messages)."""

    channel: str
    source: str
    format: str = "text"
    path: str = ""  # "" for a built-in template
    line: int = 0  # the line of PATH where the template's text starts, when known


@dataclass
class Reply:
    """A message ready to paste, and the article it came from."""

    channel: str
    format: str
    text: str
    slug: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "format": self.format, "text": self.text, "slug": self.slug, "url": self.url}


@dataclass
class NoReply:
    """Why there is no reply to send: the agent answers in their own words and logs the question."""

    reason: str


def template_problem(channel: Any, template: Any) -> str:
    """What is wrong with one entry of the `replies` option, in words; "" when its shape is fine
    (its syntax and fields are `kbgen check`'s part: `problems`)."""
    if not isinstance(channel, str) or not _CHANNEL.match(channel):
        return f"a channel name is lowercase letters, digits, '-' or '_' (such as chat or email), not {channel!r}"
    if isinstance(template, str):
        return "" if template.strip() else f"the '{channel}' template is empty"
    if isinstance(template, dict):
        unknown = sorted(set(map(str, template)) - {"template", "format"})
        if unknown:
            return f"the '{channel}' template has unknown key(s) {', '.join(unknown)} (known: template, format)"
        if not isinstance(template.get("template"), str) or not template["template"].strip():
            return f"the '{channel}' template needs its text under 'template:'"
        if template.get("format", "text") not in FORMATS:
            return f"the '{channel}' template's format must be one of {', '.join(FORMATS)}, not {template.get('format')!r}"
        return ""
    return f"the '{channel}' template must be text, or 'template:' and 'format:' lines, not {template!r}"


def templates(project: Project) -> dict[str, Template]:
    """Every channel's template: the built-in ones, then the file's, then mkdocs.yml's own.

    KbgenError (file, line, problem) for a file that cannot be read or holds a wrong entry."""
    from .project import CONFIG_NAME

    found = {channel: Template(channel, source) for channel, source in DEFAULT_TEMPLATES.items()}
    name = str(project.options.get("replies_file") or "")
    if name:
        found.update(_read_file(project, name))
    inline = project.options.get("replies") or {}
    lines = _template_lines(project.root / CONFIG_NAME, ("plugins", "kbgen", "replies")) if inline else {}
    for channel, entry in inline.items():
        source, fmt = (entry, "text") if isinstance(entry, str) else (entry["template"], entry.get("format", "text"))
        found[channel] = Template(channel, source, fmt, CONFIG_NAME, lines.get(channel, 0))
    return found


def _read_file(project: Project, name: str) -> dict[str, Template]:
    import yaml

    from . import yamlio

    path = (project.root / name)
    rel = name
    if not path.resolve().is_relative_to(project.root):
        raise KbgenError("replies_file must name a file inside the knowledge base's folder", path="mkdocs.yml", key="replies_file")
    try:
        text = path.read_text(encoding="utf-8")
        data = yamlio.load(text, yaml.SafeLoader)
    except FileNotFoundError:
        raise KbgenError("the replies file named by replies_file in mkdocs.yml does not exist", path=rel) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KbgenError(f"cannot read the replies file: {exc}", path=rel) from None
    except yamlio.YamlTooLarge as exc:
        raise KbgenError(f"the replies file cannot be used: {exc}", path=rel) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise KbgenError(f"this file is not valid YAML: {getattr(exc, 'problem', None) or exc}", path=rel,
                         line=(mark.line + 1) if mark else 0) from None
    if not isinstance(data, dict):
        raise KbgenError("the replies file must be 'channel: template' lines, such as 'chat: |'", path=rel)
    lines = _template_lines(path, ())
    found = {}
    for channel, entry in data.items():
        wrong = template_problem(channel, entry)
        if wrong:
            raise KbgenError(wrong, path=rel, line=lines.get(str(channel), 0))
        source, fmt = (entry, "text") if isinstance(entry, str) else (entry["template"], entry.get("format", "text"))
        found[channel] = Template(channel, source, fmt, rel, lines.get(channel, 0))
    return found


def _template_lines(path: Path, keys: tuple[str, ...]) -> dict[str, int]:
    """channel -> the file line where its template's text starts, found by walking the YAML nodes
    along KEYS (a '- kbgen:' entry of a list is looked into); {} when the file cannot be read."""
    import yaml

    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    for key in keys:
        if isinstance(node, yaml.SequenceNode):
            node = next((item for item in node.value if isinstance(item, yaml.MappingNode)
                         and any(getattr(k, "value", None) == key for k, _ in item.value)), None)
        if not isinstance(node, yaml.MappingNode):
            return {}
        node = next((value for k, value in node.value if getattr(k, "value", None) == key), None)
    if not isinstance(node, yaml.MappingNode):
        return {}
    found = {}
    for key_node, value in node.value:
        if isinstance(value, yaml.MappingNode):
            value = next((v for k, v in value.value if getattr(k, "value", None) == "template"), value)
        # a block scalar ('|') starts on the line after its indicator
        block = isinstance(value, yaml.ScalarNode) and value.style in ("|", ">")
        found[str(key_node.value)] = value.start_mark.line + 1 + (1 if block else 0)
    return found


def compose(answer: Answer, project: Project, template: Template, customer_name: str = "",
            agent_name: str = "") -> Reply | NoReply:
    """The reply to ANSWER's question in TEMPLATE, or why there is none."""
    from .articles import parse_article, read_text

    best = answer.best
    if not answer.answered or best is None:
        return NoReply("the knowledge base does not answer this question yet")
    if best.audience != "public" or not best.url:
        return NoReply(f"the answer is in an internal article ({best.path}), for agents only; answer in your own words")
    path = project.root / best.path
    text, problems = read_text(path, best.path)
    article = parse_article(path, best.path, best.category, text)[0] if text is not None else None
    if article is None:
        return NoReply(f"the article {best.path} cannot be read: {problems[0].message if problems else 'it is not valid'}")
    if not article.is_public:
        return NoReply(f"the article {best.path} is {article.status if article.status != 'published' else article.audience}, "
                       "not a published public article")
    fields = {
        "customer_name": _one_line(customer_name),
        "agent_name": _one_line(agent_name),
        "question": answer.question.strip(),
        "title": article.title,
        "answer": _answer_text(article, answer.question),
        "url": best.url,
        "site_name": project.site_name,
    }
    return Reply(template.channel, template.format, render(template, fields), best.slug, best.url)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _answer_text(article: Any, question: str) -> str:
    """The summary, or else the body's passage closest to the question (with the passages after
    it while it is shorter than a sentence or two), as plain text."""
    from .engine.catalog import passages
    from .text import plain, words

    if article.summary:
        return plain(article.summary)
    found = [plain(p) for p in passages(article.body)]
    if not found:
        return plain(article.body)
    wanted = {w for w in words(question) if len(w) > 2}
    start = max(range(len(found)), key=lambda i: (len(wanted & set(words(found[i]))), -i))
    chosen = [found[start]]
    for following in found[start + 1:]:
        if sum(len(p.split()) for p in chosen) >= ANSWER_WORDS:
            break
        chosen.append(following)
    return " ".join(chosen)


def render(template: Template, fields: dict[str, str]) -> str:
    """TEMPLATE with FIELDS, each escaped for its format as it is printed; KbgenError naming the
    template's file and line for a template that does not compile or uses an unknown field."""
    compiled = compile_template(template)
    try:
        text = compiled.render(fields)
    except Exception as exc:  # a sandbox refusal or a bad filter call: the template's fault, named
        raise KbgenError(f"the '{template.channel}' reply template failed: {exc}", path=template.path or "kbgen/reply.py",
                         line=template.line) from None
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", text)


def compile_template(template: Template) -> Any:
    """TEMPLATE compiled in the sandbox; KbgenError (file, line, problem) for bad syntax or an unknown field."""
    environment = _environment(template.format)
    try:
        compiled = environment.from_string(template.source)
    except Exception as exc:
        raise KbgenError(f"the '{template.channel}' reply template is not valid: {_syntax(exc)}",
                         path=template.path or "kbgen/reply.py", line=_line(template, exc)) from None
    unknown = _unknown_fields(environment, template.source)
    if unknown:
        raise KbgenError(f"the '{template.channel}' reply template uses unknown field(s) {', '.join(unknown)} "
                         f"(known: {', '.join(FIELDS)})", path=template.path or "kbgen/reply.py", line=template.line)
    return compiled


def _environment(fmt: str) -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from . import escape

    escaper = {"text": escape.terminal, "markdown": escape.markdown_inline, "html": escape.html_text}[fmt]

    def finalize(value: Any) -> str:
        text = "" if value is None else str(value)
        if fmt == "markdown" and re.match(r"^https?://\S+$", text):
            return escape.markdown_url(text)
        return escaper(text)

    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=finalize,
                                         keep_trailing_newline=True)


def _unknown_fields(environment: Any, source: str) -> list[str]:
    from jinja2 import meta

    return sorted(meta.find_undeclared_variables(environment.parse(source)) - set(FIELDS))


def _syntax(exc: Exception) -> str:
    return str(getattr(exc, "message", None) or exc)


def _line(template: Template, exc: Exception) -> int:
    inner = getattr(exc, "lineno", None)
    if not template.line or not isinstance(inner, int):
        return template.line
    return template.line + inner - 1


def problems(project: Project) -> list[Diagnostic]:
    """`kbgen check`'s findings on the reply templates: syntax and unknown fields are errors (a
    reply would fail); the writing-style rules' findings on a template's words are warnings."""
    from .settings import read
    from .style import check_text

    try:
        found = templates(project)
    except KbgenError as exc:
        return [Diagnostic(str(exc.path or "mkdocs.yml"), exc.line or 0, ERROR, "reply-template", exc.message)]
    settings = read(project.options)
    diagnostics = []
    for template in found.values():
        if not template.path:
            continue  # the built-in ones are checked by kbgen's own tests
        try:
            compile_template(template)
        except KbgenError as exc:
            diagnostics.append(Diagnostic(template.path, exc.line or 0, ERROR, "reply-template", exc.message))
            continue
        if settings["style"]:
            words = _words_of(template.source)
            for found_one in check_text(words, template.path, template.line or 1, settings):
                diagnostics.append(Diagnostic(found_one.path, found_one.line, WARNING, found_one.rule,
                                              f"reply template '{template.channel}': {found_one.message}"))
    return diagnostics


def _words_of(source: str) -> str:
    """A template's own words for the style rules: a field reads as one short word, tags as nothing."""
    text = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    text = re.sub(r"\{%.*?%\}", "", text, flags=re.S)
    return re.sub(r"\{\{.*?\}\}", "it", text, flags=re.S)
