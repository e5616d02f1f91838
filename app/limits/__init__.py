"""Rate limits and budgets: shared counters in process memory or in Redis.

``CounterStore`` is the interface; ``MemoryCounterStore`` serves one process (the embedded
default) and ``RedisCounterStore`` serves N instances. Periods come from ``parse_duration``.
"""

from app.limits.counters import (
    Admission,
    AdmissionResult,
    CounterStore,
    LimitLevel,
    Reason,
    Reservation,
)
from app.limits.memory import MemoryCounterStore
from app.limits.periods import BudgetPeriod, parse_duration, period_end
from app.limits.redis_store import RedisCounterStore

__all__ = [
    "Admission",
    "AdmissionResult",
    "BudgetPeriod",
    "CounterStore",
    "LimitLevel",
    "MemoryCounterStore",
    "Reason",
    "RedisCounterStore",
    "Reservation",
    "parse_duration",
    "period_end",
]
