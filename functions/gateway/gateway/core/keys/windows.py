"""The UTC windows that limits and usage are counted in, all read from one clock reading.

Windows are part of each counter's key (minute `29467830`, month `2026-12`, day `2026-12-03`),
so a new minute or month starts from zero by itself: no job resets anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], float]
"""Returns the time as Unix seconds; `time.time` outside tests."""

MAX_REPORT_DAYS = 366
"""The longest span of days one usage query may cover."""


@dataclass(frozen=True)
class Windows:
    """The windows containing `now` (Unix seconds)."""

    now: float
    minute: int
    """Minutes since the Unix epoch: `floor(now / 60)`."""
    minute_reset: int
    """The Unix second the next minute starts."""
    month: str
    """`YYYY-MM` (UTC)."""
    month_reset: int
    """The Unix second of 00:00 UTC on the first of the next month."""
    day: str
    """`YYYY-MM-DD` (UTC)."""

    @classmethod
    def at(cls, now: float) -> Windows:
        moment = datetime.fromtimestamp(now, UTC)
        first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        following = (first + timedelta(days=32)).replace(day=1)
        minute = int(now // 60)
        return cls(
            now=now,
            minute=minute,
            minute_reset=(minute + 1) * 60,
            month=moment.strftime("%Y-%m"),
            month_reset=int(following.timestamp()),
            day=moment.strftime("%Y-%m-%d"),
        )


def report_days(start: date, end: date) -> list[str]:
    """Every UTC day from `start` to `end`, both included, as `YYYY-MM-DD`.

    Raises ValueError when `end` is before `start` or the span is over MAX_REPORT_DAYS.
    """
    span = (end - start).days + 1
    if span < 1:
        raise ValueError("end is before start")
    if span > MAX_REPORT_DAYS:
        raise ValueError(f"the span is over {MAX_REPORT_DAYS} days")
    return [(start + timedelta(days=offset)).isoformat() for offset in range(span)]
