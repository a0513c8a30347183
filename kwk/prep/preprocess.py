"""Fitted preprocessing, stored as plain data so it is deterministic, saved with the model and
reproduced line for line by the generated script.

Per feature kind (statistics fitted on the training split only):
- numeric: coerce to numbers (text such as '?' and ±inf become missing), fill missing with the
  training median, standardise with the training mean and standard deviation;
- categorical / boolean: one 0/1 input per label seen in training (the ``MAX_CATEGORIES`` most
  frequent ones); missing or unseen labels give all zeros;
- datetime: days since 1970, month and day of week, each treated as numeric.
Targets: class labels -> integer codes (labels are kept as text); regression targets are
standardised for training and turned back into original units for predictions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from kwk.errors import DataError
from kwk.prep.series import parse_dates
from kwk.data.numbers import to_number  # noqa: F401  (the one number coercion)

MAX_CATEGORIES = 50
DATE_PARTS = ("days", "month", "dayofweek")


def number_levels(seen: set | None, x: pd.Series) -> set | None:
    """The distinct values of a number column accumulated over batches (``seen`` so far, then
    ``x``, numbers with NaN for missing) while they are whole numbers and at most
    :data:`kwk.data.kinds.MAX_LEVELS` of them (a code or a small count, whose training values
    are recorded so that a new value is flagged as unusual); None once they are not."""
    from kwk.data.kinds import MAX_LEVELS
    if seen is None:
        return None
    v = x.to_numpy(dtype=float, na_value=np.nan)
    v = np.unique(v[np.isfinite(v)])
    if len(v) > MAX_LEVELS or not np.all(v == np.floor(v)):
        return None
    seen = seen | {float(a) for a in v}
    return seen if len(seen) <= MAX_LEVELS else None


def _levels_text(levels: list) -> str:
    shown = [f"{v:g}" for v in levels[:10]]
    return ", ".join(shown) + (", …" if len(levels) > 10 else "")


def as_labels(s: pd.Series) -> pd.Series:
    """Canonical text labels: 1.0 -> '1', True -> 'True', text stripped, missing stays missing.
    The same value gives the same label whether its column was read as numbers, booleans or
    text. Vectorised: a typed column is labelled once per distinct value; of an object column,
    the text values are stripped at once and only the other values labelled one by one."""
    def one(v):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()

    def distinct(u):  # the labels of a typed column's distinct values (none missing)
        if pd.api.types.is_object_dtype(u.dtype):  # a category of mixed values
            return as_labels(pd.Series(u, dtype=object)).to_numpy(dtype=object)
        if pd.api.types.is_bool_dtype(u.dtype):
            return np.where(np.asarray(u, dtype=bool), "True", "False").astype(object)
        if pd.api.types.is_integer_dtype(u.dtype):
            return np.array(list(map(str, np.asarray(u).tolist())), dtype=object)
        if pd.api.types.is_float_dtype(u.dtype):
            x = np.asarray(u, dtype=np.float64)
            whole = np.isfinite(x) & (np.modf(x)[0] == 0)
            text = np.empty(len(x), dtype=object)
            text[~whole] = list(map(str, x[~whole].tolist()))
            text[whole] = list(map(str, map(int, x[whole].tolist())))
            return text
        if pd.api.types.is_string_dtype(u.dtype):
            return pd.Series(u).str.strip().to_numpy(dtype=object)
        return np.array([one(v) for v in u], dtype=object)

    dtype = s.dtype
    missing = s.isna().to_numpy()
    keep = ~missing
    if getattr(dtype, "kind", None) in ("m", "M") or isinstance(dtype, pd.PeriodDtype):
        empty = pd.NaT  # the missing marker the column had, as before
    elif isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA:
        empty = pd.NA
    else:
        empty = np.nan
    out = np.full(len(s), empty, dtype=object)
    if not keep.any():
        pass
    elif pd.api.types.is_object_dtype(dtype):
        values = s.to_numpy(dtype=object)
        out[missing] = values[missing]  # None stays None, NaN stays NaN
        if pd.api.types.infer_dtype(values[keep], skipna=False) == "string":
            text = keep
        else:  # mixed (1, 1.0 and True are equal keys, so no grouping): text at once
            text = np.fromiter((isinstance(v, str) for v in values), bool, len(values))
            out[keep & ~text] = [one(v) for v in values[keep & ~text]]
        codes, uniques = pd.factorize(values[text])
        out[text] = pd.Series(uniques, dtype=object).str.strip().to_numpy(dtype=object)[codes]
    else:
        if isinstance(dtype, pd.CategoricalDtype):
            codes, uniques = s.cat.codes.to_numpy(), dtype.categories
        else:
            codes, uniques = pd.factorize(s)
        out[keep] = distinct(uniques)[codes[keep]]
    return pd.Series(out, index=s.index, name=s.name, dtype=object)


def date_parts(s: pd.Series) -> pd.DataFrame:
    d = parse_dates(s)
    days = (d - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds() / 86400.0
    return pd.DataFrame({"days": days, "month": d.dt.month.astype(float),
                         "dayofweek": d.dt.dayofweek.astype(float)}, index=s.index)


def split_indices(y: pd.Series, task: str, validation_fraction: float, test_fraction: float,
                  seed: int, stratify: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Seeded train/validation/test split of row positions (stratified for classification
    when every class has enough rows). Returns ``(train, val, test, stratified)``."""
    from sklearn.model_selection import train_test_split
    idx = np.arange(len(y))
    labels = as_labels(y).to_numpy() if task != "regression" and stratify else None
    try:
        rest, test = train_test_split(idx, test_size=test_fraction, random_state=seed,
                                      stratify=labels)
        train, val = train_test_split(rest, test_size=validation_fraction / (1 - test_fraction),
                                      random_state=seed,
                                      stratify=None if labels is None else labels[rest])
        return train, val, test, labels is not None
    except ValueError:  # a class too rare to be split in proportion
        rest, test = train_test_split(idx, test_size=test_fraction, random_state=seed)
        train, val = train_test_split(rest, test_size=validation_fraction / (1 - test_fraction),
                                      random_state=seed)
        return train, val, test, False


# The words a split column may use for each role (as in JMP): case-insensitive.
ROLE_WORDS = {"train": "train", "training": "train", "0": "train",
              "validation": "validation", "valid": "validation", "val": "validation", "1": "validation",
              "test": "test", "testing": "test", "holdout": "test", "2": "test"}


def split_from_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row positions per role from a validation column (JMP style): train / validation / test,
    or 0 / 1 / 2. Raises DataError naming unknown values or a missing role."""
    labels = as_labels(values).str.lower()
    roles = labels.map(ROLE_WORDS)
    bad = labels[roles.isna()]
    if len(bad):
        shown = ", ".join(repr(v) for v in pd.unique(bad.fillna("(missing)"))[:5])
        raise DataError(f"The validation column '{values.name}' has values other than train / "
                        f"validation / test: {shown}.",
                        "Use train, validation and test (or 0, 1, 2) on every row.")
    out = tuple(np.flatnonzero((roles == r).to_numpy()) for r in ("train", "validation", "test"))
    for name, idx in zip(("train", "validation", "test"), out):
        if len(idx) == 0:
            raise DataError(f"The validation column '{values.name}' marks no row as {name}.",
                            "Mark some rows train, some validation and some test.")
    return out


def kfold_indices(y: pd.Series, task: str, k: int, seed: int) -> list[np.ndarray]:
    """``k`` disjoint folds covering every row exactly once (stratified for classification
    when classes allow it). Returns the row positions of each fold."""
    from sklearn.model_selection import KFold, StratifiedKFold
    idx = np.arange(len(y))
    if len(y) < k:
        raise DataError(f"{k}-fold cross-validation needs at least {k} rows; there are {len(y)}.",
                        "Use fewer folds.")
    if task != "regression":
        labels = as_labels(y).to_numpy()
        if pd.Series(labels).value_counts().min() >= k:
            return [te for _, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(idx, labels)]
    return [te for _, te in KFold(k, shuffle=True, random_state=seed).split(idx)]


def text_values(s):
    """Raw text for a text model, one per row: missing values become empty text."""
    return np.array([["" if pd.isna(v) else str(v)] for v in s], dtype=object).reshape(-1, 1)


def model_input(X):
    """What Keras is given: numbers as they are; texts as a string tensor (Keras refuses NumPy
    arrays of Python strings)."""
    if isinstance(X, np.ndarray) and X.dtype == object:
        import tensorflow as tf
        return tf.constant(X.astype(str))
    return X


class Preprocessor:
    """Feature and target encoding fitted on training rows. ``state`` is JSON-serialisable."""

    def __init__(self, state: dict):
        self.state = state

    # ---------------------------------------------------------------- fitting
    # Fitting is kwk.prep.stats.fit_preprocessor (the statistics live there, one way down).

    @classmethod
    def from_state(cls, state: dict) -> "Preprocessor":
        return cls(state)

    # ---------------------------------------------------------------- using
    @property
    def input_names(self) -> list[str]:
        """Names of the encoded inputs, in order (e.g. 'age', 'sex=female', 'date.month')."""
        out = []
        for col in self.state["columns"]:
            if "vocabulary" in col:  # a text branch: one word number per place
                out += [f"{col['name']}#{i + 1}" for i in range(col["length"])]
            elif col["kind"] in ("numeric", "text"):
                out.append(col["name"])
                if col.get("indicator"):  # informative missing: 1 where the value was missing
                    out.append(f"{col['name']}.missing")
            elif col["kind"] == "datetime":
                out += [f"{col['name']}.{p}" for p in DATE_PARTS]
            else:
                out += [f"{col['name']}={v}" for v in col["categories"]]
        return out

    @property
    def features(self) -> list[str]:
        return [c["name"] for c in self.state["columns"]]

    @property
    def task(self) -> str:
        return self.state["target"]["task"]

    @property
    def classes(self) -> list[str]:
        return self.state["target"].get("classes", [])

    @property
    def sequence(self) -> dict | None:
        return self.state.get("sequence")

    @property
    def forecasts_change(self) -> bool:
        """Time series whose network predicts the change from the window's last value (models
        saved before this option predict the value itself)."""
        return bool(self.sequence) and self.sequence.get("predict", "value") == "change"

    @property
    def relative_target_input(self) -> bool:
        """Forecasting the change with the target's past values as the first input: those
        inputs are taken relative to each window's last value (see series.relative_to_last)."""
        cols = self.state["columns"]
        return self.forecasts_change and bool(cols) and cols[0]["name"] == self.state["target"]["name"]

    @property
    def inputs(self) -> dict | None:
        """A mixed-input model: the columns of each branch (table, text, image), else None."""
        return self.state.get("inputs")

    @property
    def text(self) -> dict | None:
        return self.state.get("text")

    @property
    def needed_columns(self) -> list[str]:
        """The input columns plus, for time series, the time and series columns."""
        seq = self.sequence or {}
        extra = [c for c in (seq.get("time"), seq.get("group")) if c and c not in self.features]
        return [*self.features, *extra]

    def check_columns(self, df: pd.DataFrame) -> None:
        missing = [c for c in self.needed_columns if c not in df.columns]
        if missing:
            raise DataError(f"The data lacks {len(missing)} column(s) the model needs: "
                            f"{', '.join(missing[:10])}.",
                            "Use a file with the same column names as the training data.")

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Raw rows (original column names, missing values allowed) -> the model's input: a
        float32 matrix, one row per row (tables, pictures) or per complete look-back window
        (time series, see :meth:`forecast_windows`), or the texts (text models)."""
        if self.text:
            self.check_columns(df)
            return text_values(df[self.features[0]])
        if self.sequence:
            return self.forecast_windows(df)[0]
        return self.encode_rows(df)

    def forecast_windows(self, df: pd.DataFrame, with_targets: bool = False):
        """Time series: every complete look-back window of ``df`` (each series ordered by time)
        and the position in ``df`` of each window's last row; its forecast is for ``horizon``
        rows later. ``with_targets`` reads the windows as training did (rows without a target
        value left out) and adds the position of each window's target row (-1 when it lies
        beyond the data)."""
        from kwk.prep.series import (
            make_windows,
            prediction_windows,
            relative_to_last,
            series_ids,
            series_order,
        )
        self.check_columns(df)
        seq = self.sequence
        order, times = series_order(df, seq["time"], seq["group"])
        keep = ~np.isnan(times)
        target = self.state["target"]["name"]
        if target in self.features or with_targets:  # as in training, rows without a target
            y = df[target].iloc[order]  # value are skipped: a window's last value is the
            keep &= (to_number(y).notna() if self.task == "regression"  # latest known one
                     else y.notna()).to_numpy()
        order = order[keep]
        rows = df.iloc[order]
        ids = series_ids(rows, seq["group"])
        starts = prediction_windows(ids, seq["window"])
        X = make_windows(self.encode_rows(rows), starts, seq["window"])
        if self.relative_target_input:
            X = relative_to_last(X, seq["window"])
        ends = order[starts + seq["window"] - 1]
        if not with_targets:
            return X, ends
        t = starts + seq["window"] - 1 + seq["horizon"]
        inside = t < len(order)
        inside[inside] = ids[t[inside]] == ids[starts[inside]]
        return X, ends, np.where(inside, order[np.minimum(t, len(order) - 1)], -1)

    def input_groups(self) -> dict[str, list[int]]:
        """For each input column, the positions of its encoded values in one model input (a
        window repeats them at every step): what a permutation importance shuffles together."""
        groups, j = {}, 0
        for col in self.state["columns"]:
            width = (len(DATE_PARTS) if col["kind"] == "datetime" else len(col["categories"])
                     if col["kind"] in ("categorical", "boolean") else col["length"]
                     if "vocabulary" in col else 2 if col.get("indicator") else 1)
            groups[col["name"]] = list(range(j, j + width))
            j += width
        n, steps = j, (self.sequence or {}).get("window", 1)
        return {k: [s * n + i for s in range(steps) for i in v] for k, v in groups.items()}

    def encode_rows(self, df: pd.DataFrame) -> np.ndarray:
        """Encode raw rows (original column names, missing values allowed) -> float32 matrix."""
        self.check_columns(df)
        # Filled column by column into one float32 matrix: no list of blocks and no copies,
        # so encoding a chunk needs little more than the result.
        out = np.empty((len(df), len(self.input_names)), dtype=np.float32)
        j = 0
        for col in self.state["columns"]:
            s = df[col["name"]]
            if col["kind"] == "numeric":
                x = to_number(s)
                out[:, j] = scale(transformed(x, col), col)
                j += 1
                if col.get("indicator"):
                    out[:, j] = x.isna().to_numpy()
                    j += 1
            elif col["kind"] == "datetime":
                parts = date_parts(s)
                for p in DATE_PARTS:
                    out[:, j] = scale(parts[p], col["parts"][p])
                    j += 1
            elif "vocabulary" in col:  # a text branch: the first words as word numbers
                from kwk.prep.text import word_numbers
                out[:, j:j + col["length"]] = word_numbers(s.to_numpy(dtype=object),
                                                           col["vocabulary"], col["length"])
                j += col["length"]
            else:
                labels = as_labels(s).to_numpy()
                cats = np.array(col["categories"], dtype=object)
                out[:, j:j + len(cats)] = labels[:, None] == cats[None, :]
                j += len(cats)
        return out

    def unusual(self, df: pd.DataFrame) -> pd.Series:
        """Per row, what the model could not read as in training (empty when nothing): a label
        of a category column it never saw (or too rare to get its own input), text in a number
        column, a number none of the training rows had in a column that held only a few whole
        numbers (a store code 9 where training saw 1, 2, 3, 4, 7), an unreadable date. Such values are scored as if missing or as "other", so the
        prediction deserves a second look. Returns a string Series aligned with ``df``."""
        notes = [[] for _ in range(len(df))]
        for col in self.state["columns"]:
            s, name, kind = df[col["name"]], col["name"], col["kind"]
            shown = s
            if kind == "numeric":
                x = to_number(s, keep_inf=True)
                bad = (s.notna() & x.isna()).to_numpy()
                what = "is not a number"
                if (col.get("transform") or {}).get("name") == "log":
                    for i in np.flatnonzero((x <= 0).to_numpy() & ~bad):
                        notes[i].append(f"{name} = {x.iloc[i]:g} cannot be log-transformed "
                                        "(training values were all above 0); scored as missing")
                if col.get("levels"):  # a few whole numbers in training: a code or a count
                    new = (x.notna() & ~x.isin(col["levels"])).to_numpy()
                    for i in np.flatnonzero(new & ~bad):
                        notes[i].append(f"{name} = {x.iloc[i]:g} was never seen in training "
                                        f"(it held only {_levels_text(col['levels'])})")
            elif kind == "datetime":
                bad = (s.notna() & date_parts(s)["days"].isna()).to_numpy()
                what = "is not a date"
            elif kind in ("categorical", "boolean"):
                labels = as_labels(s)  # as training read them: a code 9.0 reads '9'
                shown = labels
                bad = (labels.notna() & ~labels.isin(col["categories"])).to_numpy()
                rare = col.get("n_labels_seen", 0) > len(col["categories"])
                what = "was rare or never seen in training" if rare else "was never seen in training"
            else:
                continue
            for i in np.flatnonzero(bad):
                notes[i].append(f"{name} = '{str(shown.iloc[i])[:40]}' {what}")
        return pd.Series(["; ".join(n) for n in notes], index=df.index, dtype=object)

    def encode_target(self, y: pd.Series) -> np.ndarray:
        t = self.state["target"]
        if t["task"] == "regression":
            v = to_number(y).to_numpy(dtype=float, na_value=np.nan)
            if t.get("transform"):  # the network learns the log; predictions are turned back
                from kwk.prep.transforms import TARGET_FUNCTIONS
                with np.errstate(all="ignore"):
                    v = TARGET_FUNCTIONS[t["transform"]](v)
            return ((v - t["mean"]) / t["std"]).astype(np.float32)
        index = {c: i for i, c in enumerate(t["classes"])}
        return as_labels(y).map(index).to_numpy(dtype=float).astype(np.int64)

    def decode_regression(self, pred: np.ndarray) -> np.ndarray:
        t = self.state["target"]
        z = np.asarray(pred, dtype=float).reshape(-1) * t["std"] + t["mean"]
        if t.get("transform"):  # back in the target's own units
            from kwk.prep.transforms import TARGET_INVERSES
            return TARGET_INVERSES[t["transform"]](z)
        return z


def transformed(x: pd.Series, st: dict) -> pd.Series:
    """A number column through its fitted transform (``st["transform"]``, see
    :mod:`kwk.prep.transforms`), or as it is when it has none; NaN stays missing."""
    if not st.get("transform"):
        return x
    from kwk.prep.transforms import apply_transform
    return pd.Series(apply_transform(x.to_numpy(dtype=float, na_value=np.nan), st["transform"]),
                     index=x.index)


def scale(x: pd.Series, st: dict) -> np.ndarray:
    """A number column as the network sees it: missing values filled with the training median
    (``st["fill"]``), then standardised with the training mean and spread -> float32 (n,)."""
    return ((x.fillna(st["fill"]).to_numpy(dtype=float) - st["mean"]) / st["std"]).astype(np.float32)
