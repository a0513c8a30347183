"""The task a target column asks for (binary, multiclass, regression) and its classes: a rule
about the data, used by the screening, the spec's resolution and the challenges alike."""
from __future__ import annotations

import pandas as pd

from kwk.data.numbers import to_number


def target_classes(y: pd.Series) -> list:
    """Sorted distinct non-missing values of a classification target."""
    vals = pd.unique(y.dropna())
    try:
        return sorted(vals.tolist())
    except TypeError:
        return sorted(vals.tolist(), key=str)


def infer_task(y: pd.Series, kind: str) -> tuple[str, str]:
    """Decide the task from the target column. Returns ``(task, one-sentence reason)``."""
    n_unique = int(y.nunique(dropna=True))
    name = y.name
    if kind == "boolean" or n_unique == 2:
        a, b = target_classes(y)[:2]
        return "binary", f"'{name}' has exactly two values ({a!s} and {b!s}), so this is a " \
                         "two-class (binary) classification."
    if kind == "numeric":
        num = to_number(y).dropna()
        whole = bool(len(num)) and bool((num == num.round()).all())
        if whole and n_unique <= 10 and n_unique < 0.05 * max(len(num), 1) + 3:
            return "multiclass", f"'{name}' holds only {n_unique} whole-number values, so they " \
                                 "are treated as classes (choose regression if they are amounts)."
        return "regression", f"'{name}' holds numbers with {n_unique} different values, so the " \
                             "model predicts a number (regression)."
    return "multiclass", f"'{name}' has {n_unique} different labels, so the model picks one of " \
                         "them (multiclass classification)."
