"""The kbgen plugin's options in mkdocs.yml: one table, read with one set of rules.

The command line reads them from mkdocs.yml (`Project.load`) and the mkdocs plugin declares
them to mkdocs (`kbgen.mkdocs_plugin.config`), both from the table below, so a value the site
refuses is refused by `kbgen log` too, with the same words: `public_email_domains: cos.example`
is an error in both, never a list of letters in one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import KbgenError


@dataclass(frozen=True)
class Option:
    """One option: its kind ("text", "flag", "whole number", "number", "list of text", "mapping", "choice"),
    its default, the choices of a choice, and what it is for (shown in errors)."""

    kind: str
    default: Any
    choices: tuple[str, ...] = ()


OPTIONS: dict[str, Option] = {
    "enabled": Option("flag", True),
    # where the knowledge base lives, relative to mkdocs.yml
    "kb_dir": Option("text", "kb"),
    "gaps_dir": Option("text", "gaps"),
    "cache_dir": Option("text", ".kbgen-cache"),
    # validation: refuse to build when `kbgen check` finds errors
    "strict": Option("flag", True),
    # "Still need help?" on every article, and the way out when search finds nothing
    "contact_url": Option("text", ""),
    "contact_title": Option("text", "Still need help?"),
    "contact_text": Option("text", "Our support team is happy to help."),
    "contact_label": Option("text", "Contact support"),
    # the name of the contact page's parameter that carries the failed search; never "q", which
    # the theme reads as "open the search with this query" (the contact page would vanish under it)
    "contact_query_param": Option("text", "question"),
    # the footer: 'Label | address' links (legal, company, contact), after mkdocs' `copyright`
    "footer_links": Option("list of text", []),
    # `kbgen draft`: new drafts a run writes at most, best-ranked gaps first (0: no limit); a gap
    # left over is drafted by a later run, so editors review a few at a time
    "draft_limit": Option("whole number", 5),
    # the writing-style check (`kbgen check` warnings; kbgen/style.py says what each rule reads)
    "style": Option("flag", True),
    "style_min_reading_ease": Option("number", 50),
    "style_max_sentence_words": Option("whole number", 30),
    "style_max_paragraph_words": Option("whole number", 90),
    "style_max_passive": Option("number", 0.25),
    "style_max_summary_words": Option("whole number", 40),
    "style_min_questions": Option("whole number", 3),
    "style_avoid_words": Option("list of text", ["simply", "just", "obviously", "easy", "easily", "clearly",
                                                 "of course", "basically", "actually", "trivial"]),
    # `kbgen ask --reply`: the team's reply templates, one per channel (kbgen/reply.py says which
    # fields they may use), written here or in a YAML file beside mkdocs.yml; the built-in chat and
    # email templates are used for a channel neither names
    "replies": Option("mapping", {}),
    "replies_file": Option("text", ""),
    # home page and article pages
    "featured": Option("list of text", []),
    "featured_count": Option("whole number", 6),
    "related_count": Option("whole number", 5),
    # navigation: categories only, so page size stays flat as the knowledge base grows
    "nav": Option("flag", True),
    # gap notes: the company's own e-mail domains, kept instead of redacted (support@...)
    "public_email_domains": Option("list of text", []),
    # matching: semantic (encoder and lexical index fused) or lexical; KBGEN_ENGINE overrides it
    "engine": Option("choice", "semantic", ("semantic", "lexical")),
    # site search: weight of the customers' phrasings (title is 1000, body text 1)
    "search_questions_boost": Option("number", 500),
    # site search: the team's own synonym groups ("membership, subscription" a line), added to
    # kbgen's built-in ones (kbgen/synonyms.py)
    "search_synonyms": Option("list of text", []),
    # site search: a search index larger than this many KB is split by term into pieces the
    # browser fetches for the words searched (kbgen/search_split.py); 0 splits every index
    "search_split_kb": Option("whole number", 512),
    # the team service (`kbgen api`): the origin the site's browsers call it from (default: the
    # scheme and host of site_url), the signals one client may send a minute, and the most
    # questions or notes one batch request may carry
    "api_site_origin": Option("text", ""),
    # the site's signals: the team service's address (https://kb-api.example.com); with it every
    # article asks "Was this helpful?" and failed searches are reported; without it the site
    # makes no request at all
    "api_url": Option("text", ""),
    "api_signals_per_minute": Option("whole number", 30),
    "api_max_batch": Option("whole number", 500),
    # `kbgen report`: an article is listed to fix when at least report_min_votes "Was this
    # helpful?" votes reached it and at least report_unhelpful_share of them (0 to 1) said no
    "report_min_votes": Option("whole number", 5),
    "report_unhelpful_share": Option("number", 0.5),
    # failed searches that no note asks too make a gap of their own once this many ask one thing
    "report_min_searches": Option("whole number", 3),
}


def problem(name: str, value: Any) -> str:
    """What is wrong with VALUE for option NAME, in words; "" when it is fine."""
    option = OPTIONS.get(name)
    if option is None:
        return f"'{name}' is not an option of the kbgen plugin (known: {', '.join(OPTIONS)})"
    kind = option.kind
    if kind == "flag" and not isinstance(value, bool):
        return f"'{name}' must be true or false, not {value!r}"
    if kind == "text" and not isinstance(value, str):
        return f"'{name}' must be text, not {value!r}"
    if kind == "whole number" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        return f"'{name}' must be a whole number, not {value!r}"
    if kind == "number" and (not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0):
        return f"'{name}' must be a number, not {value!r}"
    if kind == "list of text" and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        return f"'{name}' must be a list of text, like [a, b], not {value!r}"
    if kind == "mapping" and not isinstance(value, dict):
        return f"'{name}' must be 'name: value' lines, not {value!r}"
    if kind == "choice" and value not in option.choices:
        return f"'{name}' must be one of {', '.join(option.choices)}, not {value!r}"
    if name == "report_unhelpful_share" and value > 1:
        return f"'{name}' is a share from 0 to 1 (0.5: half the votes), not {value!r}"
    if name == "footer_links":
        for item in value:
            label, bar, url = item.rpartition("|")
            if not bar or not label.strip() or not re.match(r"^(https?://|mailto:|/|[\w./-]+$)", url.strip()):
                return (f"'{name}' entries are 'Label | address' with an http(s), mailto: or site address, "
                        f"not {item!r}")
    if name == "replies":
        from .reply import template_problem

        for channel, template in value.items():
            wrong = template_problem(channel, template)
            if wrong:
                return f"'{name}': {wrong}"
    if name == "contact_query_param" and value.strip().lower() in ("q", ""):
        return (f"'{name}' must not be {value!r}: the theme opens its search for a 'q' in the address, "
                "so the contact page would reopen the failed search (the default is 'question')")
    if name == "api_url" and value and not re.match(r"^https?://[^\s/?#@]+(/[^\s?#]*)?$", value):
        return (f"'{name}' must be the team service's http(s) address, such as https://kb-api.example.com, "
                f"not {value!r}")
    return ""


def read(options: Any, where: str = "mkdocs.yml") -> dict[str, Any]:
    """The plugin's OPTIONS with defaults filled in; KbgenError naming the first bad one."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise KbgenError("the kbgen plugin's options must be 'name: value' lines under '- kbgen:'", path=where)
    found = {name: option.default for name, option in OPTIONS.items()}
    for name, value in options.items():
        wrong = problem(str(name), value)
        if wrong:
            raise KbgenError(f"{wrong} (plugins: - kbgen:)", path=where, key=str(name))
        found[str(name)] = value
    return found
