"""Small safety helpers shared by downloads and the CLI."""
from __future__ import annotations

import pandas as pd
from pandas.api import types as ptypes

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Neutralise spreadsheet formula injection: text cells (and column names) starting with
    = + - @ get a leading apostrophe, so Excel shows them instead of running them. Numbers are
    untouched."""
    out = df.copy()
    def fix(v):
        return "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
    for c in out.columns:
        if not ptypes.is_numeric_dtype(out[c]) and not ptypes.is_bool_dtype(out[c]):
            out[c] = out[c].map(fix, na_action="ignore")
    out.columns = [fix(str(c)) for c in out.columns]
    return out
