"""Rules for time series (data.sequence): the time and series (group) columns, a split by time,
a number to forecast, enough rows per series, and readable, distinct times per series."""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kwk.data.numbers import to_number
from kwk.data.times import (duplicate_time, empty_series, series_labels, time_values,
                            unreadable_times)
from kwk.spec.checks.base import Context, Problem, check

ROLES = ("time", "group")
MAX_ROWS_CHECKED = 200_000  # duplicate times are looked for up to this many rows


# ------------------------------------------------------------------ settings

@check("settings", "series")
def sequence_columns_in_data(ctx: Context) -> Iterator[Problem]:
    """The time column and the series (group) column, when set, must be in the data."""
    for role in ROLES:
        c = ctx.seq[role]
        if c is not None and c not in ctx.cols:
            yield Problem(f"The {role} column '{c}' (data.sequence.{role}) is not in the data.",
                          f"Choose one of: {', '.join(ctx.cols[:30])}.")


@check("settings", "series")
def sequence_columns_not_target(ctx: Context) -> Iterator[Problem]:
    """Neither the time column nor the series column can be the target."""
    for role in ROLES:
        if ctx.seq[role] is not None and ctx.seq[role] == ctx.target:
            yield Problem(f"The target '{ctx.target}' cannot also be the {role} column.",
                          f"Choose another column for data.sequence.{role}.")


@check("settings", "series")
def group_differs_from_time(ctx: Context) -> Iterator[Problem]:
    """The series (group) column cannot be the time column."""
    if ctx.seq["group"] is not None and ctx.seq["group"] == ctx.seq["time"]:
        yield Problem("The time column and the series (group) column are the same.",
                      "Leave the group empty for a single series.")


@check("settings", "series")
def split_by_time(ctx: Context) -> Iterator[Problem]:
    """A series is validated on its latest rows: training.validation must be 'holdout'."""
    if ctx.validation != "holdout":
        yield Problem(f"Time series are split by time, so training.validation must be "
                      f"'holdout' (not '{ctx.validation}'): k-fold or a split column would "
                      "train on rows that come after the ones tested.",
                      "Set training.validation to 'holdout'.")


@check("settings", "series")
def forecast_task_is_regression(ctx: Context) -> Iterator[Problem]:
    """Forecasting predicts a number: data.task must be 'auto' or 'regression'."""
    task = ctx.data["task"]
    if task not in ("auto", "regression"):
        yield Problem(f"Time-series forecasting predicts a number; data.task is '{task}'.",
                      "Set data.task to 'regression' or 'auto'.")


# ------------------------------------------------------------------ length

def series_sizes(ctx: Context) -> pd.Series:
    """Rows per series among the rows with a target value, as training counts them (series
    with no value in the group column left out)."""
    def sizes():
        rows = ctx.df.loc[ctx.df[ctx.target].notna(), ctx.seq["group"]]
        return series_labels(rows).value_counts()
    return ctx.memo("series_sizes", sizes)


@check("length", "series")
def series_column_not_empty(ctx: Context) -> Iterator[Problem]:
    """The series (group) column must name at least one series."""
    if ctx.seq["group"] and series_sizes(ctx).empty:
        yield Problem.of(empty_series(ctx.seq))


@check("length", "series")
def series_long_enough(ctx: Context) -> Iterator[Problem]:
    """The longest series must hold several windows: window + horizon + 2 rows at least."""
    seq = ctx.seq
    if seq["group"] and series_sizes(ctx).empty:
        return
    longest = int(series_sizes(ctx).max()) if seq["group"] else len(ctx.df)
    if longest < seq["window"] + seq["horizon"] + 2:
        yield Problem(f"The longest series has {longest} rows, too few for a look-back "
                      f"window of {seq['window']} rows and a horizon of {seq['horizon']} "
                      "(several windows per series are needed).",
                      "Use a shorter window or horizon"
                      + (", or check the series (group) column." if seq["group"] else "."))


# ------------------------------------------------------------------ task

@check("task", "series")
def forecast_target_is_numeric(ctx: Context) -> Iterator[Problem]:
    """A forecast target whose values look like classes must still read as numbers (95% of
    its values at least; true/false values are not numbers here)."""
    y = ctx.y
    if ctx.data["task"] == "auto" and ctx.guess != "regression" and (
            ptypes.is_bool_dtype(y) or to_number(y).notna().sum() < 0.95 * y.notna().sum()):
        yield Problem(f"Time-series forecasting predicts a number, but the target "
                      f"'{ctx.target}' is not numeric.", "Choose a numeric target column.")


# ------------------------------------------------------------------ rows

@check("rows", "series")
def times_readable(ctx: Context) -> Iterator[Problem]:
    """Most of the first 2,000 times must read as dates, times or numbers (training checks
    every time again; this explains the problem on the Target and Build pages already)."""
    sample = ctx.df[ctx.seq["time"]].dropna().head(2000)
    if len(sample):
        bad = np.isnan(time_values(sample))
        if bad.mean() > 0.5:
            yield Problem.of(unreadable_times(ctx.seq, list(sample[bad].astype(str).unique()),
                                              int(bad.sum()), len(sample)))


@check("rows", "series")
def times_distinct_per_series(ctx: Context) -> Iterator[Problem]:
    """No two rows of one series may share a time (rows without a target, a time or a series
    are left out, as in training; checked up to ``MAX_ROWS_CHECKED`` rows)."""
    df, seq = ctx.df, ctx.seq
    if len(df) > MAX_ROWS_CHECKED:
        return
    keep = df[ctx.target].notna() & df[seq["time"]].notna()
    rows = pd.DataFrame({"t": df[seq["time"]]})
    if seq["group"]:
        rows["g"] = series_labels(df[seq["group"]])
        keep &= rows["g"].notna()
    rows = rows[keep]
    dups = rows[rows.duplicated()]
    dups = dups[~np.isnan(time_values(dups["t"]))]  # unreadable ones are left out
    if len(dups):
        first = dups.iloc[0]
        yield Problem.of(duplicate_time(seq, first["g"] if seq["group"] else None, first["t"]))
