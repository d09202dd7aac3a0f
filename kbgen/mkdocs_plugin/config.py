"""The kbgen plugin's options, declared to mkdocs from the core's one table (`kbgen.settings`).

mkdocs validates them as it loads mkdocs.yml; `plugin.py` reads them again with the core's rules
(the ones `kbgen log` and the other commands use), so both refuse the same values.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config import config_options as opt
from mkdocs.config.base import Config

from kbgen.settings import OPTIONS, Option


def _declared(option: Option) -> Any:
    if option.kind == "flag":
        return opt.Type(bool, default=option.default)
    if option.kind == "text":
        return opt.Type(str, default=option.default)
    if option.kind == "whole number":
        return opt.Type(int, default=option.default)
    if option.kind == "number":
        return opt.Type((int, float), default=option.default)
    if option.kind == "list of text":
        return opt.ListOfItems(opt.Type(str), default=list(option.default))
    if option.kind == "mapping":
        return opt.Type(dict, default=dict(option.default))
    if option.kind == "choice":
        return opt.Choice(option.choices, default=option.default)
    raise ValueError(f"unknown option kind {option.kind!r}")


KbgenConfig: Any = type("KbgenConfig", (Config,), {name: _declared(option) for name, option in OPTIONS.items()})
