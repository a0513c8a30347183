"""Dataset profile: summary, per-column statistics and distributions, warnings, correlations.

``profile(df)`` returns a plain, JSON-serialisable dict (the CLI prints it; the Data page draws
it). It is built for speed: one pass per column with vectorised pandas/numpy; correlations are
computed on a sample of at most ``CORR_SAMPLE`` rows (the result says so).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from kwk.data.columns import (  # noqa: F401  (the names kwk.data.profile has always had)
    CORR_SAMPLE, DIST_SAMPLE, FILLED, HIGH_CARDINALITY, HIGH_CORR, MANY_MISSING,
    MONOTONE_MAX_COLUMNS, MONOTONE_RHO, MONOTONE_SAMPLE, RARE_SHARE, SAME_INFO_LEVELS,
    SKEW_LIMIT, SKEW_MIN_DISTINCT, column_card, finite_or_none, jsonable, numeric_values,
    rare_class, skew_suggestion, target_warnings)
from kwk.data.numbers import to_number


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
    x = np.column_stack([numeric_values(sub[c]).to_numpy(dtype=float, na_value=np.nan)
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
            "matrix": [[finite_or_none(v) for v in row] for row in m],
            "sampled_rows": int(len(sub))}


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
    x = pd.DataFrame({c: numeric_values(sub[c]).to_numpy(dtype=float, na_value=np.nan)
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
        cols = list(ex.map(lambda c: column_card(df[c], n_rows, kinds.get(str(c))), df.columns))
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
    prof = {"name": name, "rows": n_rows, "columns": int(df.shape[1]), "duplicate_rows": dups,
            "memory_bytes": int(df.memory_usage(deep=False).sum()),
            "columns_info": cols, "warnings": warnings, "correlations": corr}
    return with_target(prof, df, target, copy=False)


def with_target(prof: dict, df: pd.DataFrame, target: str | None, copy: bool = True) -> dict:
    """A table profile made without a target (:func:`profile_table`), with what the target
    adds: its warnings (rare classes, one value...) and each number column's informative
    missingness (``missing_informative``, :func:`informative_missing`). The rest does not
    depend on the target, so the app profiles a table once and calls only this when the target
    changes. ``copy``: leave ``prof`` as it is (the default) and return a new profile."""
    if target is None or target not in df.columns:
        return prof
    if copy:
        import copy as _copy
        prof = _copy.deepcopy(prof)
    cols, warnings = prof["columns_info"], prof["warnings"]
    card = next(c for c in cols if c["name"] == target)
    for w in target_warnings(df[target], card["kind"]):
        warnings.append({"columns": [target], "message": w})
    # missingness that goes with the target
    task = "regression" if card["kind"] == "numeric" and card["unique"] > 20 else "classes"
    tied = informative_missing(df, target, task,
                               [c["name"] for c in cols if c["kind"] == "numeric"
                                and c["missing"] and c["name"] != target])
    for c in cols:
        if c["name"] in tied:
            c["missing_informative"] = tied[c["name"]]
    return prof


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
