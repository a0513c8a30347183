"""Dataset profile: summary, per-column statistics and distributions, warnings, correlations.

``profile(df)`` returns a plain, JSON-serialisable dict (the CLI prints it; the Data page draws
it). It is built for speed: one pass per column with vectorised pandas/numpy; correlations are
computed on a sample of at most ``CORR_SAMPLE`` rows (the result says so).
"""
from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

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


def _num(x):
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _jsonable(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return _num(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return str(v)


def _numeric_values(s: pd.Series) -> pd.Series:
    """A column's numbers for profiling: infinite values kept, so they can be counted."""
    return to_number(s, keep_inf=True)


def _column(s: pd.Series, n_rows: int, kind_override: str | None) -> dict:
    missing = int(s.isna().sum())
    vc = None
    unique_estimated = False
    if ptypes.is_float_dtype(s) and n_rows > DIST_SAMPLE:
        # Continuous columns: an exact distinct count of millions of floats costs more than the
        # rest of the profile and tells nothing. Count exactly only when a sample shows repeats.
        smp = s.iloc[:DIST_SAMPLE].dropna()
        if smp.nunique() >= 0.99 * len(smp) and len(smp) > 0:
            n_unique, unique_estimated = n_rows - missing, True
        else:
            n_unique = int(s.nunique(dropna=True))
    elif ptypes.is_numeric_dtype(s) and not ptypes.is_bool_dtype(s):
        n_unique = int(s.nunique(dropna=True))
    else:  # one hash pass gives both the distinct count and the top values
        vc = s.value_counts(dropna=True)
        n_unique = int(len(vc))
    kind, reason = infer_kind(s, n_unique)
    if kind_override:
        kind, reason = kind_override, "set by you"
    info = {"name": str(s.name), "kind": kind, "kind_reason": reason, "dtype": str(s.dtype),
            "missing": missing, "missing_pct": round(100.0 * missing / max(n_rows, 1), 2),
            "unique": n_unique, "unique_estimated": unique_estimated, "stats": None, "top": [], "histogram": None, "warnings": []}
    if kind == "numeric":
        nv = _numeric_values(s)
        if not ptypes.is_numeric_dtype(s):  # text such as '?' or 'N/A' counts as missing
            info["missing"] = missing = int(nv.isna().sum())
            info["missing_pct"] = round(100.0 * missing / max(n_rows, 1), 2)
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
            info["stats"] = {"mean": _num(mean), "std": _num(std),
                             "min": _num(q[0]), "q1": _num(q[1]), "median": _num(q[2]),
                             "q3": _num(q[3]), "max": _num(q[4])}
            info["sampled_rows"] = int(len(vs)) if len(vs) < len(v) else None
            bins = int(min(30, max(5, n_unique)))
            if q[0] == q[4]:
                counts, edges = np.array([len(v)]), np.array([q[0] - 0.5, q[0] + 0.5])
            else:
                counts, edges = np.histogram(vs, bins=bins, range=(q[0], q[4]))
            info["histogram"] = {"edges": [float(e) for e in edges],
                                 "counts": [int(c) for c in counts]}
        if len(v) and not (kind_override is None and code_suggestion(s, n_unique)):
            skewed = skew_suggestion(vs)
            if skewed:  # a transform the Data page offers with one click
                info["transform_suggestion"] = skewed
        if n_inf:
            info["warnings"].append(f"{n_inf} infinite values (they will be treated as missing)")
        if len(v) and np.abs(v).max() > 3.4e38:
            info["warnings"].append("numbers beyond ±3.4e38, too large for the model's 32-bit "
                                    "arithmetic: rescale the column or leave it out")
    if kind != "numeric" or n_unique <= 20:
        if vc is None:
            vc = s.value_counts(dropna=True)
        info["top"] = [{"value": _jsonable(k), "count": int(c)} for k, c in vc.head(10).items()]
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
    return info


def _duplicate_rows(df: pd.DataFrame) -> int:
    """Exact count of rows identical to an earlier row. Two rows can only be identical if they
    agree on every column, so rows whose value in the most varied column is unique are ruled
    out first and only the remaining candidates are hashed whole."""
    try:
        cand = np.ones(len(df), dtype=bool)
        if len(df) > 10_000:
            probe = df.iloc[: min(len(df), 20_000)]
            best = max(df.columns, key=lambda c: probe[c].nunique(dropna=False))
            cand = df[best].duplicated(keep=False).to_numpy()
            if not cand.any():
                return 0
        sub = df[cand] if not cand.all() else df
        h = pd.util.hash_pandas_object(sub, index=False)
        return int(h.duplicated().sum())
    except TypeError:  # unhashable cells (lists from JSON)
        return int(df.astype(str).duplicated().sum())


def correlations(df: pd.DataFrame, numeric_cols: list[str], seed: int = 0) -> dict:
    """Pearson correlations between numeric columns, on a sample of at most CORR_SAMPLE rows."""
    if len(numeric_cols) < 2:
        return {"columns": numeric_cols, "matrix": [], "sampled_rows": 0}
    sub = df[numeric_cols]
    if len(sub) > CORR_SAMPLE:
        rows = np.sort(np.random.default_rng(seed).choice(len(sub), CORR_SAMPLE, replace=False))
        sub = sub.iloc[rows]
    x = np.column_stack([_numeric_values(sub[c]).to_numpy(dtype=float, na_value=np.nan)
                         for c in numeric_cols])
    finite = np.isfinite(x)
    if finite.all() and len(x) > 1:
        # The common case: no gaps, so one matrix product instead of pandas' pairwise loop.
        x = x - x.mean(axis=0)
        top = np.abs(x).max(axis=0)
        x = x / np.where(top > 0, top, 1.0)  # scale-free, and no overflow for huge numbers
        ss = np.sqrt((x * x).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            m = (x.T @ x) / np.outer(ss, ss)
        m[:, ss == 0] = np.nan
        m[ss == 0, :] = np.nan
        np.clip(m, -1.0, 1.0, out=m)
        m[np.diag_indices_from(m)] = np.where(ss == 0, np.nan, 1.0)
    else:  # pairwise-complete correlations, as pandas computes them
        x[~finite] = np.nan
        m = pd.DataFrame(x).corr().to_numpy()
    return {"columns": numeric_cols,
            "matrix": [[_num(v) for v in row] for row in m],
            "sampled_rows": int(len(sub))}


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


def same_information(df: pd.DataFrame, columns: list[str], sample: int = CORR_SAMPLE) -> list[tuple[str, str, int]]:
    """Pairs of columns that carry the same information: a one-to-one mapping between their
    values (a store ID 1, 2, 3, 4, 7 beside a store number 0–4; two relabellings of one
    category), missing values counting as a value of their own. Only columns with 2 to
    ``SAME_INFO_LEVELS`` values are compared, on the first ``sample`` rows. Returns
    ``(a, b, number of values)`` in column order.

    ``pd.factorize`` numbers a column's values in the order they first appear, so two columns
    map one to one exactly when their numbers are identical: one hash per column, and only
    columns with equal hashes are compared, however many columns there are."""
    sub = df.iloc[:sample]
    groups: dict[tuple, list[tuple[str, np.ndarray]]] = {}
    for c in columns:
        try:
            codes, uniques = pd.factorize(sub[c], use_na_sentinel=False)
        except TypeError:  # unhashable cells
            continue
        if 2 <= len(uniques) <= SAME_INFO_LEVELS:
            codes = codes.astype(np.int8)
            groups.setdefault((len(uniques), hash(codes.tobytes())), []).append((c, codes))
    out = []
    for (k, _), members in groups.items():
        for i, (a, ca) in enumerate(members):
            out += [(a, b, k) for b, cb in members[i + 1:] if np.array_equal(ca, cb)]
    order = {c: i for i, c in enumerate(columns)}
    return sorted(out, key=lambda t: (order[t[0]], order[t[1]]))


def monotone_pairs(df: pd.DataFrame, numeric_cols: list[str], seed: int = 0,
                   sample: int = MONOTONE_SAMPLE) -> list[tuple[str, str, float]]:
    """Pairs of number columns of which one is a monotone transform of the other (a log, a
    square root, a rescaling): their ranks agree (``|rank correlation| >= MONOTONE_RHO``) while
    their plain correlation may be far from 1 (statsmodels' anes96 holds ``popul`` and
    ``logpopul``: r = 0.46, rank correlation 1.00). Only columns with more than
    ``SAME_INFO_LEVELS`` values (fewer are :func:`same_information`'s) and at most
    ``MONOTONE_MAX_COLUMNS`` of them, on a sample of ``sample`` rows. ``(a, b, rho)``."""
    cols = numeric_cols[:MONOTONE_MAX_COLUMNS]
    if len(cols) < 2:
        return []
    sub = df[cols]
    if len(sub) > sample:
        sub = sub.iloc[np.sort(np.random.default_rng(seed).choice(len(sub), sample,
                                                                  replace=False))]
    x = pd.DataFrame({c: _numeric_values(sub[c]).to_numpy(dtype=float, na_value=np.nan)
                      for c in cols})
    x = x.where(np.isfinite(x))
    many = [c for c in cols if x[c].nunique() > SAME_INFO_LEVELS]
    if len(many) < 2:
        return []
    rho = x[many].rank().corr().to_numpy()
    out = []
    for i in range(len(many)):
        for j in range(i + 1, len(many)):
            if np.isfinite(rho[i, j]) and abs(rho[i, j]) >= MONOTONE_RHO:
                out.append((many[i], many[j], float(rho[i, j])))
    return out


# Transforms and informative missing (kwk.prep.transforms applies them; the rules for
# suggesting them live here, beside the rest of what the profile says about a column).
SKEW_LIMIT = 1.0        # |skewness| beyond this: a transform is suggested
SKEW_MIN_DISTINCT = 20  # ... for a column with at least this many different values


def skew_suggestion(x, min_distinct=SKEW_MIN_DISTINCT, limit=SKEW_LIMIT):
    """The transform to suggest for a number column (a float array, NaN for missing), or None:
    a column whose skewness (scipy.stats.skew) is beyond ``limit`` either way and that holds at
    least ``min_distinct`` different values gets ``"log"`` when every value is above 0 and the
    log makes it less skewed, else ``"yeo-johnson"``. Returns ``{"transform", "skew",
    "skew_after", "reason"}``."""
    from scipy.stats import skew
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 3 * min_distinct or len(np.unique(v)) < min_distinct:
        return None
    s = float(skew(v))
    if not np.isfinite(s) or abs(s) <= limit:
        return None
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


def missing_association(flag, y, task):
    """How strongly a column's missing flag (bool array) goes with the target ``y``: the
    p-value of a chi-square test (classes) or a Mann–Whitney test (numbers) between the rows
    with and without a value. None when either group has fewer than 5 rows."""
    import pandas as pd
    from scipy import stats
    flag = np.asarray(flag, dtype=bool)
    if flag.sum() < 5 or (~flag).sum() < 5:
        return None
    if task == "regression":
        yv = np.asarray(y, dtype=float)
        a, b = yv[flag & np.isfinite(yv)], yv[~flag & np.isfinite(yv)]
        if len(a) < 5 or len(b) < 5:
            return None
        return float(stats.mannwhitneyu(a, b).pvalue)
    table = pd.crosstab(flag, pd.Series(np.asarray(y, dtype=object)).astype(str).to_numpy())
    if table.shape[1] < 2 or table.shape[0] < 2:
        return None
    return float(stats.chi2_contingency(table.to_numpy())[1])


INFORMATIVE_P = 0.01  # missingness this tied to the target gets its flag by default


def informative_missing(df, target, task, columns):
    """The number columns among ``columns`` whose missing values go with the target (a test of
    association p < :data:`INFORMATIVE_P`): ``{column: p-value}``. Rows without a target value
    are left out; a column without missing values is skipped."""
    y = df[target]
    keep = y.notna().to_numpy().copy()
    if task == "regression":
        y = to_number(y)
        keep &= y.notna().to_numpy()
    out = {}
    for c in columns:
        flag = to_number(df[c]).isna().to_numpy()[keep]
        if not flag.any():
            continue
        p = missing_association(flag, y.to_numpy()[keep], task)
        if p is not None and p < INFORMATIVE_P:
            out[c] = p
    return out


def profile(df: pd.DataFrame, kinds: dict[str, str] | None = None, target: str | None = None,
            name: str = "data", image_shape=None, notes=()) -> dict:
    """Profile ``df``. ``kinds`` overrides inferred kinds; ``target`` adds target warnings.
    Pictures in pixel columns (:func:`kwk.data.image_profile.picture_columns`; ``image_shape``
    when the reader knows it, ``notes`` its notes) get the pictures' profile
    (:func:`kwk.data.image_profile.profile_images`), not one card per pixel."""
    from kwk.data.image_profile import picture_columns, profile_images
    found = picture_columns(df, image_shape)
    if found is not None and (target is None or target == found[1]):
        return profile_images(df, image_shape, found[1], pixels=found[0], notes=notes, name=name,
                              kinds=kinds)
    return profile_table(df, kinds=kinds, target=target, name=name)


def profile_table(df: pd.DataFrame, kinds: dict[str, str] | None = None,
                  target: str | None = None, name: str = "data") -> dict:
    """Profile ``df`` as a table, column by column (:func:`profile` for any data)."""
    kinds = kinds or {}
    n_rows = int(len(df))
    # Columns are independent and pandas/numpy release the GIL in their inner loops; the
    # duplicate count runs alongside them.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as ex:
        dups_f = ex.submit(_duplicate_rows, df)
        cols = list(ex.map(lambda c: _column(df[c], n_rows, kinds.get(str(c))), df.columns))
        numeric = [c["name"] for c in cols if c["kind"] == "numeric"]
        corr = correlations(df, numeric)
        dups = dups_f.result()
    warnings: list[dict] = []
    for c in cols:
        for w in c["warnings"]:
            warnings.append({"columns": [c["name"]], "message": f"{c['name']}: {w}"})
    m = corr["matrix"]
    for i in range(len(m)):
        for j in range(i + 1, len(m)):
            r = m[i][j]
            if r is not None and abs(r) >= HIGH_CORR:
                a, b = corr["columns"][i], corr["columns"][j]
                warnings.append({"columns": [a, b], "message":
                                 f"{a} and {b} are highly correlated (r = {r:.2f}); "
                                 "one of them may be redundant"})
    named = {frozenset(w["columns"]) for w in warnings if len(w["columns"]) == 2}
    candidates = [c["name"] for c in cols if c["kind"] not in ("constant", "identifier", "text")
                  and not c.get("unique_estimated") and 2 <= c["unique"] <= SAME_INFO_LEVELS]
    for a, b, k in same_information(df, candidates):
        if frozenset((a, b)) not in named:  # the correlation warning names them already
            warnings.append({"columns": [a, b], "message":
                             f"{a} and {b} carry the same information: each of their {k} values "
                             "goes with exactly one value of the other (one is a relabelling "
                             "of the other); keep one of them"})
    named = {frozenset(w["columns"]) for w in warnings if len(w["columns"]) == 2}
    for a, b, rho in monotone_pairs(df, numeric):
        if frozenset((a, b)) not in named:
            warnings.append({"columns": [a, b], "message":
                             f"{a} and {b} carry the same information: one "
                             f"{'rises' if rho > 0 else 'falls'} with the other in lockstep "
                             f"(rank correlation {rho:.3f}), so one is a transform of the other "
                             "(a log, a rescaling); keep one of them"})
    if dups:
        warnings.append({"columns": [], "message": f"{dups} duplicate rows"})
    if target is not None and target in df.columns:
        tk = next(c["kind"] for c in cols if c["name"] == target)
        for w in target_warnings(df[target], tk):
            warnings.append({"columns": [target], "message": w})
    if target is not None and target in df.columns:  # missingness that goes with the target
        task = "regression" if tk == "numeric" and next(
            c["unique"] for c in cols if c["name"] == target) > 20 else "classes"
        tied = informative_missing(df, target, task,
                                   [c["name"] for c in cols if c["kind"] == "numeric"
                                    and c["missing"] and c["name"] != target])
        for c in cols:
            if c["name"] in tied:
                c["missing_informative"] = tied[c["name"]]
    return {"name": name, "rows": n_rows, "columns": int(df.shape[1]), "duplicate_rows": dups,
            "memory_bytes": int(df.memory_usage(deep=False).sum()),
            "columns_info": cols, "warnings": warnings, "correlations": corr}


def add_screening(prof: dict, df: pd.DataFrame, target: str, task: str | None = None) -> dict:
    """Add predictor screening to a profile made with ``target``: ``prof["screening"]`` (each
    column alone against the target, best first, :func:`kwk.data.screening.screen`),
    ``prof["screening_info"]`` (task, metric, rows, skipped columns, note) and a leakage
    warning per column that alone predicts the target almost perfectly. Returns ``prof``."""
    from kwk.data.screening import leakage_warnings, screen
    kinds = {c["name"]: c["kind"] for c in prof["columns_info"]}
    res = screen(df, target, task=task, kinds=kinds)
    prof["screening"] = res["columns"]
    prof["screening_info"] = {k: v for k, v in res.items() if k != "columns"}
    prof["warnings"].extend(leakage_warnings(res))
    return prof


def leakage_suspects(df: pd.DataFrame, target: str, features: list[str],
                     task: str | None = None, kinds: dict[str, str] | None = None) -> list[str]:
    """Features that alone predict the target almost perfectly, whatever their form: a copy, a
    monotone transform, a threshold or sign that gives the class, a category that determines
    it (:mod:`kwk.data.screening`). Messages, one per feature, naming it and the reason."""
    from kwk.data.screening import leak_message, screen
    res = screen(df, target, features=features, task=task, kinds=kinds)
    return [leak_message(r) for r in res["columns"] if r["leak"]]
