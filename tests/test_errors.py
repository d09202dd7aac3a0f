"""kbgen/errors.py: a diagnostic as JSON has every field, in order."""

from __future__ import annotations

import dataclasses

from kbgen.errors import ERROR, Diagnostic


def test_a_diagnostic_as_a_dict_has_every_field_in_order() -> None:
    found = Diagnostic("kb/a/b.md", 3, ERROR, "broken-link", "the link 'x' points nowhere", "title")
    assert list(found.to_dict().items()) == list(dataclasses.asdict(found).items())
