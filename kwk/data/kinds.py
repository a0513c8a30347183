"""Column kinds: what each column *means* for modelling, inferred from its values.

Kinds: ``numeric``, ``categorical``, ``boolean``, ``datetime``, ``text``, ``identifier`` (unique per
row, carries no signal), ``constant`` (one value or none). Users can override any of them.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kwk.data.kind_names import KINDS, MODEL_KINDS  # noqa: F401  (the names, without pandas)

_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
_ID_NAME = re.compile(r"(^|[_\s.-])(id|uuid|guid|key|index)$|^(id|uuid|guid|index|unnamed: ?0)",
                      re.I)
_DATE_HINT = re.compile(r"\d{1,4}[-/.:]\d{1,2}")
_SAMPLE = 2000


def _sample(s: pd.Series, n: int = _SAMPLE) -> pd.Series:
    if len(s) > 4 * n:  # sample before dropping missing values: no full copy of big columns
        idx = np.random.default_rng(0).integers(0, len(s), 4 * n)
        s = s.iloc[np.sort(idx)]
    s = s.dropna()
    return s.iloc[:n]


MISSING_WORDS = {"", "?", "-", "--", ".", "na", "n/a", "nan", "null", "none", "missing", "#n/a"}


def numeric_like(s: pd.Series) -> bool:
    """True when a text column holds numbers apart from missing-value placeholders such as
    '?', 'NA' or '-' (which become missing values)."""
    txt = _sample(s).astype(str).str.strip()
    txt = txt[~txt.str.lower().isin(MISSING_WORDS)]
    if len(txt) == 0:
        return False
    return pd.to_numeric(txt, errors="coerce").notna().mean() >= 0.95


def _datetime_like(sm: pd.Series) -> bool:
    txt = sm.astype(str)
    if not txt.str.contains(_DATE_HINT).mean() > 0.9:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(txt, errors="coerce", format="mixed")
        except (ValueError, TypeError):
            return False
    return parsed.notna().mean() >= 0.9


def infer_kind(s: pd.Series, n_unique: int | None = None) -> tuple[str, str]:
    """Infer the kind of one column. Returns ``(kind, reason)``; the reason is one sentence."""
    n = len(s)
    nonnull = int(s.notna().sum())
    if n_unique is None:
        n_unique = s.nunique(dropna=True)
    if nonnull == 0:
        return "constant", "every value is missing"
    if n_unique <= 1:
        return "constant", "it holds a single value"
    if ptypes.is_bool_dtype(s):
        return "boolean", "its values are true/false"
    if ptypes.is_datetime64_any_dtype(s):
        return "datetime", "its values are dates/times"
    if ptypes.is_numeric_dtype(s):
        if n_unique == 2 and s.min() == 0 and s.max() == 1:
            return "boolean", "its only values are 0 and 1"
        if ptypes.is_integer_dtype(s) and n_unique == nonnull == n and n >= 20:
            vals = s.to_numpy()
            if _ID_NAME.search(str(s.name)) or bool(np.all(np.diff(vals) == 1)):
                return "identifier", "every row has its own whole number, like a row ID"
        return "numeric", "its values are numbers"
    # text-like (object / string dtype)
    sm = _sample(s)
    low = set(sm.astype(str).str.strip().str.lower().unique()[:10])
    if n_unique == 2 and low <= _BOOL_WORDS:
        return "boolean", "its only values are yes/no style words"
    if numeric_like(s):
        return "numeric", "its values are numbers (a few placeholders such as '?' count as missing)"
    if _datetime_like(sm):
        return "datetime", "its values look like dates/times"
    lengths = sm.astype(str).str.len()
    if n_unique == nonnull == n and n >= 20:
        if lengths.mean() > 40 or sm.astype(str).str.contains(" ").mean() > 0.5:
            return "text", "each row has its own long, free-form text"
        return "identifier", "every row has its own value, like a name or ID"
    if lengths.mean() > 40 and n_unique > 0.5 * nonnull:
        return "text", "its values are long, mostly different texts"
    return "categorical", f"its values are {n_unique} labels"


def infer_kinds(df: pd.DataFrame) -> dict[str, str]:
    """``{column: kind}`` for every column of ``df``."""
    return {str(c): infer_kind(df[c])[0] for c in df.columns}
