"""Numbers written for people: currency signs, percent signs, thousands separators and
accounting negatives ("$1,234.50", "12.5 %", "(300.00)", "€ 1.234,50" in a decimal-comma file).

Spreadsheet exports are full of them, and read as text they look like a different label on every
row (an "identifier" the model throws away). The loader reads such columns as numbers and says
so; ``parse_formatted`` is copied verbatim into the generated script, which reads them the same
way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

_SAMPLE = 2000


def sample_values(s: pd.Series, n: int = _SAMPLE) -> pd.Series:
    """At most ``n`` non-missing values of ``s``, a seeded random sample of a long column (the
    evidence the kind and number rules look at)."""
    if len(s) > 4 * n:  # sample before dropping missing values: no full copy of big columns
        idx = np.random.default_rng(0).integers(0, len(s), 4 * n)
        s = s.iloc[np.sort(idx)]
    s = s.dropna()
    return s.iloc[:n]


MISSING_WORDS = {"", "?", "-", "--", ".", "na", "n/a", "nan", "null", "none", "missing", "#n/a"}

_FORMATTING = r"[$€£¥₹%]|\d[,.]\d{3}(?!\d)|^\(.*\)$"


def parse_formatted(s, decimal="."):
    """Numbers from text such as "$1,234.50", "-12.5%", "(300)" or "€ 1.234,50": currency
    signs, percent signs and spaces are dropped (12.5% reads 12.5), thousands separators are
    dropped where they group digits by three, and brackets mean a negative number. ``decimal``
    is the file's decimal mark. Anything else becomes a missing value."""
    thousands = "," if decimal == "." else "."
    t = s.astype(str).str.strip()
    negative = t.str.fullmatch(r"\(.*\)").fillna(False).to_numpy(dtype=bool)
    t = t.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    t = t.str.replace(r"[\s$€£¥₹%\u00a0]", "", regex=True)
    grouped = t.str.fullmatch(r"[-+]?\d{1,3}(\%s\d{3})+(\%s\d+)?" % (thousands, decimal))
    t = t.where(~grouped.fillna(False), t.str.replace(thousands, "", regex=False))
    if decimal != ".":
        t = t.str.replace(decimal, ".", regex=False)
    out = pd.to_numeric(t, errors="coerce").astype(float)
    out = out.where(~negative, -out).replace([np.inf, -np.inf], np.nan)
    return out.where(s.notna())


def formatted_number_columns(df: pd.DataFrame, decimal: str = ".") -> dict[str, str]:
    """Text columns whose values (all but placeholders such as '?' and at most 5% of the rest,
    in a sample) are numbers written with currency or percent signs, thousands separators or
    accounting brackets, each with its decimal mark: the file's ``decimal`` when it reads them,
    else the other one ("1.234,50 €" in a file of decimal points). Columns of plain numbers in
    text are left to the usual reading."""
    out = {}
    for c in df.columns:
        s = df[c]
        if not (ptypes.is_object_dtype(s) or ptypes.is_string_dtype(s)):
            continue
        txt = sample_values(s).astype(str).str.strip()
        txt = txt[~txt.str.lower().isin(MISSING_WORDS)]
        if len(txt) == 0 or not txt.str.contains(_FORMATTING, regex=True).any():
            continue
        if pd.to_numeric(txt, errors="coerce").notna().mean() >= 0.95:
            continue
        for mark in dict.fromkeys((decimal, "," if decimal == "." else ".")):
            if parse_formatted(txt, mark).notna().mean() >= 0.95:
                out[str(c)] = mark
                break
    return out


def to_number(s: pd.Series, keep_inf: bool = False) -> pd.Series:
    """The one way a column becomes numbers, everywhere (profile, spec checks, preprocessing,
    the profiler and the generated script): numbers and booleans as floats, text read as
    numbers (surrounding spaces ignored; text that is not a number, such as '?', becomes
    missing). Infinite values become missing unless ``keep_inf`` (to count them)."""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        out = s.astype(float)
    else:
        out = pd.to_numeric(s.astype(str).str.strip(), errors="coerce").where(s.notna())
    return out if keep_inf else out.replace([np.inf, -np.inf], np.nan)
