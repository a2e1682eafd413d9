"""Health aggregation: register checks, run them at once under timeouts and breakers, roll up, record.

The public names are re-exported from ``omnimemory_kit``; see ``models`` for the vocabulary and
``manager`` for ``HealthManager`` and the shared ``health_manager``.
"""

from omnimemory_kit.health.conditions import Condition as Condition
from omnimemory_kit.health.conditions import parse_condition as parse_condition
from omnimemory_kit.health.damping import FlapDamper as FlapDamper
from omnimemory_kit.health.history import HealthHistory as HealthHistory
from omnimemory_kit.health.manager import CheckFunction as CheckFunction
from omnimemory_kit.health.manager import CheckOutcome as CheckOutcome
from omnimemory_kit.health.manager import HealthManager as HealthManager
from omnimemory_kit.health.manager import health_manager as health_manager
from omnimemory_kit.health.models import CheckResult as CheckResult
from omnimemory_kit.health.models import DependencyHealth as DependencyHealth
from omnimemory_kit.health.models import ErrorInfo as ErrorInfo
from omnimemory_kit.health.models import HealthCheckConfig as HealthCheckConfig
from omnimemory_kit.health.models import HealthResponse as HealthResponse
from omnimemory_kit.health.models import ResourceMetrics as ResourceMetrics
from omnimemory_kit.health.resources import ResourceSampler as ResourceSampler
from omnimemory_kit.health.rollup import roll_up as roll_up
from omnimemory_kit.health.status import ComponentType as ComponentType
from omnimemory_kit.health.status import DependencyType as DependencyType
from omnimemory_kit.health.status import HealthStatus as HealthStatus

__all__ = [
    "CheckFunction",
    "CheckOutcome",
    "CheckResult",
    "ComponentType",
    "Condition",
    "DependencyHealth",
    "DependencyType",
    "ErrorInfo",
    "FlapDamper",
    "HealthCheckConfig",
    "HealthHistory",
    "HealthManager",
    "HealthResponse",
    "HealthStatus",
    "ResourceMetrics",
    "ResourceSampler",
    "health_manager",
    "parse_condition",
    "roll_up",
]
