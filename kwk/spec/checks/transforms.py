"""Rules for the transforms of number columns, the target's transform and the informative-
missing flags (``data.transforms``, ``data.target_transform``, ``data.missing_indicators``)."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from kwk.data.numbers import to_number
from kwk.spec.checks.base import Context, Problem, check, missing_columns


def _named(ctx: Context, key: str) -> list[str]:
    v = ctx.data.get(key)
    return list(v) if isinstance(v, dict) else []


@check("columns")
def transform_columns_in_data(ctx: Context) -> Iterator[Problem]:
    """Every column given a transform must be in the data."""
    yield from missing_columns(_named(ctx, "transforms"), ctx, "data.transforms")


@check("columns")
def indicator_columns_in_data(ctx: Context) -> Iterator[Problem]:
    """Every column given a missing-value flag must be in the data."""
    yield from missing_columns(_named(ctx, "missing_indicators"), ctx, "data.missing_indicators")


@check("features", "images", "text")
def no_transforms_for_pixels_or_texts(ctx: Context) -> Iterator[Problem]:
    """Pictures and texts have no number columns to transform."""
    for key in ("transforms", "missing_indicators"):
        if ctx.data.get(key) and ctx.data[key] != "auto":
            yield Problem(f"data.{key} is for the number columns of a table; a "
                          f"{'picture' if ctx.modality == 'images' else 'text'} model has none.",
                          f"Remove data.{key}.")


@check("features", "table", "series", "mixed")
def transforms_on_number_features(ctx: Context) -> Iterator[Problem]:
    """A transform or a missing flag needs a number column that is one of the model's inputs
    (a category already has 'no label' for a missing value)."""
    for key, what in (("transforms", "a transform"), ("missing_indicators", "a missing flag")):
        for c in _named(ctx, key):
            if key == "missing_indicators" and not ctx.data[key][c]:
                continue
            if c == ctx.target:
                yield Problem(f"data.{key}: '{c}' is the target; {what} is for input columns.",
                              "Use data.target_transform for the target." if key == "transforms"
                              else f"Remove '{c}' from data.{key}.")
            elif c not in ctx.features:
                yield Problem(f"data.{key}: '{c}' is not one of the model's inputs.",
                              f"Make '{c}' a feature, or remove it from data.{key}.")
            elif ctx.kind(c) != "numeric":
                yield Problem(f"data.{key}: '{c}' is a {ctx.kind(c)} column; {what} is for "
                              "number columns." + (" A missing category already gets no "
                                                   "label input of its own."
                                                   if key == "missing_indicators" else ""),
                              f"Remove '{c}' from data.{key}.")


@check("features", "table", "series", "mixed")
def log_needs_positive_values(ctx: Context) -> Iterator[Problem]:
    """A log transform needs every value of the column above 0."""
    for c, name in (ctx.data.get("transforms") or {}).items():
        if name != "log" or c not in ctx.cols:
            continue
        v = to_number(ctx.df[c]).to_numpy(dtype=float, na_value=np.nan)
        v = v[np.isfinite(v)]
        if len(v) and v.min() <= 0:
            yield Problem(f"data.transforms: '{c}' has values of 0 or less (the smallest is "
                          f"{v.min():g}, {int((v <= 0).sum())} of them), and a log only takes "
                          "numbers above 0.",
                          f"Use 'yeo-johnson' for '{c}': it works with zero and negative "
                          "values too.")


@check("features")
def target_transform_fits_task(ctx: Context) -> Iterator[Problem]:
    """A target transform is for a number to predict (regression), and the log one for
    numbers above 0; a time series forecasting the change has its own target scaling."""
    tt = ctx.data.get("target_transform")
    if not tt:
        return
    if ctx.task != "regression":
        yield Problem(f"data.target_transform '{tt}' is for a number to predict, but the task "
                      f"is {ctx.task} (classes).",
                      "Remove data.target_transform, or set data.task to regression.")
        return
    if ctx.seq is not None:
        yield Problem("data.target_transform is not supported for a time series yet.",
                      "Remove data.target_transform.")
        return
    y = to_number(ctx.y).to_numpy(dtype=float, na_value=np.nan)
    y = y[np.isfinite(y)]
    if tt == "log" and len(y) and y.min() <= 0:
        yield Problem(f"data.target_transform 'log' needs every value of the target "
                      f"'{ctx.target}' above 0; the smallest is {y.min():g}.",
                      "Remove data.target_transform (a log cannot take 0 or negative numbers).")
