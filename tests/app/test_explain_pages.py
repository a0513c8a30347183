"""Explanations in the app: Predict's "Why this prediction?" waterfall, Evaluate's global view
(mean |contribution| bars and a beeswarm, saved for the report), picture heat-maps and the words
that pushed a text model."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash, texts


def _table(n=240, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "shop": rng.choice(["north", "south"], n)})
    df["sales"] = 3 * df["x1"] + 0.5 * df["x2"] + (df["shop"] == "north") + rng.normal(0, .1, n)
    return df


def _train(df, spec):
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    return Job(prepare(df, spec)).run()


@pytest.fixture(scope="module")
def table_run():
    df = _table()
    spec = {"kwk_spec": 1, "data": {"target": "sales"},
            "layers": [{"type": "Dense", "units": 8, "activation": "relu"}],
            "training": {"epochs": 10, "learning_rate": 0.02, "early_stopping_patience": 0}}
    return df, _train(df, spec)


def _open(df, result, target, **data):
    """Save the run in this test's workspace and open the app with its training data loaded."""
    from kwk.data.loader import LoadedData
    from kwk.runs.service import DataSource, save_run
    from kwk.runs.store import Store
    run_id = save_run(result, DataSource(name="d.csv", fmt="csv", fingerprint="fp",
                                         path="d.csv"), store=Store())
    at = app()
    at.session_state.data = LoadedData(df=df, name="d.csv", fmt="csv", fingerprint="fp", **data)
    at.session_state.target = target
    at.session_state.run_id = run_id
    return at, run_id


def _finish(at, key):
    entry = at.session_state.explanations[key]
    assert entry["task"].wait(120)
    at.run()  # the poll sees it done and reruns the page
    no_crash(at)
    return entry["task"]


def test_predict_page_explains_a_row_with_a_waterfall(table_run):
    df, res = table_run
    at, run_id = _open(df, res, "sales")
    goto(at, "6_predict")
    assert "Predict some rows above" in texts(at)
    at.button(key="pred_current").click().run()
    no_crash(at)
    at.number_input(key=f"why_row_{run_id}").set_value(3)
    at.button(key="why_go").click().run()
    task = _finish(at, (run_id, "row"))
    e = task.result
    assert e.n == 1 and e.additivity_gap() < 1e-3
    assert e.rows.iloc[0]["x1"] == df.iloc[3]["x1"]  # the row chosen (numbered from 0)
    said = texts(at)
    assert "Starts at the average prediction" in said and "x1 = " in said
    assert "training rows (outside the test split)" in said
    assert any(c.proto.id and "why_waterfall" in c.proto.id for c in at.get("plotly_chart"))


def test_predict_page_says_what_to_do_without_typical_rows(table_run):
    df, res = table_run
    at, run_id = _open(df, res, "sales")
    goto(at, "6_predict")
    at.button(key="pred_current").click().run()
    at.session_state.data = None  # no training data, and only two rows predicted
    at.session_state.pred_rows = df.iloc[:2]
    at.run()
    at.button(key="why_go").click().run()
    no_crash(at)
    assert "predict at least 10 rows" in texts(at)


def test_evaluate_global_view_and_report(table_run):
    df, res = table_run
    at, run_id = _open(df, res, "sales")
    goto(at, "5_evaluate")
    at.slider(key="shap_rows").set_value(12)
    at.button(key="shap_go").click().run()
    task = _finish(at, (run_id, "global"))
    assert task.result.n == 12
    keys = [c.proto.id for c in at.get("plotly_chart")]
    assert any("shap_bars" in k for k in keys) and any("shap_swarm" in k for k in keys)
    assert texts(at).count("How to read it") >= 2
    from kwk.runs.store import Store
    run_dir = Path(Store().run_dir(run_id))
    saved = json.loads((run_dir / "explain_global.json").read_text())
    assert saved["importance"][0]["feature"] == "x1" and saved["rows"] == 12
    at.button(key="report_go").click().run()
    assert b"Which columns matter (SHAP)" in at.session_state.reports[run_id]


@pytest.mark.slow
def test_evaluate_shows_picture_heatmaps_and_text_words():
    rng = np.random.default_rng(1)
    n = 160
    px = rng.uniform(0, 60, size=(n, 6, 6))
    lab = rng.integers(0, 2, n)
    px[lab == 1, :, :2] += 150
    px[:12, :, :2] = 100  # ambiguous pictures, so some are misclassified
    pics = pd.DataFrame(px.reshape(n, -1), columns=[f"px_{i}" for i in range(36)])
    pics["label"] = np.where(lab == 1, "bright", "dark")
    spec = {"kwk_spec": 1, "data": {"target": "label", "image_shape": [6, 6, 1]},
            "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 4, "activation": "relu"}],
            "training": {"epochs": 3, "learning_rate": 0.01, "early_stopping_patience": 0}}
    at, run_id = _open(pics, _train(pics, spec), "label", image_shape=(6, 6, 1))
    at.session_state.modality = "images"
    goto(at, "5_evaluate")
    assert "Where the model looked" in texts(at) and len(at.get("image")) >= 2
    at.number_input(key="sal_pick").set_value(2).run()
    no_crash(at)

    words = ["great", "superb", "awful", "poor", "the", "it"]
    docs = [" ".join(rng.choice(words, 4)) for _ in range(120)]
    reviews = pd.DataFrame({"review": docs, "label": ["pos" if ("great" in d or "superb" in d)
                                                      else "neg" for d in docs]})
    spec = {"data": {"target": "label", "text": {"max_tokens": 30, "sequence_length": 5}},
            "layers": [{"type": "Embedding", "output_dim": 4},
                       {"type": "GlobalAveragePooling1D"}],
            "training": {"epochs": 5, "learning_rate": 0.02, "early_stopping_patience": 0}}
    at, run_id = _open(reviews, _train(reviews, spec), "label")
    at.session_state.modality = "text"
    goto(at, "5_evaluate")
    at.text_input(key="words_typed").set_value("the superb it").run()
    no_crash(at)
    assert "Which words pushed the prediction" in texts(at)
    assert "superb" in "".join(str(h.proto.body) for h in at.get("html"))
