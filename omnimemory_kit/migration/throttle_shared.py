"""One health evaluation per interval for a run shared by many workers: one evaluates, all obey.

Fifty workers each running the checks every interval would put fifty times the load on the very
dependencies the throttle protects. Instead, each interval:

- the *evaluator* is the live worker with the smallest id among the run's workers in the store (the same
  liveness rule as everywhere else: a live lease, or seen within one lease period); it runs the checks and
  records the snapshot in the store's health history, with its decision in the payload
  (``omnimemory:throttle``: run, worker, kind, reason, pace);
- every other worker reads the newest such record for its run, no older than two intervals, and obeys it;
  when there is none (the evaluator died or has not started yet) it evaluates and records itself, so a
  run is never left ungated.

``HealthConfigGate`` is the gate the CLI and the notebook use: a health config file's checks and rules,
shared this way once the runner binds it to its store, run and worker.

The record is an ordinary health snapshot (the IETF document plus one extension member), so the health
notebook and reports see the evaluations too.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

from omnimemory_kit.clock import SYSTEM_CLOCK, Clock
from omnimemory_kit.migration.throttle import (
    PROCEED,
    GateDecision,
    GateKind,
    HealthThrottle,
    policy_from_health_config,
    poll_decisions,
)
from omnimemory_kit.migration.worker_liveness import pid_alive
from omnimemory_kit.store.base import HealthCheckRow, HealthHistoryStore, HealthSnapshotRow, Store

__all__ = ["GATE_MEMBER", "HealthConfigGate", "SharedHealthThrottle"]

GATE_MEMBER = "omnimemory:throttle"
"""The payload member a recorded evaluation carries its decision in."""


class SharedHealthThrottle:
    """A ``ClaimGate`` that shares one ``HealthThrottle`` evaluation per interval among a run's workers.

    Args:
        inner: the gate that evaluates (its policy's ``check_interval`` is the sharing interval).
        store: the run's store (health history and worker records).
        run_id: the run.
        worker_id: this worker's id in the store.
        lease_seconds: how long a silent worker still counts as alive.

    Attributes:
        evaluated: intervals in which this worker ran the checks itself.
        followed: intervals in which it obeyed another worker's evaluation.
    """

    def __init__(
        self,
        inner: HealthThrottle,
        store: Store,
        run_id: str,
        worker_id: str,
        *,
        lease_seconds: float = 60.0,
    ) -> None:
        self.inner = inner
        self.store = store
        self.run_id = run_id
        self.worker_id = worker_id
        self.lease_seconds = lease_seconds
        self.host = socket.gethostname()
        self.decision = inner.decision
        self.evaluated = 0
        self.followed = 0

    async def watch(self, changed: Callable[[GateDecision], None]) -> None:
        """Decide every ``check_interval`` (evaluating or following); call ``changed`` on each change."""
        inner = self.inner
        await poll_decisions(
            self, self.decide, changed, clock=inner.clock, interval=inner.policy.check_interval
        )

    async def decide(self) -> GateDecision:
        """Return this interval's decision: the evaluator's, or one's own when evaluating."""
        evaluator, others = await asyncio.to_thread(self._roles)
        if not evaluator:
            published = await asyncio.to_thread(self._published)
            if published is not None:
                self.followed += 1
                return published
        self.evaluated += 1
        decision = await self.inner.evaluate()
        response = getattr(self.inner.manager, "last_response", None)
        if response is not None and others:  # alone, nobody needs the record
            await asyncio.to_thread(self._publish, decision, response)
        return decision

    def _roles(self) -> tuple[bool, bool]:
        """Return whether this worker evaluates (smallest id among the live ones), and whether others live."""
        workers = self.store.workers(self.run_id)
        mine = next((w for w in workers if w.worker_id == self.worker_id), None)
        if mine is None:
            return True, len(workers) > 0
        horizon = mine.last_seen - self.lease_seconds
        live = [
            w.worker_id
            for w in workers
            if (w.leases > 0 or w.last_seen >= horizon) and not (w.host == self.host and not pid_alive(w.pid))
        ]
        others = any(worker != self.worker_id for worker in live)
        return min(live, default=self.worker_id) >= self.worker_id, others

    def _published(self) -> GateDecision | None:
        """Return the newest decision recorded for this run within two intervals, or None."""
        since = self.inner.clock.time() - 2 * self.inner.policy.check_interval
        newest: tuple[float, dict[str, Any]] | None = None
        for snapshot, _check in self.store.health_history(since=since):
            if newest is not None and snapshot.taken_at <= newest[0]:
                continue
            try:
                member = json.loads(snapshot.payload_json).get(GATE_MEMBER)
            except (ValueError, AttributeError):
                continue
            if isinstance(member, dict) and member.get("run_id") == self.run_id:
                newest = (snapshot.taken_at, member)
        if newest is None:
            return None
        member = newest[1]
        return GateDecision(
            GateKind(member["kind"]),
            member.get("reason"),
            member.get("concurrency"),
            member.get("delay"),
            member.get("snapshot"),
        )

    def _publish(self, decision: GateDecision, response: Any) -> None:
        """Record the evaluated snapshot with the decision in its payload."""
        document = response.to_ietf()
        document[GATE_MEMBER] = {
            "run_id": self.run_id,
            "worker_id": self.worker_id,
            "kind": decision.kind.value,
            "reason": decision.reason,
            "concurrency": decision.concurrency,
            "delay": decision.delay,
            "snapshot": decision.snapshot,
        }
        checks = tuple(
            HealthCheckRow(
                name=dep.name,
                status=str(dep.status),
                critical=dep.critical,
                latency_ms=dep.latency_ms,
                error=str(dep.error) if dep.error is not None else None,
                observed_value=dep.observed_value,
                observed_unit=dep.observed_unit,
                breaker_state=dep.breaker_state,
            )
            for dep in response.dependencies.values()
        )
        self.store.record_health(
            HealthSnapshotRow(
                taken_at=self.inner.clock.time(),
                status=str(response.status),
                checks=checks,
                payload_json=json.dumps(document, allow_nan=False),
            )
        )

    def __repr__(self) -> str:
        return (
            f"<SharedHealthThrottle {self.decision.kind.value} run={self.run_id!r} "
            f"evaluated={self.evaluated} followed={self.followed}>"
        )


class HealthConfigGate:
    """A ``ClaimGate`` over a loaded health config file: its checks are open for as long as the run watches.

    The rules are checked when the gate is made (a wrong rule raises before anything runs); the checks'
    connections are opened when the runner starts watching and closed when it stops, so the gate can be
    handed to a runner that is started later (a notebook's Start button, a CLI command).

    Args:
        config: a ``HealthConfigFile`` with a ``[throttle]`` table.
        clock: the checks', interval's and hysteresis' clock.
        sampler: where host metrics come from (see ``HealthManager``); the default sampler when None.

    Raises:
        HealthConfigError: no ``[throttle]`` table, or a rule is wrong.
    """

    def __init__(self, config: Any, *, clock: Clock = SYSTEM_CLOCK, sampler: Any = None) -> None:
        self.policy = policy_from_health_config(config)
        self.config = config
        self.clock = clock
        self.sampler = sampler
        self.gate: HealthThrottle | None = None
        self.shared: Any = None
        self._binding: tuple[Any, str, str, float] | None = None

    def bind(self, store: Any, run_id: str, worker_id: str, lease_seconds: float) -> None:
        """Share one evaluation per interval with the run's other workers (the runner calls this).

        A store without a health history (a bare ``JournalStore``) cannot carry the evaluation: each
        worker then evaluates for itself.
        """
        if isinstance(store, HealthHistoryStore):
            self._binding = (store, run_id, worker_id, lease_seconds)

    @property
    def decision(self) -> GateDecision:
        """Return the last decision (proceed before the first evaluation)."""
        if self.shared is not None:
            decision: GateDecision = self.shared.decision
            return decision
        return PROCEED if self.gate is None else self.gate.decision

    async def watch(self, changed: Callable[[GateDecision], None]) -> None:
        """Open the file's checks and evaluate them every ``check_interval`` until cancelled."""
        async with self.config.open_manager(clock=self.clock, sampler=self.sampler) as manager:
            self.gate = HealthThrottle(self.policy, manager, clock=self.clock)
            if self._binding is None:
                await self.gate.watch(changed)
                return
            store, run_id, worker_id, lease_seconds = self._binding
            self.shared = SharedHealthThrottle(
                self.gate, store, run_id, worker_id, lease_seconds=lease_seconds
            )
            await self.shared.watch(changed)

    def __repr__(self) -> str:
        return f"<HealthConfigGate {self.config.source!r} {self.decision.kind.value}>"
