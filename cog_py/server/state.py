"""The server's health states: what /health-check, /readyz, /livez and the metrics report.

    STARTING --setup ok--> READY <--> BUSY (every slot taken; derived, never stored)
    STARTING --setup failed or timed out--> SETUP_FAILED
    any --worker died too often in the crash window--> DEFUNCT
    UNKNOWN: no predictor configured; UNHEALTHY: READY but the user's healthcheck failed (reported only)

String-valued, so JSON bodies and metric labels are the same bytes as plain strings.
"""

from __future__ import annotations

import enum


class Health(str, enum.Enum):
    STARTING = "STARTING"
    READY = "READY"
    BUSY = "BUSY"
    SETUP_FAILED = "SETUP_FAILED"
    DEFUNCT = "DEFUNCT"
    UNKNOWN = "UNKNOWN"
    UNHEALTHY = "UNHEALTHY"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)


# The states the metrics gauge reports, in this order.
REPORTED = (Health.STARTING, Health.READY, Health.BUSY, Health.SETUP_FAILED, Health.DEFUNCT)
