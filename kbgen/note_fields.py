"""The one table of a gap note's fields: name, kind, limits, who sets each, and what it means.

Everything that lists a note's fields reads it: storing and reading notes (`kbgen.notes`), the
options of `kbgen log` (`kbgen.cli.note_options`) and the service's request and response models
(`kbgen.api.models`, so its OpenAPI documents). A module of its own, with no dataclass, so the
command line can build `log`'s options without the cost of importing `kbgen.notes`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

CHANNELS = ("chat", "email", "phone", "in-person", "other")


class Field(NamedTuple):
    """One stored field of a note: its name, its kind, who sets it, and what it means."""

    name: str
    kind: type  # str, list or bool
    required: bool = False  # every stored note has it (and it is written even when empty)
    given: bool = True  # a caller may give it (`kbgen log`, a request); False: kbgen sets it
    default: Any = ""
    limit: int = 0  # characters a text given may have
    number_ok: bool = False  # a caller may give a number (a ticket or id from a helpdesk)
    help: str = ""  # what it holds: `kbgen log --help` and the service's OpenAPI documents say it
    flags: tuple[str, ...] = ()  # its `kbgen log` option; none: only a `log -` line or a request gives it


def _words(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1]


# The one table of a note's stored fields, in the order a stored line holds them: it drives
# `Note.record`, reading a stored line back, the fields `make_note` accepts, the options of
# `kbgen log` (`kbgen.cli.note_options`) and the service's request and response models
# (`kbgen.api.models`, and so its OpenAPI documents).
FIELDS = (
    Field("id", str, required=True, limit=200, number_ok=True, flags=("--id",),
          help="The note's id, e.g. from your ticket system; logging an id twice stores it once"),
    Field("time", str, required=True, limit=40, help="When it was asked, ISO 8601 (default: now)"),
    Field("question", str, required=True, limit=2_000, help="The customer's question, in their words"),
    Field("answer", str, limit=20_000, flags=("--answer", "-a"), help="The answer you gave the customer"),
    Field("agent", str, limit=200, flags=("--agent",), help="Who answered"),
    Field("channel", str, default="other", limit=20, flags=("--channel",), help=_words(CHANNELS)),
    Field("ticket", str, limit=200, number_ok=True, flags=("--ticket",), help="Ticket reference in your help desk"),
    Field("tags", list, flags=("--tag",), help="Tags, words that group notes"),
    Field("category", str, limit=100, flags=("--category",), help="Your guess of the category (a kb/ folder)"),
    Field("redacted", list, given=False, help="The kinds of personal data removed before it was stored"),
    Field("matched", list, given=False, help="The articles the engine matched when it was logged"),
    Field("answered", bool, required=True, given=False, default=False, help="An article answered it when it was logged"),
)
FIELD = {f.name: f for f in FIELDS}
