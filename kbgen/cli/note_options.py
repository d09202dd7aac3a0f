"""`kbgen log`'s options for a note's fields, made from the one table of them (`kbgen.note_fields.FIELDS`).

A field with `flags` becomes an option with the table's help; a command decorated with
`note_options` receives them as keyword arguments named for the fields (`tags`, `id`), so a new
field is one row of the table, not a new option, a new help text and three new dictionaries.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, Optional, TypeVar

import typer

Command = TypeVar("Command", bound=Callable[..., Any])


def note_options(extra: dict[str, str] | None = None) -> Callable[[Command], Command]:
    """A decorator: the command's `**fields` become one option a note field that has flags, after
    its own parameters; EXTRA adds words to a field's help (what this command does without it)."""
    from kbgen.note_fields import FIELDS

    def decorate(command: Command) -> Command:
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.default is not p.empty else p
               for p in inspect.signature(command).parameters.values() if p.kind is not p.VAR_KEYWORD]
        positional = [p for p in own if p.kind is not p.KEYWORD_ONLY]
        fields = []
        for spec in FIELDS:
            if not spec.flags:
                continue
            more = f" ({extra[spec.name]})" if extra and spec.name in extra else ""
            if spec.kind is list:
                option = typer.Option(*spec.flags, help=f"{spec.help}{more}; repeat {spec.flags[0]} for more.")
                annotation: Any = Annotated[Optional[list[str]], option]
                default: Any = None
            else:
                annotation, default = Annotated[str, typer.Option(*spec.flags, help=f"{spec.help}{more}.")], spec.default
            fields.append(inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
        keyword = [p for p in own if p.kind is p.KEYWORD_ONLY]
        command.__signature__ = inspect.Signature(positional + fields + keyword)  # type: ignore[attr-defined]
        return command

    return decorate


def option_name(field: str) -> str:
    """The command-line option of a field a refusal names: a note field's own flag (`tags`: --tag),
    else the field's name as an option (`customer_name`: --customer-name)."""
    from kbgen.note_fields import FIELD

    spec = FIELD.get(field)
    return spec.flags[0] if spec is not None and spec.flags else f"--{field.replace('_', '-')}"


def given_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The note fields of a `kbgen log` call as a record's fields (a repeated option as a list)."""
    from kbgen.note_fields import FIELDS

    return {**fields, **{f.name: fields.get(f.name) or [] for f in FIELDS if f.flags and f.kind is list}}


def line_defaults(fields: dict[str, Any]) -> dict[str, Any]:
    """The options of `kbgen log -` as defaults for every line that does not give its own: the
    fields given a value other than the table's default; never an id (each line gives its own)."""
    from kbgen.note_fields import FIELD

    return {key: value for key, value in fields.items()
            if key != "id" and value and value != FIELD[key].default}
