"""Test rows that repeat training rows: a split that leaks the same people or things.

A table of repeated measurements (the same patient every year, the same shop every week) put
through a random split has most test rows' inputs also among the training rows, and a model
can then score by *recognising* them (a lookup of each one's past outcomes) rather than by
learning something that carries over to new ones. Trees do this readily; the test score then
says little about new people.

Some twins are innocent: in a table of a few categories every combination repeats, and a
model that has seen each one is exactly what is wanted. So the share of test rows with a twin
among the training rows is compared with the share that chance gives when each input column is
shuffled on its own among the training rows (which keeps every column's values, but not which
values go together). Only many more twins than chance mean repeated rows of one thing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MIN_SHARE = 0.2        # at least this share of test rows have a twin ...
OVER_CHANCE = 0.15     # ... and this much more than chance gives
MIN_TEST_ROWS = 30     # fewer test rows than this tell nothing
MAX_ROWS = 500_000     # rows hashed per part at most (a random sample above)


def _hashes(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def split_twins(features: pd.DataFrame, train: np.ndarray, test: np.ndarray,
                seed: int = 0) -> dict | None:
    """``features``: the input columns of the rows that have a target; ``train`` and ``test``:
    row positions. Returns ``{"test_share", "chance_share", "flagged"}`` (shares of test rows
    with an exact twin among the training rows, for real and with every column shuffled on
    its own; None when the real share is too small to matter), or None when there is nothing
    to tell (no columns, too few test rows)."""
    if features.shape[1] == 0 or len(test) < MIN_TEST_ROWS or len(train) == 0:
        return None
    rng = np.random.default_rng(seed)
    if len(train) > MAX_ROWS:
        train = rng.choice(train, MAX_ROWS, replace=False)
    if len(test) > MAX_ROWS:
        test = rng.choice(test, MAX_ROWS, replace=False)
    tr = features.iloc[train].reset_index(drop=True)
    te = _hashes(features.iloc[test].reset_index(drop=True))
    real = float(np.isin(te, _hashes(tr)).mean())
    if real < MIN_SHARE:  # too few twins to matter: chance need not be measured
        return {"test_share": round(real, 4), "chance_share": None, "flagged": False}
    shuffled = pd.DataFrame({c: tr[c].to_numpy()[rng.permutation(len(tr))] for c in tr.columns})
    chance = float(np.isin(te, _hashes(shuffled)).mean())
    return {"test_share": round(real, 4), "chance_share": round(chance, 4),
            "flagged": bool(real >= MIN_SHARE and real - chance >= OVER_CHANCE)}


def twins_note(twins: dict | None) -> str | None:
    """The sentence a flagged split gets (in the notes, on Evaluate and in the report)."""
    if not twins or not twins.get("flagged"):
        return None
    return (f"{twins['test_share']:.0%} of the test rows have an exact twin among the training "
            f"rows (the same value in every input column), far more than chance gives "
            f"({twins['chance_share']:.0%}): the table probably holds repeated rows of the same "
            "people or things, and a random split lets a model score by recognising them. The "
            "test score then overstates how it does on new ones; gradient boosting gains most "
            "from this. If a column identifies them (a person or site ID), add a validation "
            "column that puts each one's rows in a single part (train, validation or test) and "
            "choose it as the validation on the Train page (in a spec: training.validation = "
            "\"column\").")
