"""Rules for a text model (data.text): it reads exactly one column, and that column holds
words."""
from __future__ import annotations

from typing import Iterator

from pandas.api import types as ptypes

from kwk.spec.checks.base import Context, Problem, check


def text_columns(ctx: Context) -> list[str]:
    """The candidates for the text column: data.text.column, data.features, or the columns of
    kind text (when there are none: the columns whose values hold two words or more, as short
    or repetitive texts can look like categories)."""
    column = (ctx.text or {}).get("column")
    if column:  # named in data.text.column
        return [column]
    if ctx.data["features"] is not None:
        return list(dict.fromkeys(ctx.data["features"]))
    found = [c for c in ctx.cols if c != ctx.target and ctx.kind(c) == "text"]
    if not found:  # words per value
        found = [c for c in ctx.cols if c != ctx.target and not ptypes.is_numeric_dtype(ctx.df[c])
                 and ctx.df[c].head(5000).dropna().astype(str).str.split().str.len().median() >= 2]
    return found


@check("features", "text")
def one_text_column(ctx: Context) -> Iterator[Problem]:
    """A text model reads exactly one text column."""
    found = ctx.features
    if len(found) != 1:
        yield Problem(("A text model reads exactly one text column; "
                       + (f"there are {len(found)}: {', '.join(found[:10])}." if found else
                          "none was found.")),
                      "Set data.features to the one column that holds the text, e.g. "
                      "[\"review\"].")


@check("features", "text")
def text_column_holds_words(ctx: Context) -> Iterator[Problem]:
    """The text column cannot hold numbers (or true/false values)."""
    if len(ctx.features) != 1:
        return
    if ctx.features[0] not in ctx.cols:
        yield Problem(f"The text column '{ctx.features[0]}' is not in the data.",
                      f"Choose one of: {', '.join(ctx.cols[:30])}.")
        return
    col = ctx.df[ctx.features[0]]
    if ptypes.is_numeric_dtype(col) or ptypes.is_bool_dtype(col):
        yield Problem(f"The column '{ctx.features[0]}' holds numbers, not text: a text model "
                      "reads words.", "Set data.features to the column that holds the text "
                      "(e.g. [\"review\"]), or train a table model (without data.text) for "
                      "numbers.")
