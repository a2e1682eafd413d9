"""One run-wide ``max-rate`` shared by a run's live workers: each worker's pace, from what the run did.

Each worker knows the limit (a control setting), how many of the run's workers are alive and how many
items the run has finished so far (the store's worker records). An equal share (limit / live workers)
alone falls short whenever a worker cannot use its share (starved of CPU, between batches, out of
items): that share is simply lost and the run falls short of its limit.

So the workers also keep one run-wide token bucket, each from the same store facts: tokens refill at the
limit and are spent by the items the *whole run* finishes, and the bucket holds at most ``burst``
seconds of the limit either way. While the run is behind (tokens to spare) every worker speeds up; while
it is ahead they all slow down, so the run's total follows the limit whoever does the work, and a
worker's unused share is borrowed by the others. The correction is spread over ``horizon`` seconds: the
counts reach the store a flush late, and a faster correction than that lag would oscillate. For the same
reason a new bucket starts counting at its second look: the first look's count misses the items then in
flight, which would read as tokens to spare and start the run with a burst.

Pure: ``update`` takes the time and the counts, so tests drive it with made-up numbers.
"""

from __future__ import annotations

from typing import Final

__all__ = ["RateShare"]

_FLOOR: Final = 0.1  # however far ahead the run is, a worker keeps a tenth of its share (never stalls)


class RateShare:
    """Turn the run-wide limit, the live workers and the run's finished count into this worker's rate.

    Args:
        burst: seconds of the limit the bucket holds, ahead or behind (a token bucket's capacity).
        horizon: seconds over which a surplus or deficit of tokens is made good.
    """

    __slots__ = ("_at", "_counting", "_done", "burst", "horizon", "limit", "rate", "tokens")

    def __init__(self, *, burst: float = 1.0, horizon: float = 2.0) -> None:
        self.burst = burst
        self.horizon = horizon
        self.limit: float | None = None
        self.rate: float | None = None  # this worker's items/s; None: no limit
        self.tokens = 0.0
        self._at = 0.0
        self._done = 0
        self._counting = False  # the bucket counts from its second look

    def update(self, now: float, limit: float | None, live: int, done: int) -> float | None:
        """Fold one observation in; return this worker's items/s (None without a limit).

        Args:
            now: monotonic seconds.
            limit: the run-wide max-rate in items/s (None or 0: no limit).
            live: the run's live workers, this one included (at least 1 is assumed).
            done: items the run has finished, over all its workers (a count that only grows).
        """
        workers = max(1, live)
        if not limit:
            self.limit = self.rate = None
            self._counting = False
            self.tokens = 0.0
            return None
        if limit != self.limit or not self._counting:  # a new limit starts a fresh bucket
            self._counting = limit == self.limit
            self.limit, self.tokens, self._at, self._done = limit, 0.0, now, done
            self.rate = limit / workers
            return self.rate
        refill = limit * max(0.0, now - self._at)
        spent = max(0, done - self._done)
        cap = limit * self.burst
        self.tokens = min(cap, max(-cap, self.tokens + refill - spent))
        self._at, self._done = now, done
        run_rate = max(limit * _FLOOR, limit + self.tokens / self.horizon)
        self.rate = run_rate / workers
        return self.rate

    def __repr__(self) -> str:
        if self.limit is None or self.rate is None:
            return "<RateShare no limit>"
        return f"<RateShare limit={self.limit:g}/s rate={self.rate:.3g}/s tokens={self.tokens:+.1f}>"
