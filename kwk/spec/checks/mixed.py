"""Rules for a mixed-input model (``branches``): which columns each branch reads, and that they
suit it — the text column holds words, the pixel columns are as many numbers as the image
shape holds, and the table keeps at least one usable column."""
from __future__ import annotations

import math
from typing import Iterator

from pandas.api import types as ptypes

from kwk.data.kinds import MODEL_KINDS
from kwk.data.pixels import numbered_groups, pixel_columns  # noqa: F401  (the one rule)
from kwk.spec.checks.base import Context, Problem, check


def branch_columns(ctx: Context) -> dict[str, list[str]]:
    """The columns of each branch: data.inputs where given; the text branch reads
    data.text.column; the image branch the pixel columns (:func:`kwk.data.pixels.pixel_columns`:
    the px_… columns, else the one group of numbered columns such as pixel1, pixel2, … with as
    many members as the image has values); the table every other usable column (or data.features)."""
    return ctx.memo("branch_columns", lambda: {
        b: cols for b, cols in sorted(_branch_columns(ctx).items(),
                                      key=lambda kv: ("table", "text", "image").index(kv[0]))})


def _branch_columns(ctx: Context) -> dict[str, list[str]]:
    given = ctx.data.get("inputs") or {}
    branches = ctx.spec.get("branches") or {}
    out: dict[str, list[str]] = {}
    if "text" in branches:
        out["text"] = given.get("text") or [ctx.data["text"]["column"]]
    if "image" in branches:
        out["image"] = given.get("image") or pixel_columns(
            ctx.df, ctx.target, size=math.prod(ctx.data["image_shape"]), numeric_rest=False)
    if "table" in branches:
        taken = {ctx.target, *out.get("text", []), *out.get("image", [])}
        vcol = ctx.data.get("validation_column") if ctx.validation == "column" else None
        if given.get("table") is not None:
            out["table"] = list(dict.fromkeys(given["table"]))
        elif ctx.data["features"] is not None:
            out["table"] = [c for c in dict.fromkeys(ctx.data["features"]) if c not in taken]
        else:
            out["table"] = [c for c in ctx.cols if c not in taken and c != vcol
                            and ctx.kind(c) in MODEL_KINDS]
    return out


@check("features", "mixed")
def branch_columns_exist(ctx: Context) -> Iterator[Problem]:
    """Every column a branch reads is in the data, and no column is read twice."""
    cols, seen = set(ctx.cols), {}
    for name, columns in branch_columns(ctx).items():
        missing = [c for c in columns if c not in cols]
        if missing:
            yield Problem(f"The {name} branch reads column(s) not in the data: "
                          f"{', '.join(missing[:10])}.",
                          f"Columns: {', '.join(ctx.cols[:30])}.")
        for c in columns:
            if c in seen and seen[c] != name:
                yield Problem(f"The column '{c}' is read by both the {seen[c]} and the {name} "
                              "branch.", "Give each column to one branch (data.inputs).")
            seen[c] = name
        if ctx.target in columns:
            yield Problem(f"The {name} branch reads the target '{ctx.target}'.",
                          "Remove it from that branch's columns: the model cannot use the "
                          "answer as an input.")


@check("features", "mixed")
def text_branch_reads_words(ctx: Context) -> Iterator[Problem]:
    """The text branch reads one column, and that column holds words, not numbers."""
    text = branch_columns(ctx).get("text")
    if not text:
        return
    if len(text) != 1:
        yield Problem(f"The text branch reads one column; {len(text)} are given.",
                      "Set data.text.column to the column that holds the text.")
    elif text[0] in ctx.cols and (ptypes.is_numeric_dtype(ctx.df[text[0]])
                                  or ptypes.is_bool_dtype(ctx.df[text[0]])):
        yield Problem(f"The column '{text[0]}' holds numbers, not text: the text branch reads "
                      "words.", "Set data.text.column to the column that holds the text, or "
                      "leave this column to the table branch.")


@check("features", "mixed")
def image_branch_reads_pixels(ctx: Context) -> Iterator[Problem]:
    """The image branch reads as many pixel columns as data.image_shape holds, all numbers."""
    pixels = branch_columns(ctx).get("image")
    if pixels is None:
        return
    need = math.prod(ctx.data["image_shape"])
    if len(pixels) != need:
        yield Problem(f"data.image_shape {ctx.data['image_shape']} needs {need:,} pixel columns "
                      f"but {'none were found' if not pixels else f'{len(pixels):,} are given'}.",
                      "Name them px_0, px_1, … (or pixel1, pixel2, …), or list them in "
                      "data.inputs.image, row by row.")
        return
    bad = [c for c in pixels if c in ctx.cols and not ptypes.is_numeric_dtype(ctx.df[c])]
    if bad:
        yield Problem(f"Pixel column '{bad[0]}' is not numeric.",
                      "Every pixel column must hold numbers (e.g. 0–255).")


@check("features", "mixed")
def table_branch_has_columns(ctx: Context) -> Iterator[Problem]:
    """The table branch keeps at least one column, each of a kind a table reads."""
    table = branch_columns(ctx).get("table")
    if table is None:
        return
    if not table:
        yield Problem("The table branch has no usable column left besides the target, the "
                      "text and the pixels.", "Remove the table branch, or give it columns "
                      "(numeric, categorical, boolean or datetime).")
    for c in table:
        if c in ctx.cols and ctx.kind(c) not in MODEL_KINDS:
            yield Problem(f"Column '{c}' of the table branch is a {ctx.kind(c)} column, which "
                          "a table cannot use.", "Leave it out of the table branch, or give it "
                          "a text branch.")
