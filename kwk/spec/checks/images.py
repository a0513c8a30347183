"""Rules for pictures stored as pixel columns (data.image_shape): one column per pixel, all of
them numbers, as many as the shape holds."""
from __future__ import annotations

import math
from typing import Iterator

from pandas.api import types as ptypes

from kwk.data.pixels import pixel_columns
from kwk.spec.checks.base import Context, Problem, check


def spec_pixels(ctx: Context) -> list[str]:
    """The spec's pixel columns, in order, by the one rule (:func:`kwk.data.pixels.pixel_columns`:
    data.features, else the px_… columns, else the numeric columns but the target and the
    validation column; constant ones too: a picture's border is still part of it)."""
    vcol = ctx.data.get("validation_column") if ctx.validation == "column" else None
    return pixel_columns(ctx.df, ctx.target, features=ctx.data["features"],
                         exclude=(vcol,) if vcol else ())


@check("settings", "images")
def pixel_count_matches_shape(ctx: Context) -> Iterator[Problem]:
    """There must be exactly height × width × channels pixel columns."""
    shape, pixels = ctx.data["image_shape"], spec_pixels(ctx)
    need = math.prod(shape)
    if len(pixels) != need:
        yield Problem(f"data.image_shape {shape} needs {need:,} pixel columns but "
                      f"{len(pixels):,} are given.",
                      "List the pixel columns in data.features (row by row), or correct "
                      "the image shape.")


@check("settings", "images")
def pixels_are_numbers(ctx: Context) -> Iterator[Problem]:
    """Every pixel column must hold numbers (the first one that does not is named)."""
    bad = [c for c in spec_pixels(ctx) if c in ctx.cols and not ptypes.is_numeric_dtype(ctx.df[c])]
    if bad:
        yield Problem(f"Pixel column '{bad[0]}' is not numeric.",
                      "Every pixel column must hold numbers (e.g. 0–255).")
