"""Demand multipliers by date: day of week, season of the year, holidays (some with the shops closed)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

# Monday .. Sunday: Friday and Saturday are the big shopping days, Sunday trades shorter.
WEEKDAY = np.array([0.86, 0.84, 0.9, 0.96, 1.16, 1.32, 0.78])
CLOSED = {(12, 25), (1, 1)}
UPLIFT = {(12, 24): 1.7, (12, 23): 1.45, (12, 22): 1.3, (12, 31): 1.4, (2, 14): 1.1}


def holiday_factor(day: date) -> float:
    """0 when the shops are shut, >1 on the days people stock up, 1 otherwise."""
    if (day.month, day.day) in CLOSED:
        return 0.0
    if day == black_friday(day.year):
        return 1.5
    if day == late_summer_bank_holiday(day.year):
        return 1.2
    return UPLIFT.get((day.month, day.day), 1.0)


def black_friday(year: int) -> date:
    """The fourth Friday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 21)


def late_summer_bank_holiday(year: int) -> date:
    """The last Monday of August."""
    last = date(year, 8, 31)
    return last - timedelta(days=last.weekday())


def seasonal_factor(day: date, peak_day: np.ndarray, amplitude: np.ndarray) -> np.ndarray:
    """Per product: a yearly cosine around its category's peak day."""
    day_of_year = day.timetuple().tm_yday
    return 1.0 + amplitude * np.cos(2 * np.pi * (day_of_year - peak_day) / 365.25)


def day_factor(day: date) -> float:
    """Weekday and holiday multipliers for the whole store."""
    return float(WEEKDAY[day.weekday()] * holiday_factor(day))
