"""Preparation: the data and a spec -> :class:`Prepared`, everything training needs.

``prepare`` resolves the spec against a DataFrame, drops rows without a target, splits (seeded
holdout, the user's validation column, or chronologically for time series), fits the
preprocessing on the training rows and encodes every split. A file too large for memory is
prepared by :func:`kwk.prep.streamed.plan` into the same :class:`Prepared` type, with the rows
left on disk.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kwk.data.times import decimal_year_steps, parse_dates
from kwk.errors import DataError
from kwk.prep.preprocess import (
    Preprocessor,
    split_from_column,
    split_indices,
    to_number,
)
from kwk.prep.stats import fit_preprocessor
from kwk.spec import check_stack, resolve


@dataclass
class OnDisk:
    """Where a streamed :class:`Prepared` keeps its rows: a file read chunk by chunk (each
    chunk's rows go to train / validation / test by a seeded draw, the same on every pass)."""
    reader: object                        # kwk.data.chunks.ChunkReader
    class_counts: list = field(default_factory=list)  # training rows per class, class order
    sample_rows: pd.DataFrame | None = field(default=None, repr=False)  # first training rows


@dataclass
class Prepared:
    """Everything training needs, derived deterministically from (data, spec).

    In memory, ``X`` and ``y`` hold each split's encoded rows: ``X[split]`` a float32 matrix
    ``(rows, n_inputs)`` (look-back windows flattened for time series; an object array
    ``(rows, 1)`` of texts for text models) and ``y[split]`` class codes (int64) or
    standardised numbers (float32). Streamed (``disk`` set), ``X`` and ``y`` are empty and the
    rows stay in the file; ``counts`` says how many rows each split has either way.
    """
    spec: dict                 # resolved spec
    notes: list[str]
    pre: Preprocessor
    X: dict = field(default_factory=dict)     # split name -> model input
    y: dict = field(default_factory=dict)     # split name -> encoded target
    rows: dict = field(default_factory=dict)  # split name -> row positions in the data
    stratified: bool = False
    shapes: list[dict] = field(default_factory=list)
    source: pd.DataFrame | None = field(default=None, repr=False)  # the data as given
    work: pd.DataFrame | None = field(default=None, repr=False)    # rows with a target
    extra: dict = field(default_factory=dict)  # time series: "naive" forecasts per split
    counts: dict = field(default_factory=dict)  # split name -> rows (windows for series)
    disk: OnDisk | None = None                  # streamed: the file the rows stay in
    twins: dict | None = None  # test rows repeating training rows (kwk.prep.twins.split_twins)

    def __post_init__(self):
        if not self.counts:
            self.counts = {k: int(len(v)) for k, v in self.y.items()}

    @property
    def task(self) -> str:
        return self.spec["data"]["task"]

    @property
    def n_classes(self) -> int:
        return len(self.pre.classes) or 1

    @property
    def n_inputs(self) -> int:
        """Width of one model input row."""
        return int(self.X["train"].shape[1]) if "train" in self.X else len(self.pre.input_names)

    @property
    def streamed(self) -> bool:
        return self.disk is not None

    @property
    def class_counts(self) -> list[int]:
        """Training rows per class, in class order (classification)."""
        if self.disk is not None:
            return list(self.disk.class_counts)
        return np.bincount(self.y["train"].astype(int), minlength=self.n_classes).tolist()


MIN_ROWS = 10


def prepare(df: pd.DataFrame, spec: dict, kinds: dict | None = None) -> Prepared:
    """Resolve ``spec`` against ``df``, drop rows without a target, split (seeded holdout, or
    the user's validation column), fit preprocessing on the training rows and encode every
    split. Raises SpecError/DataError with clear text."""
    spec, notes = resolve(spec, df, kinds)
    d, tr = spec["data"], spec["training"]
    if tr.get("mixed_precision"):  # asked for, but only a GPU with tensor cores has it
        from kwk.devices import MIXED_PRECISION_NOTE, mixed_precision_policy
        if mixed_precision_policy(tr) is None:
            notes.append(MIXED_PRECISION_NOTE)
    y = df[d["target"]]
    keep = y.notna()
    if d["task"] == "regression":
        keep &= to_number(y).notna()
    n_drop = int((~keep).sum())
    if n_drop:
        notes.append(f"{n_drop} row(s) without a usable target value were left out.")
    work = df.loc[keep]
    check_numbers(work, spec, notes)
    if len(work) < MIN_ROWS:
        raise DataError(f"Only {len(work)} rows have a target value; at least {MIN_ROWS} are "
                        "needed to train and test a model.", "Use a larger dataset.")
    if d.get("sequence"):
        return prepare_series(df, work, spec, notes)
    if tr["validation"] == "column":
        tr_i, va_i, te_i = split_from_column(work[d["validation_column"]])
        strat = False
        notes.append(f"Split taken from the column '{d['validation_column']}': {len(tr_i)} "
                     f"train, {len(va_i)} validation, {len(te_i)} test rows.")
    else:
        tr_i, va_i, te_i, strat = split_indices(work[d["target"]], d["task"],
                                                tr["validation_fraction"], tr["test_fraction"],
                                                tr["seed"], tr["stratify"])
        if d["task"] != "regression" and tr["stratify"] and not strat:
            notes.append("Some classes are too rare to keep their proportions in every split; "
                         "the split is random instead of stratified.")
    return encode_split(df, work, spec, notes, (tr_i, va_i, te_i), strat)


FLOAT32_MAX = 3.4e38


def check_numbers(work: pd.DataFrame, spec: dict, notes: list[str]) -> None:
    """Infinite values become missing (with a note); numbers beyond what the model's 32-bit
    arithmetic holds are refused, naming the column and the row."""
    d = spec["data"]
    cols = [c for c in d["features"] if d["kinds"].get(c) == "numeric"]
    if d["task"] == "regression":
        cols.append(d["target"])
    for c in cols:
        s = work[c]
        v = to_number(s, keep_inf=True).to_numpy(dtype=float, na_value=np.nan)
        n_inf = int(np.isinf(v).sum())
        if n_inf:
            notes.append(f"Column '{c}' has {n_inf} infinite value(s) (inf or -inf); they are "
                         "treated as missing" + (" and filled with the training median."
                                                 if c != d["target"] else " and those rows left out."))
        finite = np.where(np.isfinite(v), np.abs(v), 0.0)
        if finite.size and finite.max() > FLOAT32_MAX:
            i = int(np.argmax(finite))
            raise DataError(
                f"Column '{c}' holds a number too large for a neural network ({v[i]:.3g} in data "
                f"row {work.index[i] + 1 if isinstance(work.index[i], (int, np.integer)) else i + 1}"
                "); the model computes with 32-bit numbers, which stop at about 3.4e38.",
                f"Rescale the column (e.g. divide it by a power of ten or take its logarithm), "
                f"mark such values as missing, or leave '{c}' out of the inputs.")


def encode_split(df: pd.DataFrame, work: pd.DataFrame, spec: dict, notes: list[str],
                 split: tuple, stratified: bool) -> Prepared:
    """Fit preprocessing on ``work``'s training positions and encode the three parts."""
    d = spec["data"]
    parts = {k: work.iloc[i] for k, i in zip(("train", "validation", "test"), split)}
    if d.get("text"):  # the vocabulary and the Embedding sized from the training texts
        from kwk.prep.text import sized_text, text_column
        spec, note = sized_text(spec, parts["train"][text_column(spec)])
        notes += [note] if note else []
        d = spec["data"]
    pre = fit_preprocessor(parts["train"], spec)
    if d["task"] != "regression" and len(pre.classes) < 2:
        raise DataError("The training split holds a single class.",
                        "Use more rows, or a target whose classes are less rare.")
    X = {k: pre.transform(v) for k, v in parts.items()}
    Y = {k: pre.encode_target(v[d["target"]]) for k, v in parts.items()}
    if d["task"] != "regression":
        for k, v in Y.items():  # classes unseen in training cannot be scored
            ok = v >= 0
            if not ok.all():
                X[k], Y[k], parts[k] = X[k][ok], v[ok], parts[k][ok]
                notes.append(f"{int((~ok).sum())} {k} row(s) have a class never seen in training "
                             "and were left out of that split.")
    shapes = check_stack(spec, X["train"].shape[1], len(pre.classes) or 1)
    twins = _twins(work, d, split, spec["training"]["seed"], notes)
    return Prepared(spec=spec, notes=notes, pre=pre, X=X, y=Y,
                    rows={k: df.index.get_indexer(v.index) for k, v in parts.items()},
                    stratified=stratified, shapes=shapes, source=df, work=work, twins=twins)


def _twins(work: pd.DataFrame, d: dict, split: tuple, seed: int, notes: list[str]) -> dict | None:
    """How many test rows repeat a training row's inputs exactly; a note when far more than
    chance (a split that leaks repeated people or things, :mod:`kwk.prep.twins`)."""
    from kwk.prep.twins import split_twins, twins_note
    cols = [c for c in (d.get("features") or []) if c in work.columns]
    twins = split_twins(work[cols], split[0], split[2], seed)
    note = twins_note(twins)
    if note:
        notes.append(note)
    return twins


def prepare_series(df: pd.DataFrame, work: pd.DataFrame, spec: dict, notes: list[str]) -> Prepared:
    """Time series: order each series by time, split the periods chronologically, fit the
    preprocessing on the training period and cut every series into look-back windows; a window
    belongs to the split of its target's time, so no model sees the period it is tested on.

    The stages: the rows ordered and checked (:func:`_series_rows`), the periods and windows,
    the preprocessing fitted on the training period, the targets (:func:`_series_targets`: the
    change from the window's last value, or the value), the three splits
    (:func:`_series_splits`) and the note saying what they hold."""
    from kwk.prep.series import (chronological_roles, make_windows, series_ids,
                                 window_positions)
    d, tr = spec["data"], spec["training"]
    seq = d["sequence"]
    w, h = seq["window"], seq["horizon"]
    rows, times, groups = _series_rows(work, seq, notes)
    roles = chronological_roles(times, tr["validation_fraction"], tr["test_fraction"])
    starts, targets = window_positions(series_ids(rows, seq["group"]), w, h)
    if len(starts) < MIN_ROWS:
        raise DataError(f"Only {len(starts)} look-back windows of {w} rows (plus a horizon of {h}) "
                        f"fit in the series; at least {MIN_ROWS} are needed.",
                        "Use a shorter window or horizon, or more rows per series.")
    pre = fit_preprocessor(rows[roles == 0], spec)
    X_all = make_windows(pre.encode_rows(rows), starts, w)
    values = to_number(rows[d["target"]]).to_numpy()
    last = values[starts + w - 1]  # naive: the latest value
    role = roles[targets]
    X_all, y_all = _series_targets(pre, rows, d["target"], X_all, values, last, targets, role, w)
    X, Y, pos, naive = _series_splits(df, rows, X_all, y_all, last, targets, role)
    t0 = rows[seq["time"]].iloc[targets[role == 2]]
    first = t0.iloc[0]
    if decimal_year_steps(rows[seq["time"]]):  # R's decimal years: the month they stand for
        first = parse_dates(t0.iloc[:1]).iloc[0].strftime("%b %Y")
    notes.append(f"{len(starts):,} windows: {len(Y['train']):,} train, {len(Y['validation']):,} "
                 f"validation, {len(Y['test']):,} test (targets from {first!s} on"
                 + (f", across {len(set(groups))} series" if groups is not None else "") + ").")
    shapes = check_stack(spec, X["train"].shape[1], 1)
    return Prepared(spec=spec, notes=notes, pre=pre, X=X, y=Y, rows=pos, stratified=False,
                    shapes=shapes, source=df, work=rows, extra={"naive": naive})


def _series_rows(work: pd.DataFrame, seq: dict,
                 notes: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """The rows in series and time order, their times and series labels (None without a
    series column). Rows with no series or no readable time are left out with a note; more
    than half unreadable times, or one time twice in a series, is refused."""
    from kwk.prep.series import (duplicate_time, empty_series, series_labels, series_order,
                                 unreadable_times)
    order, times = series_order(work, seq["time"], seq["group"])
    no_series = np.zeros(len(order), dtype=bool)
    if seq["group"]:
        no_series = series_labels(work[seq["group"]]).isna().to_numpy()[order]
        if no_series.all():
            raise empty_series(seq)
        if no_series.any():
            notes.append(f"{int(no_series.sum())} row(s) with no value in the series column "
                         f"'{seq['group']}' were left out.")
    ok = ~np.isnan(times)
    bad_time = ~ok & ~no_series
    if bad_time.sum() > 0.5 * (~no_series).sum():
        bad = work[seq["time"]].iloc[order[bad_time]].dropna().astype(str).unique()[:3]
        raise unreadable_times(seq, list(bad), int(bad_time.sum()), int((~no_series).sum()))
    if bad_time.any():
        notes.append(f"{int(bad_time.sum())} row(s) with a missing or unreadable time in "
                     f"'{seq['time']}' were left out.")
    order, times = order[ok], times[ok]
    rows = work.iloc[order]
    groups = series_labels(rows[seq["group"]]).to_numpy() if seq["group"] else None
    dup = pd.DataFrame({"g": groups if groups is not None else 0, "t": times}).duplicated()
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        raise duplicate_time(seq, groups[i] if groups is not None else None,
                             rows[seq["time"]].iloc[i])
    return rows, times, groups


def _series_targets(pre, rows: pd.DataFrame, target: str, X_all: np.ndarray,
                    values: np.ndarray, last: np.ndarray, targets: np.ndarray,
                    role: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """The windows and what the network learns for each. Forecasting the change: the change
    from the window's last value, standardised with the training windows' changes (so
    predictions are that last value plus the change), the inputs made relative to the last
    value when the preprocessing says so. Else the encoded target value."""
    from kwk.prep.series import relative_to_last
    if not pre.forecasts_change:
        return X_all, pre.encode_target(rows[target].iloc[targets])
    change = values[targets] - last
    train_change = change[role == 0]
    if train_change.size:
        pre.state["target"].update(mean=float(train_change.mean()),
                                   std=float(train_change.std()) or 1.0)
    t = pre.state["target"]
    y_all = ((change - t["mean"]) / t["std"]).astype(np.float32)
    if pre.relative_target_input:
        X_all = relative_to_last(X_all, w)
    return X_all, y_all


def _series_splits(df: pd.DataFrame, rows: pd.DataFrame, X_all: np.ndarray,
                   y_all: np.ndarray, last: np.ndarray, targets: np.ndarray,
                   role: np.ndarray) -> tuple[dict, dict, dict, dict]:
    """The windows of each split (by their target's period): inputs, targets, the source
    rows of their targets and the naive forecast (the window's last value). A split with no
    window is refused."""
    X, Y, pos, naive = {}, {}, {}, {}
    for r, k in enumerate(("train", "validation", "test")):
        m = role == r
        if not m.any():
            raise DataError(f"No complete window has its target in the {k} period.",
                            "Use a shorter window or horizon, or a larger "
                            f"{'test' if k == 'test' else 'validation'} fraction.")
        X[k], Y[k], naive[k] = X_all[m], y_all[m], last[m]
        pos[k] = df.index.get_indexer(rows.index[targets[m]])
    return X, Y, pos, naive
