"""The Predict & export page's downloads: the raw-input model (built when the page opens), the
other formats and the run folder built when picked; a time-series run says why it has no
stand-alone export."""
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash, texts
from testutil import tiny_spec

pytest.importorskip("onnxruntime")


def _save_run(df, spec):
    """Train a tiny run and save it in the test's workspace, as the Train page would."""
    from kwk.runs.service import DataSource, save_run
    from kwk.runs.store import Store
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    r = Job(prepare(df, spec)).run()
    return save_run(r, DataSource(name="data.csv", fmt="csv", fingerprint="fp", path="data.csv"),
                    store=Store())


def _table(n=150):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"size": rng.normal(10, 2, n), "colour": rng.choice(["red", "blue"], n)})
    df["y"] = np.where(df["size"] + (df["colour"] == "red") > 10.5, "big", "small")
    df.loc[::9, "colour"] = None
    return df


@pytest.fixture
def built(monkeypatch):
    """What the page's downloads were built from: {format: (file name, bytes, message)}."""
    import kwk.export
    import kwk.runs.bundle
    seen, export_bytes, zip_run = {}, kwk.export.export_bytes, kwk.runs.bundle.zip_run

    def spy_export(run_dir, fmt):
        seen[fmt] = export_bytes(run_dir, fmt)
        return seen[fmt]

    def spy_zip(run_dir):
        seen["run"] = ("kwk_run.zip", zip_run(run_dir), "")
        return seen["run"][1]
    monkeypatch.setattr(kwk.export, "export_bytes", spy_export)
    monkeypatch.setattr(kwk.runs.bundle, "zip_run", spy_zip)
    return seen


def _download_labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def test_the_model_download_takes_raw_columns_and_other_formats_build_when_picked(built):
    _save_run(_table(), tiny_spec("y", epochs=1))
    at = goto(app(), "6_predict")
    assert "original columns by name" in texts(at) and "encoded feature matrix" not in texts(at)
    assert "⬇️ model.keras" in _download_labels(at)  # the raw-input model, ready at once
    assert "raw columns in (size, colour)" in texts(at)
    with zipfile.ZipFile(io.BytesIO(built["keras"][1])) as z:
        meta = json.loads(z.read("metadata.json"))["kwk"]
    assert meta["classes"] == ["big", "small"]
    assert [i["name"] for i in meta["inputs"]] == ["size", "colour"]
    pick = at.pills[0]
    pick.set_value(["keras", "onnx", "run", "notebook"]).run()
    no_crash(at)
    assert {"⬇️ model.onnx.zip", "⬇️ kwk_run.zip", "⬇️ train.ipynb"} <= set(_download_labels(at))
    assert "cannot carry the string preprocessing" in texts(at)  # categories: core + recipe
    names = zipfile.ZipFile(io.BytesIO(built["run"][1])).namelist()
    assert {n.split("/", 1)[1] for n in names} >= {"model.keras", "preprocess.json", "spec.json"}


def test_a_time_series_run_explains_that_only_the_run_folder_is_offered(built):
    n = 80
    df = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
                       "y": np.sin(np.arange(n) / 4) * 10 + 50})
    spec = {"data": {"target": "y", "sequence": {"time": "day", "group": None, "window": 4,
                                                 "horizon": 1}},
            "layers": [{"type": "Flatten"}], "training": {"epochs": 1}}
    _save_run(df, spec)
    at = goto(app(), "6_predict")
    # no stand-alone model: the run folder and the notebook only
    assert [o.content for o in at.pills[0].proto.options] == ["Run folder (zip)",
                                                              "Notebook (.ipynb)"]
    assert "not exported as a stand-alone model" in texts(at)
    assert not [b for b in _download_labels(at) if b.startswith("⬇️")]


def test_a_built_download_stays_offered_when_its_pill_is_clicked_again(built):
    """Clicking the already chosen 'Model (.keras)' pill again used to remove its download."""
    _save_run(_table(), tiny_spec("y", epochs=1))
    at = goto(app(), "6_predict")
    assert "⬇️ model.keras" in _download_labels(at)
    at.pills[0].set_value(["run"]).run()  # keras clicked off, the run folder on
    no_crash(at)
    assert {"⬇️ model.keras", "⬇️ kwk_run.zip"} <= set(_download_labels(at))
    assert at.pills[0].value == ["keras", "run"]
    at.pills[0].set_value([]).run()  # everything clicked off: nothing is taken away
    assert {"⬇️ model.keras", "⬇️ kwk_run.zip"} <= set(_download_labels(at))
