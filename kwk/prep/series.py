"""Time series: rows ordered in time (per series), cut into look-back windows, split by time.

A forecasting example is ``window`` consecutive rows of one series (its inputs) and the target
``horizon`` rows after the window's last row. The split is chronological: the training period
comes first, then validation, then test, so the model is never trained on anything that happens
after the rows it is judged on. Preprocessing statistics come from the training period only.

The functions below are plain NumPy/pandas and are copied verbatim into the generated script
(``inspect.getsource``), so the app and the script window the data identically.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from kwk.data.times import (  # noqa: F401  (read here too; copied into scripts from here)
    ISO_DATE, duplicate_time, empty_series, parse_dates, series_labels, time_axis, time_values,
    unreadable_times)


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
