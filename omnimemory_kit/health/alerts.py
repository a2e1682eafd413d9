"""Alerts: POST to webhooks when a check goes down and when it recovers, never delaying the checks.

The rule, per check, on each result (its *reported* status, so the flap-damping thresholds apply first):

- it turns ``unhealthy`` and no "down" alert is out for it → a **down** alert;
- it is no longer ``unhealthy`` after a "down" alert was sent → a **resolved** alert (to webhooks with
  ``send_on_resolved``), and the check is clear again;
- it is still ``unhealthy`` ``reminder_interval`` seconds after the webhook's last alert → a **reminder**
  (webhooks with a reminder interval).

Degraded alone alerts nobody. Inside a maintenance window a decision is recorded as ``muted`` and nothing
is sent; a check still down when the window ends gets its "down" alert then.

Each delivery runs in a task of its own: ``observe`` (a ``HealthMonitor`` listener) returns at once. A
delivery attempt is bounded by the webhook's ``timeout`` and retried by the kit's ``RetryPolicy`` on
connection errors, timeouts and 5xx/429 answers; the outcome (``sent`` or ``failed``, the attempts, the
last error) is recorded in the store's alert history. Webhook URLs (Slack's hold a secret) never appear in
logs or errors: only the webhook's name does.

Payloads: ``format = "json"`` posts ``alert_payload``'s document; ``format = "slack"`` posts
``{"text": ...}``, which Slack, Mattermost and Rocket.Chat incoming webhooks accept.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

import httpx

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError, RetryError
from omnimemory_kit.health.checks.http import validate_http_url
from omnimemory_kit.health.models import DependencyHealth, HealthResponse
from omnimemory_kit.health.status import HealthStatus
from omnimemory_kit.observability import redact
from omnimemory_kit.resilience import RetryPolicy
from omnimemory_kit.store.base import HealthAlertRow, HealthHistoryStore

__all__ = ["Alert", "AlertKind", "Alerter", "Webhook", "alert_payload", "slack_text"]

logger = logging.getLogger("omnimemory_kit.health.alerts")

AlertKind = Literal["down", "resolved", "reminder"]

_DOWN: Final = HealthStatus.UNHEALTHY


class _RetryableAnswer(Exception):
    """A webhook answered with a status that is worth another try (5xx, 429)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Webhook:
    """Where and how to send alerts.

    Attributes:
        name: shown in logs and the alert history instead of the URL.
        url: where to POST.
        format: ``"json"`` (``alert_payload``) or ``"slack"`` (``{"text": ...}``).
        send_on_resolved: also send "resolved" alerts.
        timeout: seconds one delivery attempt may take.
        retries: further attempts after a failed one (with exponential backoff).
        reminder_interval: seconds between reminders while a check stays down (0: none).
        headers: extra request headers (an auth token, say).
        checks: only alerts about these checks (all when empty).

    Raises:
        HealthConfigError: a field is out of range.
    """

    name: str
    url: str
    format: Literal["json", "slack"] = "json"
    send_on_resolved: bool = True
    timeout: float = 5.0
    retries: int = 3
    reminder_interval: float = 0.0
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    checks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.format not in ("json", "slack"):
            raise HealthConfigError(f"webhook {self.name!r}: format must be json or slack")
        validate_http_url(self.url, where=f"webhook {self.name!r}: url", secret=True)
        finite = math.isfinite(self.timeout) and math.isfinite(self.reminder_interval)
        if not finite or not self.timeout > 0 or self.retries < 0 or self.reminder_interval < 0:
            raise HealthConfigError(
                f"webhook {self.name!r}: timeout must be positive, retries and reminder_interval not negative"
            )

    def wants(self, name: str) -> bool:
        """Return whether alerts about check ``name`` go to this webhook."""
        return not self.checks or name in self.checks

    def __repr__(self) -> str:
        return f"<Webhook {self.name!r} format={self.format}>"  # never the URL: it may hold a secret


@dataclasses.dataclass(frozen=True, slots=True)
class Alert:
    """One alert about one check."""

    kind: AlertKind
    name: str
    status: str
    at: dt.datetime
    down_since: dt.datetime | None = None
    error: str | None = None


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s" if minutes else f"{secs}s"


_TEXT_ERROR_LIMIT: Final = 300
"""Longest error shown in an alert's text, in characters (the JSON ``error`` field keeps it whole)."""


def _slack_escaped(text: str) -> str:
    """Return ``text`` as literal Slack text: one line, ``&``, ``<`` and ``>`` escaped.

    Slack reads ``<...>`` as a link or a mention: an error message holding ``<!channel>`` would otherwise
    notify a whole channel, and ``<http://x|y>`` would show a link under another name.
    """
    line = " ".join(text.split())
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(alert: Alert) -> str:
    """Return the one-line text of an alert (Slack-compatible markup; the check name and error escaped)."""
    name = _slack_escaped(alert.name)
    if alert.kind == "resolved":
        lasted = ""
        if alert.down_since is not None:
            lasted = f" after {_duration((alert.at - alert.down_since).total_seconds())}"
        return f":large_green_circle: *{name}* recovered ({alert.status}){lasted}"
    prefix = "still down" if alert.kind == "reminder" else "is DOWN"
    reason = ""
    if alert.error:
        error = alert.error
        if len(error) > _TEXT_ERROR_LIMIT:
            error = error[: _TEXT_ERROR_LIMIT - 1] + "…"
        reason = f": {_slack_escaped(error)}"
    return f":red_circle: *{name}* {prefix} ({alert.status}){reason}"


def alert_payload(alert: Alert, format: Literal["json", "slack"] = "json") -> dict[str, Any]:
    """Return the JSON document POSTed for an alert in a webhook's format."""
    if format == "slack":
        return {"text": slack_text(alert)}
    duration = None
    if alert.down_since is not None:
        duration = (alert.at - alert.down_since).total_seconds()
    return {
        "kind": alert.kind,
        "check": alert.name,
        "status": alert.status,
        "at": alert.at.isoformat(),
        "down_since": alert.down_since.isoformat() if alert.down_since is not None else None,
        "down_for_s": duration,
        "error": alert.error,
        "text": slack_text(alert),
    }


@dataclasses.dataclass(slots=True)
class _CheckState:
    down_since: dt.datetime | None = None
    alerted: bool = False
    last_sent: dict[str, float] = dataclasses.field(default_factory=dict)  # webhook name -> at


class Alerter:
    """Decide alerts from check results and deliver them to webhooks in the background.

    Args:
        webhooks: where alerts go.
        store: where every alert (sent, failed or muted) is recorded, or None.
        maintenance: ``(check, epoch seconds) -> bool``: mutes alerts, or None.
        clock: for retry sleeps and delivery timeouts.
        retry_base_delay: seconds before the first retry (doubling, capped at 30 s).
        transport: an httpx transport (tests); the default one otherwise.
    """

    def __init__(
        self,
        webhooks: list[Webhook] | tuple[Webhook, ...],
        *,
        store: HealthHistoryStore | None = None,
        maintenance: Callable[[str, float], bool] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        retry_base_delay: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        names = [hook.name for hook in webhooks]
        if len(set(names)) != len(names):
            raise HealthConfigError("webhook names must be unique")
        self.webhooks = tuple(webhooks)
        self.store = store
        self.maintenance = maintenance
        self._clock = clock
        self._retry_base_delay = retry_base_delay
        self._client = httpx.AsyncClient(transport=transport, follow_redirects=False)
        self._states: dict[str, _CheckState] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.delivered: list[HealthAlertRow] = []

    # --- deciding ------------------------------------------------------------------------------------

    def observe(self, result: DependencyHealth, overall: HealthResponse | None = None) -> None:
        """Take one check result; start the deliveries it calls for (returns at once)."""
        state = self._states.setdefault(result.name, _CheckState())
        at = result.checked_at
        down = result.status == _DOWN
        muted = self.maintenance is not None and self.maintenance(result.name, at.timestamp())
        if down and state.down_since is None:
            state.down_since = at
        error = str(result.error) if result.error is not None else result.failed_condition
        if down and not state.alerted:
            alert = Alert("down", result.name, str(result.status), at, state.down_since, error)
            if muted:
                self._mute(alert)
                return
            state.alerted = True
            self._send(alert, state, [hook for hook in self.webhooks if hook.wants(result.name)])
        elif down:
            due = [
                hook
                for hook in self.webhooks
                if hook.wants(result.name)
                and hook.reminder_interval > 0
                and at.timestamp() - state.last_sent.get(hook.name, at.timestamp()) >= hook.reminder_interval
            ]
            if due:
                alert = Alert("reminder", result.name, str(result.status), at, state.down_since, error)
                if muted:
                    self._mute(alert)
                else:
                    self._send(alert, state, due)
        else:
            if state.alerted:
                alert = Alert("resolved", result.name, str(result.status), at, state.down_since)
                hooks = [h for h in self.webhooks if h.wants(result.name) and h.send_on_resolved]
                if muted:
                    self._mute(alert)
                else:
                    self._send(alert, state, hooks)
            self._states[result.name] = _CheckState()

    def _mute(self, alert: Alert) -> None:
        for hook in self.webhooks:
            if hook.wants(alert.name):
                row = HealthAlertRow(alert.at.timestamp(), alert.name, alert.kind, hook.name, "muted")
                self._spawn(self._record(row))

    def _send(self, alert: Alert, state: _CheckState, hooks: list[Webhook]) -> None:
        for hook in hooks:
            state.last_sent[hook.name] = alert.at.timestamp()
            self._spawn(self._deliver(hook, alert))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- delivering ----------------------------------------------------------------------------------

    async def _deliver(self, hook: Webhook, alert: Alert) -> None:
        attempts = 0

        async def attempt() -> None:
            nonlocal attempts
            attempts += 1
            async with self._clock.timeout(hook.timeout):
                response = await self._client.post(
                    hook.url, json=alert_payload(alert, hook.format), headers=dict(hook.headers)
                )
            if response.status_code >= 500 or response.status_code == 429:
                raise _RetryableAnswer(f"answered HTTP {response.status_code}")
            if response.status_code >= 400:  # the request itself is wrong: trying again will not help
                raise ValueError(f"answered HTTP {response.status_code}")

        policy = RetryPolicy(
            max_attempts=hook.retries + 1,
            base_delay=self._retry_base_delay,
            max_delay=max(30.0, self._retry_base_delay),
            retry_on=(httpx.HTTPError, TimeoutError, _RetryableAnswer),
            clock=self._clock,
        )
        outcome, error = "sent", None
        try:
            await policy.call(attempt)
        except asyncio.CancelledError:
            # stopped (aclose's grace ran out) before the webhook answered: still one row in the history
            row = HealthAlertRow(
                alert.at.timestamp(), alert.name, alert.kind, hook.name, "failed", attempts,
                "cancelled: stopped before the webhook answered",
            )  # fmt: skip
            await self._record(row)
            raise
        except Exception as exc:  # retries spent, a 4xx, or anything unforeseen: recorded, never raised
            cause = exc.last_exception if isinstance(exc, RetryError) else exc
            outcome, error = "failed", _describe(cause, hook)
            logger.warning(
                "alert %s for %r to webhook %r failed after %d attempts: %s",
                alert.kind,
                alert.name,
                hook.name,
                attempts,
                error,
            )
        row = HealthAlertRow(
            alert.at.timestamp(), alert.name, alert.kind, hook.name, outcome, attempts, error
        )
        await self._record(row)

    async def _record(self, row: HealthAlertRow) -> None:
        self.delivered.append(row)
        if self.store is None:
            return
        try:
            await asyncio.to_thread(self.store.record_health_alert, row)
        except Exception:
            logger.exception("could not record alert %s for %r", row.kind, row.name)

    async def drain(self) -> None:
        """Wait until every delivery started so far has ended (sent, failed and recorded)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self, grace: float = 5.0) -> None:
        """Give deliveries in flight ``grace`` seconds, cancel the rest, close the HTTP client."""
        if self._tasks:
            _, pending = await asyncio.wait(list(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"<Alerter webhooks={len(self.webhooks)} in_flight={len(self._tasks)}>"


def _describe(exc: BaseException | None, hook: Webhook) -> str:
    """Say why a delivery failed without repeating the URL (it may hold a secret)."""
    if exc is None:
        return "failed"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"no answer within {hook.timeout:g}s"
    text = str(exc).replace(hook.url, f"<webhook {hook.name}>")
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
