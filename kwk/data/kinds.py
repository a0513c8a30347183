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
from kwk.data.numbers import MISSING_WORDS, sample_values as _sample, to_number

_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
_DATE_HINT = re.compile(r"\d{1,4}[-/.:]\d{1,2}")




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


# ---------------------------------------------------------------- row IDs and codes
# One home for what a row ID and a code look like: the profile, the spec's kinds, the
# preprocessing (unseen codes) and the profiler all ask these functions.
ROW_SPAN = 1.5    # a row number without an ID-like name runs from about 0/1 to at most 1.5 × rows
ROW_START = 0.1   # ... and starts at most 1 + 10% of the rows in (the first rows may be dropped)
ROW_RISE = 0.99   # ... and rises from one row to the next at (nearly) every row
MAX_CODE_LEVELS = 50   # a code column with an ID-like name has at most this many values
MAX_WEAK_LEVELS = 10   # without such a name, a code is suggested for at most this many values
MAX_LEVELS = 20        # whole-number columns with at most this many values: the profiler sweeps
                       # only those values and new rows with another value are unusual
# Names of a row number (the whole name, lower case): R writes "rownames" (Rdatasets) or an
# empty name that pandas reads as "Unnamed: 0" (and R's read.csv as "X"); readr writes "...1".
_ROW_NAMES = {"rownames", "row.names", "row names", "row", "rowid", "row_id", "row id", "rownum",
              "row_number", "row number", "index", "idx", "id", "obs", "observation", "record",
              "", "...1", "#", "no", "no.", "nr"}
_ROW_NAME = re.compile(r"^unnamed: ?\d+$")
_WEAK_ROW_NAMES = {"x", "v1", "column1", "n"}  # also a real variable's name: needs the row-order rise
# The last word of an ID's name (customer_id, EmployeeNumber, case_no).
_ID_WORDS = {"id", "uuid", "guid", "key", "index", "idx", "no", "nr", "num", "number"}
# Words of a code's name (store, StoreID, zip_code, blood_type, region); a code is a name for a
# group, so its numbers are labels, not amounts.
_CODE_WORDS = {"id", "store", "shop", "branch", "code", "zip", "zipcode", "postcode", "postal",
               "type", "group", "class", "region", "category", "cat", "segment", "cluster", "dept",
               "department", "site", "station", "country", "state", "county", "district",
               "brand", "sku", "product", "plant", "team", "batch", "lot", "machine", "route",
               "channel", "gender", "sex", "race", "ethnicity", "marital", "status", "division",
               "territory", "zone", "area", "sector", "industry", "occupation", "job", "color",
               "colour", "model", "make", "vendor", "supplier", "carrier", "airline", "hospital",
               "school", "clinic", "center", "centre", "ward", "province", "municipality"}
_CODE_ENDINGS = ("code", "type", "class", "zip", "group")
# Words of an amount's name: such a column is a quantity whatever its values (group_size,
# store_sales, JobLevel, birth_year).
_AMOUNT_WORDS = {"size", "count", "cnt", "counts", "total", "amount", "qty", "quantity", "sum",
                 "age", "year", "years", "yr", "price", "cost", "sales", "income", "rate",
                 "score", "rating", "level", "pct", "percent", "weight", "height", "length",
                 "days", "hours", "minutes", "months", "weeks", "avg", "mean"}


def name_words(name) -> list[str]:
    """The words of a column name in lower case: ``StoreID`` -> store, id; ``zip_code`` ->
    zip, code; ``EmployeeNumber`` -> employee, number."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", str(name))]


def _whole(v: np.ndarray) -> bool:
    """Every value (non-missing, finite floats) is a whole number."""
    with np.errstate(invalid="ignore"):
        return bool(len(v)) and bool(np.all(v == np.floor(v)))


def _values(s: pd.Series) -> np.ndarray:
    """The non-missing values of a number column, in row order, as floats."""
    v = s.to_numpy(dtype=float, na_value=np.nan)
    return v[np.isfinite(v)]


def _year_like(name, v: np.ndarray) -> bool:
    return bool(set(name_words(name)) & {"year", "yr", "years", "season"}) or \
        bool(len(v)) and 1800 <= v.min() and v.max() <= 2100


def row_id_reason(s: pd.Series, n_unique: int | None = None) -> str | None:
    """Why a number column is a row ID (None when it is not): unique whole numbers, present on
    (nearly) every row, and either

    * an ID-like name (``rownames``, ``Unnamed: 0``, ``index``, ``id``, ``obs``, ``customer_id``,
      ``EmployeeNumber``, …): any such unique whole numbers, shuffled or not; or
    * what a row number is: they rise from each row to the next (at 99% of the rows or more),
      start near 0 or 1 (at most 1 + 10% of the rows) and end by 1.5 × the row count. So a row
      number survives a third of the rows being dropped (1, 2, 4, 5, 7 …), while a measurement
      does not pass by accident: it would have to be unique whole numbers packed that densely
      *and* the table sorted by it (a table sorted by a real column almost always repeats values
      or spreads them wider: ages 18–95 start too late, prices are not whole, years end too high);
    * a gap-free run (each row one more than the last) that is not a run of years and whose
      name is not an amount's (``age``, ``count``, …: a table sorted by age, each age once).

    Whole numbers stored as floats (a missing value makes pandas read 1, 2, 3 as 1.0, 2.0, 3.0)
    count as whole numbers. Needs at least 20 rows."""
    n = len(s)
    if n < 20 or not ptypes.is_numeric_dtype(s) or ptypes.is_bool_dtype(s) or (
            n_unique is not None and n_unique < 0.95 * n):
        return None
    v = _values(s)
    if len(v) < 0.95 * n or not _whole(v):
        return None
    if n_unique is None or n_unique != len(v):
        n_unique = len(np.unique(v))
    if n_unique != len(v):
        return None
    name = str(s.name)
    low = name.strip().lower()
    words = name_words(name)
    if low in _ROW_NAMES or _ROW_NAME.match(low) or (words and words[-1] in _ID_WORDS
                                                      and not set(words) & _AMOUNT_WORDS):
        return f"every row has its own whole number and the name '{name}' says it is an ID"
    steps = np.diff(v)
    lo, hi = float(v.min()), float(v.max())
    if (steps > 0).mean() >= ROW_RISE and 0 <= lo <= 1 + ROW_START * n and hi <= ROW_SPAN * n:
        gaps = int(hi - lo + 1 - len(v))
        return ("its whole numbers rise with the row order from "
                f"{lo:.0f} to {hi:.0f}" + (f" ({gaps:,} skipped)" if gaps else "")
                + ": a row number, not a measurement")
    if np.all(steps == 1) and not _year_like(name, v) and not set(words) & _AMOUNT_WORDS:
        return "every row has its own whole number, one more than the row before: a row ID"
    return None


def whole_levels(s: pd.Series, max_levels: int = MAX_LEVELS) -> list[float] | None:
    """The sorted distinct values of a number column whose values are all whole numbers and at
    most ``max_levels`` distinct (a count or a code), else None. Text is read as numbers."""
    if ptypes.is_bool_dtype(s):
        return None
    if not ptypes.is_numeric_dtype(s):
        s = to_number(s)
    v = _values(s)
    if not _whole(v):
        return None
    u = np.unique(v)
    return [float(x) for x in u] if len(u) <= max_levels else None


def code_evidence(s: pd.Series, n_unique: int | None = None) -> tuple[str, str] | None:
    """Whether a whole-number column looks like a code (a store, a region, a type written as a
    number) rather than a quantity: ``("strong", reason)``, ``("weak", reason)`` or None.

    Strong (the column is a category): the name says so (``store``, ``StoreID``, ``zip``,
    ``type``, ``group``, ``class``, ``region``, … and no amount word such as ``size`` or
    ``count``), 2–50 values, each on two rows or more on average.
    Weak (a suggestion): no such name, 3–10 values that are not a quantity's grid: the frequent
    values (each on 2% of the rows or more, at least 5 rows) skip a whole number between them,
    as stores 1, 2, 3, 4, 7 do, numbered from 0 or 1 and covering at least half of their span
    (years of schooling 9, 12, 14, 16, 17, 20 are an amount's values); some values are consecutive (a grid such as doses 10, 20, 30 or
    pixel levels 0, 16, 32 … is an amount's) and they are not years. A count such as a household's size (1–6, none skipped) or calls per month (0–8,
    the rare high ones missing) is not a code."""
    if ptypes.is_bool_dtype(s) or not ptypes.is_numeric_dtype(s) or (
            n_unique is not None and not 2 <= n_unique <= MAX_CODE_LEVELS):
        return None
    v = _values(s)
    if not len(v) or not _whole(v):
        return None
    levels, counts = np.unique(v, return_counts=True)
    k = len(levels)
    if k < 2 or k > MAX_CODE_LEVELS or k > len(v) / 2:
        return None
    name = str(s.name)
    words = name_words(name)
    if set(words) & _AMOUNT_WORDS or _year_like(name, v):
        return None
    shown = ", ".join(f"{x:.0f}" for x in levels[:8]) + (", …" if k > 8 else "")
    if any(w in _CODE_WORDS or (len(w) > 4 and w.endswith(_CODE_ENDINGS)) for w in words):
        return "strong", (f"its {k} whole numbers ({shown}) look like codes, going by the name "
                          f"'{name}': a category, not an amount")
    if k < 3 or k > MAX_WEAK_LEVELS:
        return None
    steps = np.diff(levels)
    if np.all(steps == steps[0]) or steps.min() != 1:  # a grid (doses, pixel levels): amounts
        return None
    # codes are numbered from 0 or 1 and skip a few numbers (stores 1, 2, 3, 4, 7); a
    # quantity's common values start anywhere and spread out (years of schooling 9, 12, 14,
    # 16, 17, 20 in statsmodels' fair table)
    if levels[0] not in (0, 1) or k < 0.5 * (levels[-1] - levels[0] + 1):
        return None
    frequent = levels[counts >= max(5, 0.02 * len(v))]
    if len(frequent) < 2 or len(frequent) == frequent[-1] - frequent[0] + 1:
        return None
    inside = levels[(levels >= frequent[0]) & (levels <= frequent[-1])]
    if len(inside) == frequent[-1] - frequent[0] + 1:
        return None
    return "weak", (f"its {k} whole numbers ({shown}) skip values, as codes do; it looks "
                    "like a code, not a quantity")


def code_suggestion(s: pd.Series, n_unique: int | None = None) -> str | None:
    """The profile's suggestion for a number column that may be a code (weak evidence, see
    :func:`code_evidence`), else None."""
    ev = code_evidence(s, n_unique)
    if ev is None or ev[0] != "weak":
        return None
    return ev[1] + " — treat it as a category?"


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
        from kwk.data.times import DECIMAL_YEAR_STEPS, decimal_year_steps
        k = decimal_year_steps(s)
        if k:
            return "datetime", (f"its values are decimal years, {k} steps a year "
                                f"({DECIMAL_YEAR_STEPS[k]}), as R's time() writes them")
        why = row_id_reason(s, n_unique)
        if why:
            return "identifier", why
        code = code_evidence(s, n_unique)
        if code is not None and code[0] == "strong":
            return "categorical", code[1]
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
