"""Observations: what this nara saw of others (first-seen, restart, status-change events) and the
Trinity derived from them on top of a checkpoint baseline. Entry point: ``ObservationBook``."""

from nara.core.observations.book import (
    ObservationBook,
    UptimePeriod,
    derive,
    trimmed_mean,
    uptime_periods,
)

__all__ = ["ObservationBook", "UptimePeriod", "derive", "trimmed_mean", "uptime_periods"]
