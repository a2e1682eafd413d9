"""What ``migrate`` and ``worker`` share: errors to exit codes, the progress bar, Ctrl-C, the summary,
and the observability options (``--metrics-port``, ``--metrics-host``, ``--trace-items``, ``--trace-sample``).

Both commands run a ``MigrationRunner`` in a terminal the same way: bad input ends in one line on stderr and
the exit code its kind maps to (``omnimemory_kit.cli.exit_codes``), a rich progress bar follows the runner's
summaries, the first Ctrl-C (or SIGTERM) asks the runner to stop cleanly and the second cancels it, and the
final summary is printed as a few plain lines. The commands import this module, never each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from omnimemory_kit.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from omnimemory_kit.cli.option_checks import check_seconds
from omnimemory_kit.cli.summary_view import eta_text
from omnimemory_kit.errors import ConfigError
from omnimemory_kit.events import MigrationStatus
from omnimemory_kit.migration.hooks import Hooks, hook_environment
from omnimemory_kit.migration.loader import load_function
from omnimemory_kit.migration.metrics_server import DEFAULT_METRICS_HOST, MetricsServer
from omnimemory_kit.migration.runner import MigrationRunner
from omnimemory_kit.migration.summary import MigrationProgressSummary
from omnimemory_kit.migration.throttle import policy_from_health_config
from omnimemory_kit.migration.throttle_shared import HealthConfigGate

__all__ = [
    "HEALTH_CONFIG_HELP",
    "ControlSetup",
    "Observability",
    "ProgressBar",
    "apply_health_gate",
    "check_outage_timeout",
    "control_options",
    "control_setup",
    "load_throttle",
    "observability_options",
    "outcome_code",
    "run_interruptibly",
    "run_with_hooks",
]

if TYPE_CHECKING:
    from omnimemory_kit.migration.metrics import RunMetrics

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def check_outage_timeout(seconds: float) -> None:
    """Refuse an ``--outage-timeout`` that is negative or not a finite number of seconds."""
    if not 0 <= seconds < float("inf"):
        raise ConfigError(f"--outage-timeout must be a number of seconds of at least 0, not {seconds}")


def outcome_code(summary: MigrationProgressSummary, runner: MigrationRunner) -> int:
    """Return a finished run's exit code: 1 panicked, 130 cancelled, 1 with failed items, else 0."""
    if runner.panicked:
        return EXIT_FAILED
    # The runner's own status: on a shared run, one worker stopping leaves the run itself running.
    if runner.status is MigrationStatus.CANCELLED or summary.status is MigrationStatus.CANCELLED:
        return EXIT_INTERRUPTED
    if summary.failed_files or summary.status is MigrationStatus.FAILED:
        return EXIT_FAILED
    return EXIT_OK


class ProgressBar:
    """A rich progress bar fed by the runner's ``on_progress`` summaries (rate, ETA and its 80 % interval)."""

    def __init__(self, console: Console, description: str) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[eta]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,  # a bar in a log file is noise: the summary follows anyway
        )
        self.task: TaskID = self.progress.add_task(description, total=None, rate="", eta="")

    def update(self, summary: MigrationProgressSummary) -> None:
        rates = summary.processing_rates
        self.progress.update(
            self.task,
            total=summary.total_files,
            completed=summary.finished_files,
            rate=f"{rates.files_per_second_recent:.1f} items/s",
            eta=eta_text(summary) + validation_text(summary),
        )


def validation_text(summary: MigrationProgressSummary) -> str:
    """Return the progress bar's validation counts (empty for a run not validated)."""
    counts = summary.validation
    if counts is None:
        return ""
    problems = f", {counts.mismatched} mismatched" if counts.mismatched else ""
    problems += f", {counts.error} error" if counts.error else ""
    return f"  validated {counts.validated}/{counts.items}{problems}"


def run_interruptibly(make: Callable[[], Coroutine[Any, Any, T]], on_interrupt: Callable[[], None]) -> T:
    """Run a coroutine; the first Ctrl-C (or SIGTERM) calls ``on_interrupt``, the second cancels it."""

    async def main() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        interrupts = 0

        def handle() -> None:
            nonlocal interrupts
            interrupts += 1
            if interrupts == 1:
                click.echo("interrupted: finishing in-flight items (Ctrl-C again to stop now)", err=True)
                on_interrupt()
            else:
                task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, handle)
        return await make()

    return asyncio.run(main())


def observability_options(command: F) -> F:
    """Add the metrics endpoint and item tracing options to a command (``Observability.from_options``)."""
    options = [
        click.option(
            "--metrics-port",
            type=int,
            default=None,
            help="Serve Prometheus metrics at http://HOST:PORT/metrics while the run goes on.",
        ),
        click.option(
            "--metrics-host",
            default=DEFAULT_METRICS_HOST,
            show_default=True,
            help="Address the metrics endpoint listens on (wider than 127.0.0.1 only when you mean it).",
        ),
        click.option(
            "--trace-items",
            is_flag=True,
            help="A span per item (needs an OpenTelemetry SDK, e.g. under opentelemetry-instrument).",
        ),
        click.option(
            "--trace-sample",
            type=float,
            default=None,
            help="A span for this share of items (0 to 1), e.g. 0.01; implies --trace-items.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


# --- control: finalize gate, flag files, hooks (shared by migrate and worker) ---------------------------

_CONTROL_OPTIONS = (
    click.option("--finalize", "finalize_spec", default=None,
                 help="module:fn or file.py:fn run once after every item is done (the cut-over)."),
    click.option("--postpone-finalize", "postpone", default=None, metavar="GATE",
                 help="Hold --finalize until `control RUN approve GATE --by NAME`."),
    click.option("--throttle-file", default=None, help="No new items start while this file exists."),
    click.option("--panic-file", default=None, help="Stop claiming when this file appears; exit 1."),
    click.option("--on-status", default=None, help="Command run every --status-interval seconds."),
    click.option("--on-success", default=None, help="Command run when the run completes."),
    click.option("--on-failure", default=None, help="Command run when the run fails or is stopped."),
    click.option("--on-throttle", default=None, help="Command run when a throttle begins."),
    click.option("--status-interval", type=float, default=60.0, show_default=True,
                 help="Seconds between --on-status."),
    click.option("--hook-timeout", type=float, default=10.0, show_default=True,
                 help="Seconds a hook may take."),
)  # fmt: skip


def control_options(command: F) -> F:
    """Add the finalize gate, flag file and hook options to a command (they arrive as keyword arguments)."""
    for option in reversed(_CONTROL_OPTIONS):
        command = option(command)
    return command


class Observability:
    """The observability a command asked for: item tracing, and a metrics endpoint while it is open.

    Raises:
        ConfigError: the sampling ratio is invalid, or the metrics port cannot be listened on.
    """

    def __init__(
        self, metrics_port: int | None, metrics_host: str, trace_items: bool, trace_sample: float | None
    ) -> None:
        from omnimemory_kit.migration.telemetry import item_ratio, sdk_configured

        ratio = item_ratio(trace_sample, "--trace-sample") if trace_sample is not None else float(trace_items)
        if ratio and not sdk_configured():
            click.echo(
                "warning: --trace-items/--trace-sample: no OpenTelemetry SDK is configured (run under "
                "opentelemetry-instrument); no item spans are recorded",
                err=True,
            )
            ratio = 0.0
        self.trace_items: float = ratio
        self.metrics: RunMetrics | None = None
        self.server: MetricsServer | None = None
        if metrics_port is not None:
            from omnimemory_kit.migration.metrics import RunMetrics

            self.metrics = RunMetrics()
            self.server = MetricsServer(
                self.metrics.registry, metrics_port, metrics_host, field="--metrics-port"
            )
            click.echo(f"metrics: {self.server.url}", err=True)

    @staticmethod
    def check(trace_sample: float | None) -> None:
        """Refuse an invalid sampling ratio before anything is opened (``ConfigError``)."""
        from omnimemory_kit.migration.telemetry import item_ratio

        if trace_sample is not None:
            item_ratio(trace_sample, "--trace-sample")

    def runner_options(self) -> dict[str, Any]:
        """Return the runner keyword arguments these options stand for."""
        return {"trace_items": self.trace_items, "metrics": self.metrics}

    def close(self) -> None:
        """Stop the metrics endpoint, if one was started."""
        if self.server is not None:
            self.server.close()


@dataclass(frozen=True)
class ControlSetup:
    """What the control options ask of a runner (its keyword arguments) and of the command (hooks)."""

    runner_kwargs: dict[str, Any] = field(default_factory=dict)
    hooks: Hooks = field(default_factory=Hooks)


def control_setup(options: dict[str, Any]) -> ControlSetup:
    """Validate the control options and turn them into runner arguments and hooks.

    Raises:
        ConfigError: --postpone-finalize without --finalize, a finalize that cannot be loaded, a hook
            command that does not exist, a --status-interval or --hook-timeout that is not a positive,
            finite number of seconds.
    """
    check_seconds("--status-interval", options.get("status_interval"))
    check_seconds("--hook-timeout", options.get("hook_timeout"))
    hooks = Hooks(
        on_status=options.get("on_status"),
        on_success=options.get("on_success"),
        on_failure=options.get("on_failure"),
        on_throttle=options.get("on_throttle"),
        status_interval=options.get("status_interval", 60.0),
        timeout=options.get("hook_timeout", 10.0),
    )
    hooks.check()
    spec, gate = options.get("finalize_spec"), options.get("postpone")
    if gate is not None and spec is None:
        raise ConfigError("--postpone-finalize needs --finalize (the step it holds)")
    if gate is not None and not str(gate).strip():
        raise ConfigError("--postpone-finalize needs a gate name")
    kwargs: dict[str, Any] = {
        "throttle_file": options.get("throttle_file"),
        "panic_file": options.get("panic_file"),
    }
    if spec is not None:
        kwargs["finalize"] = load_function(spec)
        kwargs["approve_before_finalize"] = gate
    return ControlSetup(kwargs, hooks)


def run_with_hooks(
    runner: MigrationRunner, hooks: Hooks
) -> Callable[[], Coroutine[Any, Any, MigrationProgressSummary]]:
    """Return a coroutine maker running the runner with its hooks beside it (for ``run_interruptibly``)."""

    def throttle_reason() -> str | None:  # health rules, an operator, or both (the summary names each)
        return runner.summary().throttle_reason

    async def go() -> MigrationProgressSummary:
        follower = asyncio.create_task(hooks.follow(runner.summary, throttle_reason))
        try:
            summary = await runner.run()
        except BaseException:
            await hooks.run(hooks.on_failure, hook_environment(runner.summary()))
            raise
        finally:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)
        ok = summary.status is MigrationStatus.COMPLETED and not runner.panicked and not summary.failed_files
        await hooks.run(hooks.on_success if ok else hooks.on_failure, hook_environment(summary))
        return summary

    return go


HEALTH_CONFIG_HELP = (
    "Gate the run on health: a health config file (TOML) with a [throttle] table; claiming stops while its "
    "rules say so, and an abort rule fails the run."
)


def load_throttle(path: str | None) -> Any:
    """Load and check a ``--health-config`` file (its ``[throttle]`` rules included) before anything runs.

    Returns:
        The loaded ``HealthConfigFile``, or None without a path.

    Raises:
        HealthConfigError: the file or a rule is wrong (exit 2).
    """
    if path is None:
        return None
    from omnimemory_kit.health.config import load_health_config

    config = load_health_config(path)
    policy_from_health_config(config)
    return config


def apply_health_gate(runner: MigrationRunner, health_config: Any) -> None:
    """Gate ``runner`` on the file's health checks and ``[throttle]`` rules, when a file was given."""
    if health_config is not None:
        runner.throttle = HealthConfigGate(health_config)
