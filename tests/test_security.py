"""Security: formula-safe CSV downloads, safe model loading, no pickle, no path traversal,
runs kept apart per user."""
import json

import numpy as np
import pandas as pd
import pytest

from kwk.errors import KwkError
from kwk.data.safety import csv_safe
from kwk.runs.store import Store


def test_csv_downloads_neutralise_formulas():
    df = pd.DataFrame({"=cmd|'/c calc'!A0": ["=1+1", "+SUM(A1)", "-2+3", "@IMPORT", "\tx", "ok", None],
                       "n": [-1.5, 2, 3, 4, 5, 6, 7]})
    out = csv_safe(df)
    assert out.columns[0] == "'=cmd|'/c calc'!A0"
    assert out.iloc[:, 0].tolist()[:6] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@IMPORT", "'\tx", "ok"]
    assert pd.isna(out.iloc[6, 0])
    assert out["n"].tolist() == df["n"].tolist()  # numbers, including negatives, are untouched


def test_run_ids_and_file_names_cannot_escape_the_workspace(tmp_path):
    store = Store(tmp_path / "ws")
    for bad in ("../x", "..", "a/b", "", "x\\y", "/etc"):
        with pytest.raises(KwkError):
            store.run_dir(bad)
    (tmp_path / "ws" / "runs" / "abc").mkdir()
    assert store.file_bytes("abc", "../../runs.sqlite") is None
    assert store.file_bytes("abc", "/etc/passwd") is None


def test_evaluation_files_are_read_without_pickle(tmp_path):
    store = Store(tmp_path / "ws")
    d = tmp_path / "ws" / "runs" / "abc"
    d.mkdir()
    np.savez(d / "evaluation.npz", y=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        store.evaluation("abc")


def test_runs_of_one_user_are_invisible_to_another(tmp_path):
    import sqlite3
    store = Store(tmp_path / "ws")
    with sqlite3.connect(tmp_path / "ws" / "runs.sqlite") as db:
        db.execute("INSERT INTO runs (id, created, owner, metrics, spec) VALUES "
                   "('r1', '2026-01-01', 'ann', ?, ?)", (json.dumps({}), json.dumps({})))
    assert [r["id"] for r in store.list("ann")] == ["r1"]
    assert store.list("bob") == [] and store.list("") == []
    assert store.get("r1", "bob") is None and not store.delete("r1", "bob")
    assert store.get("r1", "ann") is not None


@pytest.mark.slow
def test_models_with_code_are_refused(tmp_path):
    """A model.keras holding a Lambda layer (arbitrary Python) is not loaded."""
    import keras

    from kwk.runs.bundle import load_bundle
    inp = keras.Input((2,))
    model = keras.Model(inp, keras.layers.Lambda(lambda x: x * 2)(inp))
    model.save(tmp_path / "model.keras")
    (tmp_path / "preprocess.json").write_text("{}")
    (tmp_path / "spec.json").write_text("{}")
    with pytest.raises(KwkError, match="contains Python code"):
        load_bundle(tmp_path)
