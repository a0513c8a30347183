"""Rows typed by hand for a trained model: what each column holds, a first row, and checks.

The Predict page's editable grid asks :func:`editor_columns` what each column the model reads
holds (from the run's fitted preprocessing, ``preprocess.json``: the one record of what the
model saw in training), starts from :func:`starting_rows` and refuses typed values the model
cannot read with :func:`typed_rows_problems`, each problem naming its row and column.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kwk.data.numbers import to_number
from kwk.prep.preprocess import as_labels, date_parts

KINDS = ("numeric", "categorical", "boolean", "datetime", "text")


def editor_columns(state: dict) -> list[dict]:
    """One entry per column a model reads, in its order: ``{"name", "kind", "levels",
    "typical"}``. ``kind`` is numeric, categorical, boolean, datetime or text; ``levels`` the
    labels seen in training (categories and booleans, most frequent first; else ``[]``);
    ``typical`` a value to start from (the training median of a number, the most frequent
    label; else ``None``). A time series' time and series columns come after the inputs (the
    time as a date, the series as text)."""
    out = []
    for col in state["columns"]:
        kind = col["kind"]
        if "vocabulary" in col:
            kind = "text"
        elif kind not in KINDS:
            kind = "text"
        levels = [str(v) for v in col.get("categories", [])] if kind in ("categorical",
                                                                         "boolean") else []
        typical = (float(col["fill"]) if kind == "numeric" and "fill" in col else
                   levels[0] if levels else None)
        out.append({"name": col["name"], "kind": kind, "levels": levels, "typical": typical})
    seq = state.get("sequence") or {}
    names = {c["name"] for c in out}
    for extra, kind in ((seq.get("time"), "datetime"), (seq.get("group"), "text")):
        if extra and extra not in names:
            out.append({"name": extra, "kind": kind, "levels": [], "typical": None})
    return out


def _is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def empty_grid(columns: list[dict], rows: int = 0) -> pd.DataFrame:
    """``rows`` empty rows with each column's type: numbers as floats, booleans as nullable
    booleans, every other kind as text (a date typed as 2024-05-31)."""
    data = {}
    for c in columns:
        if c["kind"] == "numeric":
            data[c["name"]] = pd.Series([np.nan] * rows, dtype="float64")
        elif c["kind"] == "boolean" and set(c["levels"]) <= {"True", "False"}:
            data[c["name"]] = pd.Series([pd.NA] * rows, dtype="boolean")
        else:
            data[c["name"]] = pd.Series([None] * rows, dtype="object")
    return pd.DataFrame(data)


def starting_rows(columns: list[dict]) -> pd.DataFrame:
    """One row of typical values (a number's training median, a category's most frequent
    label; dates and texts empty) to edit, typed as :func:`empty_grid`."""
    df = empty_grid(columns, 1)
    for c in columns:
        v = c["typical"]
        if v is None:
            continue
        if df[c["name"]].dtype == "boolean":
            df[c["name"]] = pd.array([v == "True"], dtype="boolean")
        else:
            df.at[0, c["name"]] = v
    return df


def typed_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of an edited grid that hold at least one value (new rows arrive empty), with
    blank texts read as missing values."""
    if df is None or not len(df):
        return pd.DataFrame(columns=getattr(df, "columns", []))
    keep = [not all(_is_missing(v) for v in row) for row in df.itertuples(index=False)]
    out = df.loc[keep].reset_index(drop=True)
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].map(lambda v: None if _is_missing(v) else v).astype(object)
    return out


def typed_rows_problems(df: pd.DataFrame, columns: list[dict]) -> list[str]:
    """Every value of ``df`` (rows typed in the grid, empty rows dropped first by the caller)
    the model cannot read as its column's kind, one sentence each naming the row (1 = the
    first row) and the column: "Row 2, column 'sepal_length': 'abc' is not a number.". A
    missing value is fine (filled as in training); a column the grid lacks is named once."""
    problems = []
    for c in columns:
        name = c["name"]
        if name not in df.columns:
            problems.append(f"Column '{name}' is missing: the model reads it.")
            continue
        s = df[name]
        for i, v in enumerate(s.tolist(), start=1):
            if _is_missing(v):
                continue
            shown = str(v)[:40]
            why = None
            if c["kind"] == "numeric":
                if isinstance(v, (bool, np.bool_)):
                    why = "is not a number"
                else:
                    x = to_number(pd.Series([v], dtype=object), keep_inf=True).iloc[0]
                    if pd.isna(x):
                        why = "is not a number"
                    elif not np.isfinite(x):
                        why = "is not a finite number"
            elif c["kind"] in ("categorical", "boolean") and c["levels"]:
                label = as_labels(pd.Series([v], dtype=object)).iloc[0]
                if label not in c["levels"]:
                    listed = ", ".join(c["levels"][:8]) + (", …" if len(c["levels"]) > 8 else "")
                    why = f"was never seen in training (choose one of: {listed})"
            elif c["kind"] == "datetime":
                if pd.isna(date_parts(pd.Series([str(v)]))["days"].iloc[0]):
                    why = "is not a date (type it as 2024-05-31 or 2024-05-31 14:30)"
            if why:
                problems.append(f"Row {i}, column '{name}': '{shown}' {why}.")
    return problems
