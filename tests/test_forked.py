"""kbgen/forked.py: work shared between forked processes gives what the same work gives here."""

from __future__ import annotations

import os

import pytest

from kbgen import forked


def test_forked_results_come_back_in_order_and_equal_to_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "cores", lambda: 2)
    items = [f"item {i} " * (i % 7) for i in range(101)]
    parent = os.getpid()
    found = forked.map_forked(lambda item: (item.upper(), os.getpid()), items, parallel_from=1)
    assert [value for value, _ in found] == [item.upper() for item in items]
    if "fork" in __import__("multiprocessing").get_all_start_methods():
        assert {pid for _, pid in found} - {parent}, "the work was not shared"


def test_few_items_or_one_core_are_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    assert forked.map_forked(lambda item: os.getpid(), [1, 2, 3], parallel_from=10) == [parent] * 3
    monkeypatch.setattr(forked, "cores", lambda: 1)
    assert forked.map_forked(lambda item: os.getpid(), list(range(20)), parallel_from=1) == [parent] * 20


def test_an_error_in_a_worker_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "cores", lambda: 2)

    def fail(item: int) -> int:
        if item == 7:
            raise ValueError("item 7")
        return item

    with pytest.raises(ValueError, match="item 7"):
        forked.map_forked(fail, list(range(20)), parallel_from=1)
