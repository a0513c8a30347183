"""Preprocessing statistics accumulated batch by batch, and the :class:`Preprocessor` state laid
out from them in one place.

``fit_preprocessor`` feeds the training rows in memory as one batch (exact statistics); a
streamed plan feeds the training rows of a file chunk by chunk (exact counts, means and
spreads; medians from a bounded reservoir sample). Both build the state with
:class:`StateBuilder`, so the two can only differ where a statistic is sampled.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd

from kwk.data.sampling import Reservoir
from kwk.errors import DataError
from kwk.prep.preprocess import (DATE_PARTS, MAX_CATEGORIES, Preprocessor, as_labels,
                                  date_parts, number_levels, to_number)

RESERVOIR = 20_000  # values kept per numeric column of a streamed plan, for its median


def number_stats(x: pd.Series) -> dict:
    """Missing values filled with the median, then the mean and standard deviation (ddof 0)
    of the filled column: ``{"fill", "mean", "std"}`` (std 1.0 for a constant column)."""
    fill = float(x.median()) if x.notna().any() else 0.0
    filled = x.fillna(fill)
    std = float(filled.std(ddof=0))
    return {"fill": fill, "mean": float(filled.mean()), "std": std if std > 0 else 1.0}


class ExactNumbers:
    """Every value kept (data in memory): the statistics are computed on the whole column."""
    exact_median = True

    def __init__(self):
        self._parts: list[pd.Series] = []

    def add(self, x: pd.Series) -> None:
        """``x``: numbers, missing as NaN."""
        self._parts.append(x)

    def _values(self) -> pd.Series:
        return self._parts[0] if len(self._parts) == 1 else pd.concat(self._parts)

    @property
    def count(self) -> int:
        return int(sum(p.notna().sum() for p in self._parts))

    def state(self) -> dict:
        return number_stats(self._values())

    def moments(self) -> tuple[float, float]:
        """Mean and standard deviation (ddof 0) of the values present (not filled)."""
        x = self._values()
        return float(x.mean()), float(x.std(ddof=0))


class StreamedNumbers:
    """Count, sum and sum of squares of the values present, and a reservoir sample of them for
    the median (data streamed in chunks)."""

    def __init__(self, seed: int, size: int = RESERVOIR):
        self.count = self.missing = 0
        self.total = self.squares = 0.0
        self.reservoir = Reservoir(size, seed)

    def add(self, x: pd.Series) -> None:
        v = x.to_numpy(dtype=float, na_value=np.nan)
        ok = v[~np.isnan(v)]
        self.missing += int(len(v) - len(ok))
        self.count += len(ok)
        self.total += float(ok.sum())
        self.squares += float((ok * ok).sum())
        self.reservoir.add(ok)

    @property
    def exact_median(self) -> bool:
        return not self.reservoir.full

    def state(self) -> dict:
        """As :func:`number_stats`: the median fills missing values, and the mean and standard
        deviation are those of the filled column."""
        sample = self.reservoir.sample
        fill = float(np.median(sample)) if sample is not None and len(sample) else 0.0
        total_n = self.count + self.missing
        if total_n == 0:
            return {"fill": 0.0, "mean": 0.0, "std": 1.0}
        mean = (self.total + self.missing * fill) / total_n
        var = (self.squares + self.missing * fill * fill) / total_n - mean * mean
        std = math.sqrt(max(var, 0.0))
        tiny = 1e-12 * max(1.0, abs(mean))  # rounding noise of a constant column
        return {"fill": fill, "mean": mean, "std": std if std > tiny else 1.0}

    def moments(self) -> tuple[float, float]:
        n = max(self.count, 1)
        mean = self.total / n if self.count else 0.0
        return mean, math.sqrt(max(self.squares / n - (self.total / n) ** 2, 0.0))


class Labels:
    """How often each label (as :func:`as_labels` writes it) was seen."""

    def __init__(self):
        self.counts: Counter = Counter()

    def add(self, s: pd.Series) -> None:
        self.counts.update(as_labels(s).value_counts().to_dict())

    def top(self, n: int) -> list[str]:
        """The ``n`` most frequent labels (ties in label order)."""
        vc = self.counts
        return [str(v) for v in sorted(vc, key=lambda v: (-vc[v], v))[:n]]


class Words:
    """How often each word of a text column was seen (a mixed-input model's text branch)."""

    def __init__(self):
        self.counts: Counter = Counter()

    def add(self, s: pd.Series) -> None:
        from kwk.prep.text import text_words
        for t in s:
            self.counts.update(text_words(t))

    def vocabulary(self, max_tokens: int) -> list[str]:
        """As :func:`kwk.prep.text.fit_vocabulary`: most frequent first, ties alphabetical."""
        from kwk.prep.text import top_words
        return top_words(self.counts, max_tokens)


class StateBuilder:
    """The preprocessing state of a resolved spec, accumulated over training rows fed with
    :meth:`add` (one DataFrame, or many chunks). ``sample_seed`` None keeps every number
    (exact, data in memory); an int estimates medians from a seeded reservoir sample."""

    def __init__(self, spec: dict, sample_seed: int | None = None):
        data = self.data = spec["data"]

        def numbers():
            return ExactNumbers() if sample_seed is None else StreamedNumbers(sample_seed)
        self.columns: dict = {}
        self.levels: dict = {}  # a numeric column's few whole values (not for pixels)
        pixels = (data.get("inputs") or {}).get("image", data["features"]) \
            if data.get("image_shape") else ()
        for c in data["features"]:
            kind = data["kinds"][c]
            if kind == "numeric":
                self.columns[c] = numbers()
                if c not in pixels:
                    self.levels[c] = set()
            elif kind in ("categorical", "boolean"):
                self.columns[c] = Labels()
            elif kind == "datetime":
                self.columns[c] = {p: numbers() for p in DATE_PARTS}
            elif kind == "text" and c in (data.get("inputs") or {}).get("text", ()):
                self.columns[c] = Words()  # a text branch: its words become numbers
            elif kind == "text" and data.get("text"):
                self.columns[c] = None
            else:
                raise DataError(f"Column '{c}' has kind '{kind}', which cannot be a model input.")
        self.target = numbers() if data["task"] == "regression" else Labels()
        # Transforms (kwk.prep.transforms) are fitted on the training column, then the column's
        # statistics are taken on the transformed values: in memory only.
        self.transforms = dict(data.get("transforms") or {})
        from kwk.prep.transforms import flag_columns
        self.indicators = set(flag_columns(data.get("missing_indicators")))
        self.target_transform = data.get("target_transform")
        self.seed = int((spec.get("training") or {}).get("seed", 0))
        if sample_seed is not None and (self.transforms or self.target_transform):
            raise DataError("Column transforms (data.transforms, data.target_transform) need the "
                            "training rows in memory; a streamed file cannot be fitted in one "
                            "pass.", "Train without --stream, or remove the transforms.")

    def add(self, rows: pd.DataFrame) -> "StateBuilder":
        """Account for more training rows (original column names, missing values allowed)."""
        for c, acc in self.columns.items():
            if isinstance(acc, dict):
                parts = date_parts(rows[c])
                for p in DATE_PARTS:
                    acc[p].add(parts[p])
            elif isinstance(acc, (Labels, Words)):
                acc.add(rows[c])
            elif acc is not None:
                x = to_number(rows[c])
                acc.add(x)
                if c in self.levels:
                    self.levels[c] = number_levels(self.levels[c], x)
        y = rows[self.data["target"]]
        self.target.add(y if isinstance(self.target, Labels) else to_number(y))
        return self

    @property
    def exact_medians(self) -> bool:
        """False when some median was estimated from a sample."""
        accs = [a for v in self.columns.values()
                for a in (v.values() if isinstance(v, dict) else [v])]
        return all(a.exact_median for a in accs if hasattr(a, "exact_median"))

    @property
    def class_counts(self) -> list[int]:
        """Training rows per class, in class order (classification)."""
        vc = self.target.counts if isinstance(self.target, Labels) else {}
        return [int(vc[c]) for c in sorted(vc)]

    def state(self) -> dict:
        """The JSON-serialisable state :class:`kwk.prep.preprocess.Preprocessor` reads."""
        data = self.data
        inputs = data.get("inputs") or {}
        pixels = set(inputs.get("image", ())) if inputs else None
        cols = []
        for c, acc in self.columns.items():
            kind = data["kinds"][c]
            if kind == "numeric":
                st = acc.state()
                if c in self.transforms:  # fitted on the training values, stats taken after
                    from kwk.prep.transforms import apply_transform, fit_transform
                    raw = acc._values().to_numpy(dtype=float, na_value=np.nan)
                    t = fit_transform(raw, self.transforms[c], self.seed)
                    st = {**number_stats(pd.Series(apply_transform(raw, t))), "transform": t}
                if c in self.indicators:
                    st["indicator"] = True
                if data.get("image_shape") and (pixels is None or c in pixels):
                    st.update(mean=0.0, std=1.0)  # pixels are scaled inside the model
                if self.levels.get(c):
                    st["levels"] = sorted(self.levels[c])
                cols.append({"name": c, "kind": kind, **st})
            elif isinstance(acc, Words):
                cols.append({"name": c, "kind": kind,
                             "vocabulary": acc.vocabulary(data["text"]["max_tokens"]),
                             "length": data["text"]["sequence_length"]})
            elif isinstance(acc, Labels):
                cols.append({"name": c, "kind": kind, "categories": acc.top(MAX_CATEGORIES),
                             "n_labels_seen": len(acc.counts)})
            elif kind == "datetime":
                cols.append({"name": c, "kind": kind,
                             "parts": {p: acc[p].state() for p in DATE_PARTS}})
            else:
                cols.append({"name": c, "kind": kind})
        target = {"name": data["target"], "task": data["task"]}
        if data["task"] == "regression":
            if self.target.count < 2:
                raise DataError(f"The target '{data['target']}' has fewer than two numeric values.")
            if self.target_transform:  # standardised on its log; predictions turned back
                from kwk.prep.transforms import TARGET_FUNCTIONS
                v = self.target._values().to_numpy(dtype=float, na_value=np.nan)
                with np.errstate(all="ignore"):
                    z = TARGET_FUNCTIONS[self.target_transform](v[np.isfinite(v)])
                mean, std = float(np.mean(z)), float(np.std(z))
                target["transform"] = self.target_transform
            else:
                mean, std = self.target.moments()
            target.update(mean=mean, std=std or 1.0)
        else:
            target["classes"] = sorted(self.target.counts)
        state = {"columns": cols, "target": target}
        for key in ("sequence", "text"):
            if data.get(key) and not inputs:  # a text branch is not a text model
                state[key] = dict(data[key])
        if inputs:
            state["inputs"] = {k: list(v) for k, v in inputs.items()}
        return state


def fit_preprocessor(df: pd.DataFrame, spec: dict) -> Preprocessor:
    """A :class:`Preprocessor` fitted on the training rows ``df`` of a resolved spec (every
    statistic exact: the rows go in as one batch)."""
    return Preprocessor(StateBuilder(spec).add(df).state())
