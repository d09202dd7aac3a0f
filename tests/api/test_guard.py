"""The signal route's rate limit: a token bucket a client address."""

from __future__ import annotations

from kbgen.api.guard import Buckets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_burst_then_waits_and_refills() -> None:
    clock = Clock()
    buckets = Buckets(30, clock)
    assert [buckets.take("a") for _ in range(30)] == [0.0] * 30
    wait = buckets.take("a")
    assert 1.9 < wait <= 2.0  # one token every 2 s at 30 a minute
    assert buckets.take("b") == 0.0
    clock.now += 2.0
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0


def test_zero_means_no_limit_and_memory_is_bounded(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert all(Buckets(0).take("a") == 0.0 for _ in range(100))
    import kbgen.api.guard as guard

    monkeypatch.setattr(guard, "MAX_CLIENTS", 10)
    clock = Clock()
    buckets = Buckets(30, clock)
    for n in range(25):
        buckets.take(f"10.0.0.{n}")
    assert len(buckets.buckets) <= 10
