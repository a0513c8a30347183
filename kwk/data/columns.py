"""One column as the profile shows it: its card (kind, statistics, distribution, warnings, how
its missing values are filled, a transform to suggest), and the target's warnings (a rare
class). :mod:`kwk.data.profile` puts the cards of a table together; :mod:`kwk.data.image_profile`
uses the same card for a picture set's label column.
"""
from __future__ import annotations

import math
import threading

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kwk.data.kinds import code_suggestion, infer_kind
from kwk.data.numbers import to_number

CORR_SAMPLE = 100_000
DIST_SAMPLE = 100_000  # quartiles and histograms of bigger columns come from a sample this size
HIGH_CARDINALITY = 50
MANY_MISSING = 0.30
# How a model input fills its missing values (kwk.prep.preprocess), said on the Data page.
FILLED = {"numeric": "the model fills them with the training median",
          "datetime": "the model fills each date part with its training median",
          "categorical": "the model gives them no category (all its category inputs are 0)",
          "boolean": "the model gives them no category (all its category inputs are 0)"}
HIGH_CORR = 0.95
# A class is rare below this share of the rows with two classes; with k classes, below
# RARE_SHARE × 2 / k (under 40% of an even share: 20% of 2 classes, 13% of 3, 4% of 10). Below
# it, accuracy flatters a model that ignores the class, and the default class weights ('auto')
# become 'balanced'. 20%: at a 16% minority the plain network's recall of it was 0.11 (issue 28).
RARE_SHARE = 0.20
SAME_INFO_LEVELS = 50  # columns with at most this many values are compared for one-to-one pairs
MONOTONE_RHO = 0.999       # ranks this close: one number column is a transform of the other
MONOTONE_MAX_COLUMNS = 100  # number columns compared for it (the first ones)
MONOTONE_SAMPLE = 20_000   # rows they are compared on


def finite_or_none(x):
    """``x`` as a float, or None when it is missing, not a number or not finite (JSON has no NaN)."""
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def jsonable(v):
    """A NumPy/pandas scalar as a plain JSON value (a timestamp as ISO text, anything else as text)."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return finite_or_none(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return str(v)


def numeric_values(s: pd.Series) -> pd.Series:
    """A column's numbers for profiling: infinite values kept, so they can be counted."""
    return to_number(s, keep_inf=True)


def column_card(s: pd.Series, n_rows: int, kind_override: str | None) -> dict:
    """One column's profile card: its kind (and why), missing values, distinct values,
    statistics and histogram (numbers), the most frequent values, the suggestions the Data page
    offers with one click (a code read as categories, a transform of a skewed number) and the
    warnings. The stages: the distinct count (:func:`_distinct`), the kind, the numbers'
    part (:func:`_numeric_part`), the top values and the warnings (:func:`_card_warnings`)."""
    missing = int(s.isna().sum())
    n_unique, unique_estimated, vc = _distinct(s, n_rows, missing)
    kind, reason = infer_kind(s, n_unique)
    if kind_override:
        kind, reason = kind_override, "set by you"
    info = {"name": str(s.name), "kind": kind, "kind_reason": reason, "dtype": str(s.dtype),
            "missing": missing, "missing_pct": round(100.0 * missing / max(n_rows, 1), 2),
            "unique": n_unique, "unique_estimated": unique_estimated, "stats": None, "top": [],
            "histogram": None, "warnings": []}
    if kind == "numeric":
        _numeric_part(info, s, n_rows, n_unique, kind_override)
    if kind != "numeric" or n_unique <= 20:
        if vc is None:
            vc = s.value_counts(dropna=True)
        info["top"] = [{"value": jsonable(k), "count": int(c)} for k, c in vc.head(10).items()]
    _card_warnings(info, s, n_rows, n_unique, kind_override)
    return info


def _distinct(s: pd.Series, n_rows: int, missing: int) -> tuple[int, bool, pd.Series | None]:
    """The distinct count, whether it is estimated, and the value counts when they came with
    it (labels: one hash pass gives both)."""
    if ptypes.is_float_dtype(s) and n_rows > DIST_SAMPLE:
        # Continuous columns: an exact distinct count of millions of floats costs more than the
        # rest of the profile and tells nothing. Count exactly only when a sample shows repeats.
        smp = s.iloc[:DIST_SAMPLE].dropna()
        if smp.nunique() >= 0.99 * len(smp) and len(smp) > 0:
            return n_rows - missing, True, None
        return int(s.nunique(dropna=True)), False, None
    if ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s):
        return int(s.nunique(dropna=True)), False, None
    vc = s.value_counts(dropna=True)
    return int(len(vc)), False, vc


def _numeric_part(info: dict, s: pd.Series, n_rows: int, n_unique: int,
                  kind_override: str | None) -> None:
    """A number column's card: missing recounted (text such as '?' or 'N/A' counts as
    missing), statistics (quantiles on a sample of big columns; the extremes exact), the
    histogram, a transform suggested for a skewed column, and warnings for infinite and
    too-large values."""
    nv = numeric_values(s)
    if not ptypes.is_numeric_dtype(s):
        missing = int(nv.isna().sum())
        info["missing"], info["missing_pct"] = missing, round(100.0 * missing / max(n_rows, 1), 2)
    v = nv.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(v)
    n_inf = 0
    if not finite.all():  # copy only when there is something to drop
        n_inf = int(np.isinf(v).sum())
        v = v[finite]
    if len(v):
        vs = v if len(v) <= DIST_SAMPLE else v[np.random.default_rng(0).integers(
            0, len(v), DIST_SAMPLE)]
        q = np.percentile(vs, [0, 25, 50, 75, 100])
        q[0], q[4] = v.min(), v.max()
        with np.errstate(over="ignore", invalid="ignore"):
            mean, std = v.mean(), v.std(ddof=1) if len(v) > 1 else 0.0
        info["stats"] = {"mean": finite_or_none(mean), "std": finite_or_none(std),
                         "min": finite_or_none(q[0]), "q1": finite_or_none(q[1]),
                         "median": finite_or_none(q[2]), "q3": finite_or_none(q[3]),
                         "max": finite_or_none(q[4])}
        info["sampled_rows"] = int(len(vs)) if len(vs) < len(v) else None
        bins = int(min(30, max(5, n_unique)))
        if q[0] == q[4]:
            counts, edges = np.array([len(v)]), np.array([q[0] - 0.5, q[0] + 0.5])
        else:
            counts, edges = np.histogram(vs, bins=bins, range=(q[0], q[4]))
        info["histogram"] = {"edges": [float(e) for e in edges],
                             "counts": [int(c) for c in counts]}
        if not (kind_override is None and code_suggestion(s, n_unique)):
            skewed = skew_suggestion(vs)
            if skewed:  # a transform the Data page offers with one click
                info["transform_suggestion"] = skewed
    if n_inf:
        info["warnings"].append(f"{n_inf} infinite values (they will be treated as missing)")
    if len(v) and np.abs(v).max() > 3.4e38:
        info["warnings"].append("numbers beyond ±3.4e38, too large for the model's 32-bit "
                                "arithmetic: rescale the column or leave it out")


def _card_warnings(info: dict, s: pd.Series, n_rows: int, n_unique: int,
                   kind_override: str | None) -> None:
    """The card's kind warnings: a number that looks like a code (with the suggestion to read
    it as categories), a constant, an ID, too many labels, and missing values with how they
    are filled."""
    kind, missing = info["kind"], info["missing"]
    if kind == "numeric" and not kind_override:
        hint = code_suggestion(s, n_unique)
        if hint:  # a suggestion the Data page offers to accept with one click
            info["suggestion"] = {"kind": "categorical", "reason": hint}
            info["warnings"].append(hint)
    if kind == "constant":
        info["warnings"].append("constant: it has a single value and cannot help a model")
    elif kind == "identifier":
        info["warnings"].append("ID-like: a different value on every row; it will be left out")
    if kind == "categorical" and n_unique > HIGH_CARDINALITY:
        info["warnings"].append(f"high cardinality: {n_unique} distinct labels; only the most "
                                "frequent ones get their own input")
    if n_rows and missing and kind in FILLED:
        many = "many missing values" if missing / n_rows > MANY_MISSING else "missing values"
        pct = info["missing_pct"]
        info["warnings"].append(f"{many} ({pct:.0f}%, {missing:,} rows" if pct >= 1 else
                                f"{many} ({missing:,} rows")
        info["warnings"][-1] += f"): {FILLED[kind]}"


def rare_class(y) -> dict | None:
    """The rarest class of a classification target when it is rare (see ``RARE_SHARE``):
    ``{"label", "share", "even", "weight", "classes"}`` — its share of the rows, the share of an
    even split (1/k), and the weight 'balanced' class weights give it (rows / (k × its rows),
    as :func:`kwk.training.core.class_weights_from_counts`). None with fewer than two classes
    or no rare one. ``y``: the target's values, or ``{class: rows}`` counted already."""
    vc = (pd.Series(y, dtype=float) if isinstance(y, dict) else y.value_counts(dropna=True))
    vc = vc[vc > 0].sort_values(ascending=False, kind="stable")
    k = len(vc)
    if k < 2:
        return None
    share = float(vc.iloc[-1] / vc.sum())
    if share >= RARE_SHARE * 2 / k:
        return None
    return {"label": str(vc.index[-1]), "share": share, "even": 1 / k,
            "weight": float(vc.sum() / (k * vc.iloc[-1])), "classes": k}


def target_warnings(s: pd.Series, kind: str) -> list[str]:
    """Warnings about a target column: all missing, single class, imbalance (a class under
    ``RARE_SHARE`` of the rows with two classes, see :func:`rare_class`)."""
    out = []
    if s.notna().sum() == 0:
        return ["every value of the target is missing"]
    if kind in ("categorical", "boolean"):
        vc = s.value_counts(dropna=True)
        rare = rare_class(s) if len(vc) >= 2 else None
        if len(vc) < 2:
            out.append("the target has a single class: there is nothing to predict")
        elif rare is not None:
            even = f" (an even share would be {100 * rare['even']:.0f}%)" if rare["classes"] > 2 else ""
            out.append(f"target imbalance: the rarest class '{rare['label']}' is only "
                       f"{100 * rare['share']:.1f}% of rows{even}. Accuracy misleads here: a "
                       f"model that never predicts '{rare['label']}' is right "
                       f"{100 * (1 - rare['share']):.0f}% of the time; judge it by balanced "
                       f"accuracy and the recall of '{rare['label']}'.")
    return out


# Transforms and informative missing (kwk.prep.transforms applies them; the rules for
# suggesting them live here, beside the rest of what the profile says about a column).
SKEW_LIMIT = 1.0        # |skewness| beyond this: a transform is suggested
SKEW_MIN_DISTINCT = 20  # ... for a column with at least this many different values


#: The profile's threads (kwk.data.profile) reach the imports below at once on a first table:
#: threads importing the same modules side by side can get a half-made module (kwk/preload.py)
_IMPORTING = threading.Lock()


def skew_suggestion(x, min_distinct=SKEW_MIN_DISTINCT, limit=SKEW_LIMIT):
    """The transform to suggest for a number column (a float array, NaN for missing), or None:
    a column whose skewness (scipy.stats.skew) is beyond ``limit`` either way and that holds at
    least ``min_distinct`` different values gets ``"log"`` when every value is above 0 and the
    log makes it less skewed, else ``"yeo-johnson"``. Returns ``{"transform", "skew",
    "skew_after", "reason"}``."""
    with _IMPORTING:
        from scipy.stats import skew
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 3 * min_distinct or len(np.unique(v)) < min_distinct:
        return None
    s = float(skew(v))
    if not np.isfinite(s) or abs(s) <= limit:
        return None
    with _IMPORTING:
        from sklearn.preprocessing import PowerTransformer
    name = "yeo-johnson"
    with np.errstate(all="ignore"):
        yj = PowerTransformer(method="yeo-johnson", standardize=False).fit_transform(v[:, None])
    after = float(skew(yj[:, 0]))
    if v.min() > 0:
        log_after = float(skew(np.log(v)))
        if abs(log_after) <= abs(after) + 0.25:  # the log is simpler to explain: prefer it
            name, after = "log", log_after
    side = "right" if s > 0 else "left"
    return {"transform": name, "skew": s, "skew_after": after,
            "reason": f"skewed to the {side} (skewness {s:.1f}); after {name} it is "
                      f"{after:.1f}.".replace("is -0.0", "is 0.0")}
