"""Health checks declared in a TOML file, validated, and turned into a ready ``HealthManager``.

A file looks like this (``examples/health.toml`` is a complete one)::

    store = "sqlite:///health.db"     # where snapshots are recorded (optional)
    retention_days = 30               # how long snapshots are kept
    rollup_retention = { minute_hours = 24, hour_days = 30, day_days = 365 }   # uptime rollups
    resource_path = "."               # whose volume the host disk metrics describe

    [[check]]
    name = "postgresql"
    type = "postgres"                 # postgres | redis | http | tcp | disk | path | store
    dsn = "postgresql://app@127.0.0.1:5432/app"
    critical = true
    timeout = 2.0
    interval = 15                     # seconds between runs under `health serve`
    slo = 99.9                        # percent of samples up over 30 days
    conditions = ["latency_ms < 300 else degraded"]

    [[webhook]]                       # alerts when a check goes down and when it recovers
    name = "ops"
    url = "${OPS_WEBHOOK_URL}"        # http(s); Slack's incoming-webhook URLs hold a secret
    format = "slack"                  # json | slack
    send_on_resolved = true
    reminder_interval = 3600          # seconds; 0 (default): no reminders
    timeout = 5                       # seconds per attempt; retries = 3 with backoff

    [[maintenance]]                   # excluded from uptime and incidents, alerts muted
    start = 2026-12-05T02:00:00Z
    end = 2026-12-05T03:00:00Z
    checks = ["postgresql"]           # every check when absent
    reason = "minor version upgrade"

Fields every check takes: ``name`` (unique), ``type``, ``critical`` (default true), ``timeout`` (seconds,
default 5), ``conditions``, ``dependency_type`` (derived from ``type`` when absent), ``failures_to_change``,
``successes_to_recover``, ``tags``, ``interval`` (seconds between runs under ``health serve``, default 30,
at least 0.1), ``slo`` (a percentage above 0 and below 100; see ``health.slo``) and ``breaker``
(``{ failure_threshold = 3, recovery_timeout = 30 }``). Fields per type:

==========  ============================================================================================
postgres    ``dsn`` (required), ``query`` (``SELECT 1``)
redis       ``url`` (required)
http        ``url`` (required), ``expect_status`` (int or list; 2xx), ``json_field``, ``expected``,
            ``method`` (GET), ``headers`` (table), ``verify`` (true)
tcp         ``host``, ``port`` (required)
disk        ``path`` ("/"), ``warn_free_pct`` (20), ``fail_free_pct`` (10)
path        ``path`` (required), ``fsync`` (false)
store       ``url`` (required; the kit's store, opened without creating it)
push        ``token`` (required, 16+ characters), ``grace`` (0): heartbeats due every ``interval``
==========  ============================================================================================

``${NAME}`` in ``dsn``, ``url`` and ``headers`` values is replaced by the environment variable ``NAME``,
so passwords and API keys need not be written in the file. Relative paths are relative to the current
directory, as everywhere else in the kit.

Maintenance windows need a start and an end with a UTC offset, the end after the start, and may not
overlap another window covering a common check.

Any mistake (unknown type, missing or unknown field, malformed DSN or URL, negative timeout, duplicate
name, bad interval or SLO, ill-formed or overlapping maintenance windows, bad TOML) raises one
``HealthConfigError`` naming the file, the check and the field; no message repeats a DSN, URL or header
value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import tomllib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.errors import HealthConfigError
from omnimemory_kit.health.alerts import Alerter, Webhook
from omnimemory_kit.health.checks import (
    BuiltinCheck,
    DiskSpaceCheck,
    HttpCheck,
    PostgresCheck,
    PushCheck,
    RedisCheck,
    StoreCheck,
    TcpCheck,
    WritablePathCheck,
)
from omnimemory_kit.health.checks.http import validate_http_url
from omnimemory_kit.health.checks.postgres import validate_dsn
from omnimemory_kit.health.checks.redis import validate_redis_url
from omnimemory_kit.health.history import HealthHistory
from omnimemory_kit.health.maintenance import MaintenanceSchedule, MaintenanceWindow
from omnimemory_kit.health.manager import HealthManager
from omnimemory_kit.health.models import DependencyType, HealthCheckConfig
from omnimemory_kit.health.uptime import RollupRetention
from omnimemory_kit.store.url import parse_sqlite_url

__all__ = [
    "CHECK_TYPES",
    "BreakerSpec",
    "CheckSpec",
    "HealthConfigFile",
    "load_health_config",
    "parse_health_config",
]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _validated(validate: Any, value: str) -> str:
    """Run a check module's validator inside a pydantic validator, keeping only its reason."""
    try:
        return str(validate(_expand_env(value), where="value"))
    except HealthConfigError as exc:
        raise ValueError(str(exc).removeprefix("value: ")) from None


def _expand_env(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} (referenced as ${{{name}}}) is not set")
        return os.environ[name]

    return _ENV_REF.sub(replace, value)


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BreakerSpec(_Spec):
    """A circuit breaker for one check, as written in the file."""

    failure_threshold: int = Field(default=3, gt=0)
    recovery_timeout: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    success_threshold: int = Field(default=1, gt=0)
    half_open_max_calls: int = Field(default=1, gt=0)

    def to_config(self) -> Any:
        """Return the ``CircuitBreakerConfig`` for the health manager."""
        from omnimemory_kit.resilience import CircuitBreakerConfig

        return CircuitBreakerConfig(**self.model_dump())


class _CheckBase(_Spec):
    """Fields every check takes."""

    default_dependency_type: ClassVar[DependencyType] = DependencyType.OTHER

    name: str = Field(min_length=1, max_length=200)
    critical: bool = True
    timeout: float = Field(default=5.0, gt=0, allow_inf_nan=False)
    interval: float = Field(default=30.0, ge=0.1, allow_inf_nan=False)
    slo: float | None = None
    conditions: tuple[str, ...] = ()
    dependency_type: DependencyType | None = None
    failures_to_change: int = Field(default=1, ge=1)
    successes_to_recover: int = Field(default=1, ge=1)
    tags: tuple[str, ...] = ()
    breaker: BreakerSpec | None = None

    @field_validator("name")
    @classmethod
    def _name_is_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("slo")
    @classmethod
    def _slo_is_a_percentage(cls, value: float | None) -> float | None:
        if value is not None and not 0 < value < 100:
            raise ValueError("must be a percentage above 0 and below 100 (like 99.9)")
        return value

    @field_validator("conditions")
    @classmethod
    def _conditions_parse(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from omnimemory_kit.health.conditions import parse_condition

        for text in value:
            parse_condition(text)
        return value

    def health_check_config(self) -> HealthCheckConfig:
        """Return the registration this spec describes."""
        return HealthCheckConfig(
            name=self.name,
            dependency_type=self.dependency_type or self.default_dependency_type,
            critical=self.critical,
            timeout=self.timeout,
            conditions=self.conditions,
            breaker=self.breaker.to_config() if self.breaker is not None else None,
            failures_to_change=self.failures_to_change,
            successes_to_recover=self.successes_to_recover,
            tags=self.tags,
        )

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return a new check object (it holds connections: ``aclose()`` it when done)."""
        raise NotImplementedError


class PostgresSpec(_CheckBase):
    """``type = "postgres"``: ``SELECT 1`` over a reused connection."""

    default_dependency_type: ClassVar[DependencyType] = DependencyType.DATABASE
    type: Literal["postgres"]
    dsn: str
    query: str = "SELECT 1"

    @field_validator("dsn")
    @classmethod
    def _dsn_parses(cls, value: str) -> str:
        return _validated(validate_dsn, value)

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return a ``PostgresCheck``."""
        return PostgresCheck(self.dsn, query=self.query, connect_timeout=self.timeout, clock=clock)


class RedisSpec(_CheckBase):
    """``type = "redis"``: PING over a reused client."""

    default_dependency_type: ClassVar[DependencyType] = DependencyType.CACHE
    type: Literal["redis"]
    url: str

    @field_validator("url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        return _validated(validate_redis_url, value)

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return a ``RedisCheck``."""
        return RedisCheck(self.url, timeout=self.timeout, clock=clock)


class HttpSpec(_CheckBase):
    """``type = "http"``: status code and optional JSON field over a reused client."""

    default_dependency_type: ClassVar[DependencyType] = DependencyType.HTTP
    type: Literal["http"]
    url: str
    expect_status: tuple[Annotated[int, Field(ge=100, le=599)], ...] | None = None
    json_field: str | None = None
    expected: str | int | float | bool | None = None
    method: Literal["GET", "HEAD", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    verify: bool | str = True

    @field_validator("url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        return _validated(validate_http_url, value)

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("expect_status", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, int) else value

    @field_validator("headers")
    @classmethod
    def _headers_expand(cls, value: dict[str, str]) -> dict[str, str]:
        return {key: _expand_env(text) for key, text in value.items()}

    @field_validator("expected")
    @classmethod
    def _expected_needs_field(cls, value: object, info: Any) -> object:
        if value is not None and info.data.get("json_field") is None:
            raise ValueError("needs json_field (which field of the JSON body to compare)")
        return value

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return an ``HttpCheck``."""
        return HttpCheck(
            self.url,
            expect_status=self.expect_status,
            json_field=self.json_field,
            expected=self.expected,
            method=self.method,
            headers=self.headers,
            timeout=self.timeout,
            verify=self.verify,
            clock=clock,
        )


class TcpSpec(_CheckBase):
    """``type = "tcp"``: TCP connect to host:port."""

    default_dependency_type: ClassVar[DependencyType] = DependencyType.TCP
    type: Literal["tcp"]
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return a ``TcpCheck``."""
        return TcpCheck(self.host, self.port, timeout=self.timeout, clock=clock)


class DiskSpec(_CheckBase):
    """``type = "disk"``: free space with warn and fail thresholds."""

    default_dependency_type: ClassVar[DependencyType] = DependencyType.SYSTEM
    type: Literal["disk"]
    path: str = "/"
    warn_free_pct: float = Field(default=20.0, ge=0, le=100)
    fail_free_pct: float = Field(default=10.0, ge=0, le=100)

    @field_validator("fail_free_pct")
    @classmethod
    def _fail_below_warn(cls, value: float, info: Any) -> float:
        warn = info.data.get("warn_free_pct")
        if warn is not None and value > warn:
            raise ValueError(f"must not be above warn_free_pct ({warn:g})")
        return value

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return a ``DiskSpaceCheck``."""
        return DiskSpaceCheck(
            self.path, warn_free_pct=self.warn_free_pct, fail_free_pct=self.fail_free_pct, clock=clock
        )


class PathSpec(_CheckBase):
    """``type = "path"``: the directory is writable."""

    default_dependency_type: ClassVar[DependencyType] = DependencyType.FILESYSTEM
    type: Literal["path"]
    path: str = Field(min_length=1)
    fsync: bool = False

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return a ``WritablePathCheck``."""
        return WritablePathCheck(self.path, fsync=self.fsync, clock=clock)


class StoreSpec(_CheckBase):
    """``type = "store"``: the kit's own store opens and reads."""

    default_dependency_type: ClassVar[DependencyType] = DependencyType.STORE
    type: Literal["store"]
    url: str = Field(min_length=1)

    @field_validator("url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        value = _expand_env(value)
        if not value.lower().startswith(("postgresql://", "postgres://")):
            try:
                parse_sqlite_url(value)
            except ValueError:
                raise ValueError(
                    "not a store URL (sqlite:///path, a file path or postgresql://...)"
                ) from None
        return value

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return a ``StoreCheck``."""
        return StoreCheck(self.url, clock=clock)


class PushSpec(_CheckBase):
    """``type = "push"``: healthy while heartbeats arrive within ``interval`` (+ ``grace``) seconds.

    ``token`` (required, at least 16 characters; write it as ``${NAME}``) authorizes
    ``POST /push/<name>`` on ``health serve``. The check itself is evaluated every
    ``min(interval, 10)`` seconds, so a missed heartbeat is noticed within 10 s of its deadline.
    """

    default_dependency_type: ClassVar[DependencyType] = DependencyType.OTHER
    type: Literal["push"]
    token: str = Field(min_length=16, repr=False)
    grace: float = Field(default=0.0, ge=0, allow_inf_nan=False)

    @field_validator("token")
    @classmethod
    def _token_expands(cls, value: str) -> str:
        expanded = _expand_env(value)
        if len(expanded) < 16:
            raise ValueError("must be at least 16 characters")
        return expanded

    @property
    def max_age(self) -> float:
        """Return how old the latest heartbeat may be while the check is healthy."""
        return self.interval + self.grace

    def build(self, clock: Clock = SYSTEM_CLOCK) -> BuiltinCheck:
        """Return a ``PushCheck`` (give it a store with ``check.store = store`` to read other senders')."""
        return PushCheck(self.name, self.max_age, clock=clock)


CheckSpec = Annotated[
    PostgresSpec | RedisSpec | HttpSpec | TcpSpec | DiskSpec | PathSpec | StoreSpec | PushSpec,
    Field(discriminator="type"),
]
"""One ``[[check]]`` table, chosen by its ``type``."""

CHECK_TYPES = ("postgres", "redis", "http", "tcp", "disk", "path", "store", "push")


class RollupRetentionSpec(_Spec):
    """``[rollup_retention]``: how long minute, hour and day rollups are kept."""

    minute_hours: float = Field(default=24.0, gt=0, allow_inf_nan=False)
    hour_days: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    day_days: float = Field(default=365.0, gt=0, allow_inf_nan=False)

    def to_retention(self) -> RollupRetention:
        """Return the ``RollupRetention`` the history applies."""
        return RollupRetention(
            minute=dt.timedelta(hours=self.minute_hours),
            hour=dt.timedelta(days=self.hour_days),
            day=dt.timedelta(days=self.day_days),
        )


class MaintenanceSpec(_Spec):
    """One ``[[maintenance]]`` table: a planned interval muting the checks it names (all when none)."""

    start: dt.datetime
    end: dt.datetime
    checks: tuple[str, ...] | None = None
    reason: str = ""

    @field_validator("start", "end")
    @classmethod
    def _has_offset(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("needs a UTC offset (like 2026-12-05T02:00:00Z)")
        return value

    @field_validator("checks")
    @classmethod
    def _names_some(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # [] could mean "none" or "all": a window over no check is a mistake, so ask for the intended form
        if value is not None and not value:
            raise ValueError("an empty list names no check (leave `checks` out to cover every check)")
        return value

    def to_window(self) -> MaintenanceWindow:
        """Return the ``MaintenanceWindow`` it describes."""
        return MaintenanceWindow(self.start, self.end, self.checks or (), self.reason)


class WebhookSpec(_Spec):
    """One ``[[webhook]]`` table: where alerts go (see ``omnimemory_kit.health.alerts``)."""

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(repr=False)  # may hold a secret (Slack's do)
    format: Literal["json", "slack"] = "json"
    send_on_resolved: bool = True
    timeout: float = Field(default=5.0, gt=0, le=60, allow_inf_nan=False)
    retries: int = Field(default=3, ge=0, le=10)
    reminder_interval: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    checks: tuple[str, ...] = ()

    @field_validator("url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        return _validated(functools.partial(validate_http_url, secret=True), value)

    @field_validator("headers")
    @classmethod
    def _headers_expand(cls, value: dict[str, str]) -> dict[str, str]:
        return {key: _expand_env(text) for key, text in value.items()}

    def to_webhook(self) -> Webhook:
        """Return the ``Webhook`` the alerter posts to."""
        return Webhook(
            name=self.name,
            url=self.url,
            format=self.format,
            send_on_resolved=self.send_on_resolved,
            timeout=self.timeout,
            retries=self.retries,
            reminder_interval=self.reminder_interval,
            headers=dict(self.headers),
            checks=self.checks,
        )


class HealthConfigFile(_Spec):
    """A loaded health config file: top-level settings and the checks, in file order.

    Attributes:
        source: where it was read from (for messages).
        store: the store URL snapshots are recorded in, or None.
        retention_days: how long recorded snapshots are kept.
        resource_path: whose volume the host disk metrics describe (the store's directory by default).
        checks: the checks, names unique.
        throttle: the ``[throttle]`` table as written (a health-gated migration's policy; it is validated
            by ``omnimemory_kit.migration.throttle``, which reads it), or None.
    """

    source: str = "<config>"
    store: str | None = None
    retention_days: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    resource_path: str | None = None
    rollup_retention: RollupRetentionSpec = Field(default_factory=RollupRetentionSpec)
    maintenance: tuple[MaintenanceSpec, ...] = ()
    webhooks: tuple[WebhookSpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    throttle: dict[str, Any] | None = None

    def alerter(self, store: Any = None, clock: Clock = SYSTEM_CLOCK) -> Alerter | None:
        """Return an ``Alerter`` over this file's webhooks (None without any), recording in ``store``."""
        if not self.webhooks:
            return None
        return Alerter(
            [spec.to_webhook() for spec in self.webhooks],
            store=store,
            maintenance=self.maintenance_schedule() if self.maintenance else None,
            clock=clock,
        )

    def maintenance_schedule(self) -> MaintenanceSchedule:
        """Return the maintenance windows as a schedule (``schedule(check, epoch seconds) -> bool``)."""
        return MaintenanceSchedule(spec.to_window() for spec in self.maintenance)

    def slos(self) -> dict[str, float]:
        """Return the SLO (a percentage) of each check that has one, by name."""
        return {spec.name: spec.slo for spec in self.checks if spec.slo is not None}

    def intervals(self) -> dict[str, float]:
        """Return each check's interval (seconds between runs under ``health serve``) by name.

        A push check runs every ``min(interval, 10)`` seconds: its interval is how often heartbeats come.
        """
        return {
            spec.name: min(spec.interval, 10.0) if isinstance(spec, PushSpec) else spec.interval
            for spec in self.checks
        }

    def push_tokens(self) -> dict[str, str]:
        """Return the token of each push check, by name."""
        return {spec.name: spec.token for spec in self.checks if isinstance(spec, PushSpec)}

    def registrations(
        self, clock: Clock = SYSTEM_CLOCK, store: Any = None
    ) -> list[tuple[HealthCheckConfig, BuiltinCheck]]:
        """Return a registration and a new check object per check (``aclose()`` the checks when done).

        Args:
            clock: the checks' clock.
            store: where push checks read heartbeats sent by other processes (None: only their own).
        """
        pairs = [(spec.health_check_config(), spec.build(clock)) for spec in self.checks]
        for _, check in pairs:
            if isinstance(check, PushCheck):
                check.store = store
        return pairs

    @contextlib.asynccontextmanager
    async def open_manager(
        self,
        *,
        history: HealthHistory | None = None,
        clock: Clock = SYSTEM_CLOCK,
        sample_resources: bool = True,
        sampler: Any = None,
        store: Any = None,
    ) -> AsyncIterator[HealthManager]:
        """Yield a ``HealthManager`` with every check registered; close the checks and the manager after.

        Args:
            history: where to record each response (see ``history_for``), or None.
            clock: the manager's and checks' clock.
            sample_resources: include host metrics in responses.
            sampler: where host metrics come from (see ``HealthManager``); the default sampler when None.
            store: where push checks read heartbeats from (the history's store, usually).
        """
        manager = HealthManager(
            clock=clock,
            resource_path=self.resource_path,
            history=history,
            sample_resources=sample_resources,
            sampler=sampler,
        )
        checks: list[BuiltinCheck] = []
        try:
            for config, check in self.registrations(
                clock, store if store is not None else getattr(history, "store", None)
            ):
                checks.append(check)
                manager.register_health_check(config, check)
            yield manager
        finally:
            for check in checks:
                with contextlib.suppress(Exception):
                    await check.aclose()
            manager.close()

    def history_for(self, store: Any, clock: Clock = SYSTEM_CLOCK) -> HealthHistory:
        """Return a ``HealthHistory`` over an open store with this file's retention and rollup retention."""
        return HealthHistory(
            store,
            retention=dt.timedelta(days=self.retention_days),
            clock=clock,
            rollup_retention=self.rollup_retention.to_retention(),
            maintenance=self.maintenance_schedule() if self.maintenance else None,
        )


_FILE_ADAPTER: TypeAdapter[HealthConfigFile] = TypeAdapter(HealthConfigFile)


def _describe(source: str, document: Mapping[str, Any], exc: ValidationError) -> str:
    checks = document.get("check")
    webhooks = document.get("webhook")
    problems: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = list(error["loc"])
        where = source
        if loc and loc[0] == "checks" and len(loc) >= 2 and isinstance(loc[1], int):
            index = loc[1]
            name = None
            if isinstance(checks, list) and index < len(checks) and isinstance(checks[index], Mapping):
                name = checks[index].get("name")
            label = f"check {name!r}" if isinstance(name, str) else f"check #{index + 1}"
            where = f"{source}: {label}"
            loc = loc[2:]
            if loc and loc[0] in CHECK_TYPES:
                loc = loc[1:]  # the union member pydantic tried, not a field
        if loc and loc[0] == "maintenance" and len(loc) >= 2 and isinstance(loc[1], int):
            where = f"{source}: maintenance #{loc[1] + 1}"
            loc = loc[2:]
        if loc and loc[0] == "webhooks" and len(loc) >= 2 and isinstance(loc[1], int):
            hook = webhooks[loc[1]] if isinstance(webhooks, list) and loc[1] < len(webhooks) else None
            hook_name = hook.get("name") if isinstance(hook, Mapping) else None
            where = (
                f"{source}: webhook {hook_name!r}"
                if isinstance(hook_name, str)
                else f"{source}: webhook #{loc[1] + 1}"
            )
            loc = loc[2:]
        field = ".".join(str(part) for part in loc)
        kind = error["type"]
        message = str(error["msg"]).removeprefix("Value error, ")
        if kind == "union_tag_invalid":
            tag = error.get("ctx", {}).get("tag")
            message = f"unknown check type {tag!r}; expected one of {', '.join(CHECK_TYPES)}"
            field = "type"
        elif kind == "union_tag_not_found":
            message = f"missing; expected one of {', '.join(CHECK_TYPES)}"
            field = "type"
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "extra_forbidden":
            message = "unknown field (check the spelling)"
        problems.append(f"{where}: {field}: {message}" if field else f"{where}: {message}")
    return "; ".join(problems)


def parse_health_config(document: Mapping[str, Any], source: str = "<config>") -> HealthConfigFile:
    """Validate a parsed TOML document (a dict) into a ``HealthConfigFile``.

    Raises:
        HealthConfigError: naming the source, the check and the field of every problem found.
    """
    data = dict(document)
    if "checks" in data or "source" in data:
        wrong = "checks" if "checks" in data else "source"
        raise HealthConfigError(f"{source}: {wrong}: unknown setting (write each check as a [[check]] table)")
    checks = data.pop("check", [])
    if not isinstance(checks, list):
        raise HealthConfigError(f"{source}: check: write each check as a [[check]] table")
    if "webhooks" in data:
        raise HealthConfigError(
            f"{source}: webhooks: unknown setting (write each webhook as a [[webhook]] table)"
        )
    webhooks = data.pop("webhook", [])
    if not isinstance(webhooks, list):
        raise HealthConfigError(f"{source}: webhook: write each webhook as a [[webhook]] table")
    data["webhooks"] = webhooks
    try:
        config = _FILE_ADAPTER.validate_python({**data, "checks": checks, "source": source})
    except ValidationError as exc:
        raise HealthConfigError(_describe(source, {"check": checks, "webhook": webhooks}, exc)) from None
    seen: set[str] = set()
    for spec in config.checks:
        if spec.name in seen:
            raise HealthConfigError(
                f"{source}: check {spec.name!r}: name: duplicate check name; each check needs its own"
            )
        seen.add(spec.name)
    for number, window in enumerate(config.maintenance, start=1):
        unknown = [name for name in window.checks or () if name not in seen]
        if unknown:
            raise HealthConfigError(f"{source}: maintenance #{number}: checks: no check named {unknown[0]!r}")
        try:
            window.to_window()
        except HealthConfigError as exc:
            raise HealthConfigError(f"{source}: maintenance #{number}: {exc}") from None
    try:
        config.maintenance_schedule()
    except HealthConfigError as exc:
        raise HealthConfigError(f"{source}: {exc}") from None
    hooks: set[str] = set()
    for hook in config.webhooks:
        if hook.name in hooks:
            raise HealthConfigError(f"{source}: webhook {hook.name!r}: name: duplicate webhook name")
        hooks.add(hook.name)
        unknown = [name for name in hook.checks if name not in seen]
        if unknown:
            raise HealthConfigError(f"{source}: webhook {hook.name!r}: checks: no check named {unknown[0]!r}")
    return config


def load_health_config(path: str | os.PathLike[str]) -> HealthConfigFile:
    """Read and validate a health config file (TOML).

    Raises:
        HealthConfigError: the file cannot be read, is not valid TOML, or has a wrong check or setting.
    """
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise HealthConfigError(f"{source}: cannot read the health config ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise HealthConfigError(f"{source}: the health config is not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HealthConfigError(f"{source}: not valid TOML: {exc}") from None
    return parse_health_config(document, source)
