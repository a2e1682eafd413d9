"""Wait and stop policies for retries: small, composable, pure functions of one ``AttemptState``.

A *wait* policy answers "how long to sleep before the next attempt?"; a *stop* policy answers "give up
now?". Both read only the ``AttemptState`` they are given, so they are tested as plain functions. Jitter
is pure too: the caller draws the random number (``AttemptState.random``) from its own seeded source.

    wait = wait_exponential(base_delay=0.5, max_delay=30, jitter="full") + wait_fixed(0.1)
    stop = stop_after_attempt(5) | stop_after_delay(60)

Jitter is a fraction ``f`` in [0, 1] of the delay that is randomized *downwards*:
``delay = cap * (1 - f * random)``. ``"full"`` is f = 1 (anywhere in [0, cap], the AWS "full jitter"),
``"equal"`` is f = 0.5 (in [cap/2, cap]), ``"none"`` is f = 0. Delays therefore never exceed the cap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from omnimemory_kit.errors import ConfigError

__all__ = [
    "AttemptState",
    "Jitter",
    "StopPolicy",
    "WaitPolicy",
    "jitter_fraction",
    "stop_after_attempt",
    "stop_after_delay",
    "stop_never",
    "wait_exponential",
    "wait_fixed",
]

Jitter = Literal["full", "equal", "none"] | float
"""How much of a delay is randomized: ``"full"`` (1.0), ``"equal"`` (0.5), ``"none"`` (0.0) or a fraction."""

_NAMED_JITTER = {"full": 1.0, "equal": 0.5, "none": 0.0}


def jitter_fraction(jitter: Jitter) -> float:
    """Return the fraction of a delay that ``jitter`` randomizes.

    Raises:
        ConfigError: for an unknown name or a fraction outside [0, 1].
    """
    if isinstance(jitter, str):
        try:
            return _NAMED_JITTER[jitter]
        except KeyError:
            raise ConfigError(
                f"jitter must be 'full', 'equal', 'none' or a fraction in [0, 1], got {jitter!r}"
            ) from None
    if isinstance(jitter, bool) or not isinstance(jitter, int | float) or not 0.0 <= jitter <= 1.0:
        raise ConfigError(f"jitter must be 'full', 'equal', 'none' or a fraction in [0, 1], got {jitter!r}")
    return float(jitter)


@dataclass(frozen=True, slots=True)
class AttemptState:
    """What a wait or stop policy may look at after an attempt failed.

    Attributes:
        attempt: how many attempts have been made so far (1 after the first failure).
        elapsed: seconds since the first attempt started.
        exception: the exception the last attempt raised.
        random: a uniform draw in [0, 1) for jitter, made by the caller (0.0 means "no randomness").
        upcoming_delay: the sleep the wait policy chose before the next attempt (stop policies see it;
            wait policies get 0.0).
    """

    attempt: int
    elapsed: float = 0.0
    exception: BaseException | None = None
    random: float = 0.0
    upcoming_delay: float = 0.0


class WaitPolicy:
    """Base of wait policies: ``policy(state) -> seconds``; ``a + b`` sleeps for the sum."""

    __slots__ = ()

    def __call__(self, state: AttemptState) -> float:
        """Return the seconds to sleep before the next attempt."""
        raise NotImplementedError

    def __add__(self, other: WaitPolicy) -> WaitPolicy:
        return _WaitSum((self, other))


class StopPolicy:
    """Base of stop policies: ``policy(state) -> bool``; ``a | b`` stops if either does, ``a & b`` if both."""

    __slots__ = ()

    def __call__(self, state: AttemptState) -> bool:
        """Return whether to give up instead of making another attempt."""
        raise NotImplementedError

    def __or__(self, other: StopPolicy) -> StopPolicy:
        return _StopAny((self, other))

    def __and__(self, other: StopPolicy) -> StopPolicy:
        return _StopAll((self, other))


def _check_seconds(what: str, value: float, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{what} must be a finite number of seconds, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ConfigError(f"{what} must be {'positive' if positive else 'zero or more'}, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class _WaitSum(WaitPolicy):
    parts: tuple[WaitPolicy, ...]

    def __call__(self, state: AttemptState) -> float:
        return sum(part(state) for part in self.parts)


@dataclass(frozen=True, slots=True)
class _WaitFixed(WaitPolicy):
    seconds: float

    def __call__(self, state: AttemptState) -> float:
        return self.seconds


def wait_fixed(seconds: float) -> WaitPolicy:
    """Wait the same ``seconds`` before every retry."""
    return _WaitFixed(_check_seconds("wait_fixed seconds", seconds))


@dataclass(frozen=True, slots=True)
class _WaitExponential(WaitPolicy):
    base_delay: float
    multiplier: float
    max_delay: float
    jitter: float

    def cap(self, attempt: int) -> float:
        """Return the un-jittered delay after ``attempt`` failures: base * multiplier**(attempt-1), capped."""
        exponent = max(attempt - 1, 0)
        try:
            raw = self.base_delay * self.multiplier**exponent
        except OverflowError:  # a huge attempt number: the cap has long been reached
            return self.max_delay
        return min(raw, self.max_delay)

    def __call__(self, state: AttemptState) -> float:
        return self.cap(state.attempt) * (1.0 - self.jitter * state.random)


def wait_exponential(
    base_delay: float = 0.1, multiplier: float = 2.0, max_delay: float = 30.0, jitter: Jitter = "full"
) -> WaitPolicy:
    """Wait ``base_delay * multiplier**(attempt-1)``, capped at ``max_delay``, with ``jitter``.

    Raises:
        ConfigError: for negative or non-finite delays, a multiplier below 1, ``max_delay < base_delay``
            or a bad ``jitter``.
    """
    base = _check_seconds("base_delay", base_delay)
    cap = _check_seconds("max_delay", max_delay)
    if cap < base:
        raise ConfigError(f"max_delay ({max_delay!r}) must be at least base_delay ({base_delay!r})")
    if (
        isinstance(multiplier, bool)
        or not isinstance(multiplier, int | float)
        or not math.isfinite(multiplier)
        or multiplier < 1
    ):
        raise ConfigError(f"multiplier must be a finite number >= 1, got {multiplier!r}")
    return _WaitExponential(base, float(multiplier), cap, jitter_fraction(jitter))


@dataclass(frozen=True, slots=True)
class _StopAny(StopPolicy):
    parts: tuple[StopPolicy, ...]

    def __call__(self, state: AttemptState) -> bool:
        return any(part(state) for part in self.parts)


@dataclass(frozen=True, slots=True)
class _StopAll(StopPolicy):
    parts: tuple[StopPolicy, ...]

    def __call__(self, state: AttemptState) -> bool:
        return all(part(state) for part in self.parts)


@dataclass(frozen=True, slots=True)
class _StopAfterAttempt(StopPolicy):
    max_attempts: int

    def __call__(self, state: AttemptState) -> bool:
        return state.attempt >= self.max_attempts


def stop_after_attempt(max_attempts: int) -> StopPolicy:
    """Give up once ``max_attempts`` attempts have been made.

    Raises:
        ConfigError: if ``max_attempts`` is not an integer of at least 1.
    """
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ConfigError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
    return _StopAfterAttempt(max_attempts)


@dataclass(frozen=True, slots=True)
class _StopAfterDelay(StopPolicy):
    seconds: float

    def __call__(self, state: AttemptState) -> bool:
        return state.elapsed + state.upcoming_delay > self.seconds


def stop_after_delay(seconds: float) -> StopPolicy:
    """Give up when the next attempt would start more than ``seconds`` after the first one began.

    Counting the upcoming sleep means a retry never sleeps past the deadline just to fail there.

    Raises:
        ConfigError: for a negative or non-finite ``seconds``.
    """
    return _StopAfterDelay(_check_seconds("stop_after_delay seconds", seconds))


@dataclass(frozen=True, slots=True)
class _StopNever(StopPolicy):
    def __call__(self, state: AttemptState) -> bool:
        return False


def stop_never() -> StopPolicy:
    """Never give up on account of this policy (combine it, or rely on ``max_attempts``)."""
    return _StopNever()


# Callable aliases for user-written policies: any function of an AttemptState works where these are taken.
WaitFunction = Callable[[AttemptState], float]
StopFunction = Callable[[AttemptState], bool]
