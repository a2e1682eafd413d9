"""Health aggregation: register checks, run them at once under timeouts and breakers, roll up, record.

The public names are re-exported from ``omnimemory_kit``; see ``models`` for the vocabulary and
``manager`` for ``HealthManager`` and the shared ``health_manager``.
"""

from omnimemory_kit.health.models import CheckResult as CheckResult
from omnimemory_kit.health.models import ComponentType as ComponentType
from omnimemory_kit.health.models import DependencyHealth as DependencyHealth
from omnimemory_kit.health.models import DependencyType as DependencyType
from omnimemory_kit.health.models import ErrorInfo as ErrorInfo
from omnimemory_kit.health.models import HealthCheckConfig as HealthCheckConfig
from omnimemory_kit.health.models import HealthResponse as HealthResponse
from omnimemory_kit.health.models import HealthStatus as HealthStatus
from omnimemory_kit.health.models import ResourceMetrics as ResourceMetrics
from omnimemory_kit.health.rollup import roll_up as roll_up

__all__ = [
    "CheckResult",
    "ComponentType",
    "DependencyHealth",
    "DependencyType",
    "ErrorInfo",
    "HealthCheckConfig",
    "HealthResponse",
    "HealthStatus",
    "ResourceMetrics",
    "roll_up",
]
