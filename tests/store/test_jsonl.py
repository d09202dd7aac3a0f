"""The file store's byte search for one id's lines finds exactly the lines a line-by-line scan finds."""

from __future__ import annotations

import random

from kbgen.store.jsonl import _lines_with

NEEDLES = (b'"id":"a"', b'"note":"a"')
LINES = [b'{"type":"note","id":"a"}', b'{"type":"event","note":"a","event":"closed"}', b'{"id":"b"}', b"",
         b'"id":"a" and "note":"a" on one line', b'{"id":"ab"}\r', b'broken\r{"id":"a"}', b'{"id":"a"}\r']


def test_the_lines_holding_an_id_are_those_a_scan_finds_in_order() -> None:
    draw = random.Random(14)
    for _ in range(2000):
        data = b"\n".join(draw.choice(LINES) for _ in range(draw.randint(0, 8))) + draw.choice([b"", b"\n"])
        assert _lines_with(data, NEEDLES) == [raw for raw in data.splitlines() if any(n in raw for n in NEEDLES)]


def test_no_needle_no_line() -> None:
    assert _lines_with(b'{"id":"b"}\n{"id":"c"}\n', NEEDLES) == []
