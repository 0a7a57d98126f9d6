from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Point:
    """One accepted data point: a device's metric at a moment."""

    device_id: int
    metric: str
    ts: datetime
    value: float
