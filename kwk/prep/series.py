"""Time series: rows ordered in time (per series), cut into look-back windows, split by time.

A forecasting example is ``window`` consecutive rows of one series (its inputs) and the target
``horizon`` rows after the window's last row. The split is chronological: the training period
comes first, then validation, then test, so the model is never trained on anything that happens
after the rows it is judged on. Preprocessing statistics come from the training period only.

The functions below are plain NumPy/pandas and are copied verbatim into the generated script
(``inspect.getsource``), so the app and the script window the data identically.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from kwk.errors import DataError


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


def series_order(df, time_col, group_col=None):
    """Row positions sorting ``df`` by series, then time (stable), and the sorted times. A row
    without a series gets no time (NaN), like a row whose time cannot be read."""
    t = time_values(df[time_col])
    keys = [t]
    if group_col is not None:
        labels = series_labels(df[group_col])
        t = np.where(labels.isna().to_numpy(), np.nan, t)
        keys = [t, labels.fillna("").to_numpy()]  # np.lexsort: the last key sorts first
    order = np.lexsort(keys)
    return order, t[order]


def chronological_roles(times, validation_fraction, test_fraction):
    """Per row: 0 (train), 1 (validation) or 2 (test) by time. The distinct times are cut
    into a first, a middle and a last period in the given proportions, so every series shares
    the same test period."""
    distinct = np.unique(times)
    n = len(distinct)
    n_test = max(1, int(round(n * test_fraction)))
    n_val = max(1, int(round(n * validation_fraction)))
    val_start = distinct[max(0, n - n_test - n_val)]
    test_start = distinct[max(0, n - n_test)]
    return np.where(times >= test_start, 2, np.where(times >= val_start, 1, 0))


def series_ids(df, group_col=None):
    """Which series each row belongs to (one series when there is no group column)."""
    if group_col is None:
        return np.zeros(len(df), dtype=int)
    return pd.factorize(series_labels(df[group_col]))[0]


def window_positions(group_ids, window, horizon):
    """For sorted rows: the first row of every complete window, and the row of its target
    ``horizon`` rows after the window's last row, both inside one series."""
    n = len(group_ids)
    starts = np.arange(max(0, n - window - horizon + 1))
    targets = starts + window - 1 + horizon
    same = group_ids[starts] == group_ids[np.minimum(targets, n - 1)]
    return starts[same], targets[same]


def make_windows(encoded, starts, window):
    """The inputs of each window laid out as one row: step 1's columns, then step 2's, ..."""
    steps = starts[:, None] + np.arange(window)[None, :]
    return encoded[steps].reshape(len(starts), window * encoded.shape[1])


def relative_to_last(windows, window, column=0):
    """Forecasting the change: the target's own past values (input ``column`` of every step)
    become differences from the window's last value, in the target's scaled units, so a level
    never seen in training still looks like a familiar pattern. Changes ``windows`` in place."""
    n_cols = windows.shape[1] // window
    last = windows[:, (window - 1) * n_cols + column].copy()
    windows[:, column::n_cols] -= last[:, None]
    return windows


def prediction_windows(group_ids, window):
    """For sorted rows: the first row of every complete window (no target needed), for
    forecasting beyond the data."""
    n = len(group_ids)
    starts = np.arange(max(0, n - window + 1))
    ends = starts + window - 1
    return starts[group_ids[starts] == group_ids[np.minimum(ends, n - 1)]]


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
