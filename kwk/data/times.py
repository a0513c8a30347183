"""Times and series as the data holds them: reading a time column (dates, timestamps or step
numbers), naming the series, and the words for the problems a series can have. One home for
these rules: the spec's checks (:mod:`kwk.spec.checks.series`) explain them before training and
the preparation (:mod:`kwk.prep.prepare`) meets them again on every row, with the same errors.

Plain NumPy/pandas; ``parse_dates``, ``time_values`` and ``series_labels`` are copied verbatim
into the generated script.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from kwk.errors import DataError

# What kwk.export.layers.DateParts (and the generated script) reads: a date, optionally a
# time (seconds and fractions optional), in UTC.
ISO_DATE = (r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d*)?)?)?"
            r"(Z| ?UTC|[+-]00:?00)?")


# Steps a year a regular decimal-year column may have (R's time() of a ts: 1949.0, 1949.0833…)
DECIMAL_YEAR_STEPS = {2: "half-years", 3: "thirds of a year", 4: "quarters",
                      6: "two-month steps", 12: "months"}
TIME_WORDS = ("time", "date", "year", "period", "month", "quarter")


def decimal_year_steps(s) -> int | None:
    """Steps a year of a column of decimal years — R's ``time()`` of a monthly series gives
    1949.0, 1949.0833, … (12 steps: months), of a quarterly one 1949.0, 1949.25, … — or None.
    The values must sit on that grid from whole years (to 2% of a step, so values written with
    4 decimals count), cover at least 90% of it between the first and last, lie between the
    years 1000 and 3000, and either rise with the rows or the column's name says it is a time
    (several series repeat their times): a price in quarters of a unit is not a date."""
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return None
    v = pd.to_numeric(s, errors="coerce").dropna().to_numpy(dtype=float)
    u = np.unique(v)
    if len(u) < 8 or u[0] < 1000 or u[-1] > 3000:
        return None
    gaps = np.diff(u)
    k = int(round(1 / float(np.median(gaps))))
    if k not in DECIMAL_YEAR_STEPS or np.all(u == np.floor(u)):
        return None
    steps = gaps * k
    frac = (u - np.floor(u + 1e-9)) * k
    if np.abs(steps - np.round(steps)).max() > 0.02 or np.abs(frac - np.round(frac)).max() > 0.02:
        return None
    if len(u) < 0.9 * ((u[-1] - u[0]) * k + 1):
        return None
    rising = bool(np.all(np.diff(v) > 0))
    named = any(w in str(getattr(s, "name", "") or "").lower() for w in TIME_WORDS)
    return k if rising or named else None


def parse_dates(s):
    """Dates and times of a column, read with one format for the whole column (UTC): the
    format inferred from the values (month first: 03/04/2024 is March 4), or day first when
    that reads more of them (16/04/2024), or value by value as a last resort (mixed
    formats). Unreadable values become NaT. Numbers are decimal years (R's time(): 1949.0833
    is February 1949): the year, then the month by twelfths (to 1/100 of a month, so values
    written with 4 decimals read right), the rest of the month as days."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        v = pd.to_numeric(s, errors="coerce").astype(float)
        ok = v.notna() & (v >= 1) & (v < 10000)
        v = v.where(ok, 2000.0)
        years = np.floor(v)
        months = np.round((v - years) * 12, 2)
        whole = np.minimum(np.floor(months), 11)
        start = pd.to_datetime(pd.DataFrame({"year": years.astype(int),
                                             "month": whole.astype(int) + 1, "day": 1}),
                               utc=True)
        days = start.dt.days_in_month.astype(float)
        out = start + pd.to_timedelta((months - whole) * days, unit="D")
        return out.where(ok)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if pd.api.types.is_datetime64_any_dtype(s):
            return pd.to_datetime(s, utc=True)
        best, n_best, n_all = None, -1, int(s.notna().sum())
        for kw in ({}, {"dayfirst": True}, {"format": "mixed"}):
            try:
                d = pd.to_datetime(s, errors="coerce", utc=True, **kw)
            except (ValueError, TypeError, OverflowError):
                continue
            n = int(d.notna().sum())
            if n > n_best:
                best, n_best = d, n
            if n_best == n_all:
                break  # every value read with one format: no need to guess further
    if best is None:
        best = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    return best


def time_axis(s):
    """How to draw a time column on a chart: its numbers (step numbers stay numbers, not
    nanoseconds after 1970; decimal years are drawn as their dates), else its dates, else its
    text as it is."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        if decimal_year_steps(s) is None:
            return s.to_numpy()  # step numbers
        return parse_dates(s).dt.tz_convert(None).to_numpy()  # decimal years: their dates
    d = parse_dates(s).dt.tz_convert(None)
    return d.to_numpy() if d.notna().mean() > 0.9 else s.to_numpy()


STEP_WORDS = (("minute", 60), ("hour", 3600), ("day", 86400), ("week", 7 * 86400),
              ("month", 30.44 * 86400), ("quarter", 91.31 * 86400), ("year", 365.25 * 86400))


def time_step(s) -> str | None:
    """The usual step between the times of a series, in words ("month", "day", "quarter" …),
    or None when the times are step numbers or irregular. Several series repeating their
    times count once (the step between distinct times)."""
    k = decimal_year_steps(s)
    if k:
        return {12: "month", 4: "quarter", 2: "half-year", 6: "two-month step",
                3: "four-month step"}.get(k)
    if pd.api.types.is_numeric_dtype(s):
        return None
    d = parse_dates(s).dropna().drop_duplicates().sort_values()
    if len(d) < 3:
        return None
    gap = float(np.median(np.diff((d - d.iloc[0]).dt.total_seconds().to_numpy())))
    for name, secs in STEP_WORDS:
        if abs(gap - secs) <= 0.08 * secs:
            return name
    return None


def in_steps(n: int, step: str | None) -> str:
    """``n`` steps in words: "24 months", "1 day"; rows when the step is unknown."""
    unit = step or "row"
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def time_values(s):
    """A column of times as sortable numbers: dates -> nanoseconds, numbers as they are.
    Values that are neither become NaN."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype(float).to_numpy()
    num = pd.to_numeric(s, errors="coerce")
    if num.notna().sum() == s.notna().sum() and s.notna().any():
        return num.astype(float).to_numpy()
    d = parse_dates(s)
    ns = (d - pd.Timestamp("1970-01-01", tz="UTC")) / pd.Timedelta(1, "ns")
    return ns.astype(float).to_numpy(copy=True)


def series_labels(s):
    """The series each row belongs to, as text without surrounding spaces ("Paris " and "Paris"
    are one series); a missing or blank value stays missing."""
    labels = s.astype(str).str.strip()
    return labels.where(s.notna() & (labels != ""))


def unreadable_times(seq: dict, seen: list, n_bad: int, n: int) -> DataError:
    """The error for a time column that holds no dates, times or numbers on most rows."""
    shown = ", ".join(f"'{str(v)[:30]}'" for v in seen[:3]) or "only missing values"
    return DataError(f"The time column '{seq['time']}' does not hold dates, times or numbers on "
                     f"most rows ({n_bad:,} of {n:,} unreadable: {shown}).",
                     "Choose the column that gives the order of the rows (a date, a timestamp "
                     "or a step number) as the time column.")


def duplicate_time(seq: dict, group, time) -> DataError:
    """The error for two rows of one series at the same time."""
    where = f" of series '{group}'" if seq["group"] else ""
    return DataError(f"Two rows{where} share the time {time!s} in '{seq['time']}': each series "
                     "needs one row per time.",
                     "Combine or remove the duplicate rows." if seq["group"] else
                     "Choose the column that tells the series apart as the series (group) "
                     "column, or combine the duplicate rows first.")


def empty_series(seq: dict) -> DataError:
    """The error for a series (group) column with no value on any row that counts."""
    return DataError(f"The series column '{seq['group']}' is empty on every row with a target "
                     "value.", "Choose the column that names each series, or no series column "
                     "for a single series.")
