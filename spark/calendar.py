"""The retail calendar shared by features and dim_date: weekends and the holidays demand reacts to.

Pure Python (no Spark): a fixed-date list plus the floating US retail holidays, so it needs no download.
"""

from __future__ import annotations

from datetime import date, timedelta

FIXED = {
    (1, 1): "New Year's Day",
    (2, 14): "Valentine's Day",
    (7, 4): "Independence Day",
    (10, 31): "Halloween",
    (12, 24): "Christmas Eve",
    (12, 25): "Christmas Day",
    (12, 31): "New Year's Eve",
}


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def holidays(year: int) -> dict[date, str]:
    """Every holiday of `year` with its name."""
    days = {date(year, m, d): name for (m, d), name in FIXED.items()}
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    days.update(
        {
            _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
            _nth_weekday(year, 2, 0, 3): "Presidents' Day",
            _last_weekday(year, 5, 0): "Memorial Day",
            _nth_weekday(year, 9, 0, 1): "Labor Day",
            thanksgiving: "Thanksgiving",
            thanksgiving + timedelta(days=1): "Black Friday",
        }
    )
    return days


def holiday_name(day: date) -> str:
    """The holiday on `day`, or '' on an ordinary day."""
    return holidays(day.year).get(day, "")


def day_range(first: date, last: date) -> list[date]:
    """Every day from first to last inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]
