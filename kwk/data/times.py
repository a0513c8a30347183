"""Times and series as the data holds them: reading a time column (dates, timestamps or step
numbers), naming the series, and the words for the problems a series can have. One home for
these rules: the spec's checks (:mod:`kwk.spec.checks.series`) explain them before training and
the preparation (:mod:`kwk.prep.prepare`) meets them again on every row, with the same errors.

Plain NumPy/pandas; ``parse_dates``, ``time_values`` and ``series_labels`` are copied verbatim
into the generated script.
"""
from __future__ import annotations

import warnings

import pandas as pd

from kwk.errors import DataError

# What kwk.export.layers.DateParts (and the generated script) reads: a date, optionally a
# time (seconds and fractions optional), in UTC.
ISO_DATE = (r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d*)?)?)?"
            r"(Z| ?UTC|[+-]00:?00)?")


def parse_dates(s):
    """Dates and times of a column, read with one format for the whole column (UTC): the
    format inferred from the values (month first: 03/04/2024 is March 4), or day first when
    that reads more of them (16/04/2024), or value by value as a last resort (mixed
    formats). Unreadable values become NaT."""
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
    nanoseconds after 1970), else its dates, else its text as it is."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.to_numpy()
    d = parse_dates(s).dt.tz_convert(None)
    return d.to_numpy() if d.notna().mean() > 0.9 else s.to_numpy()


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
