"""Evaluate → Profiler → Find the best settings (issue 33, item 1 on the page): on a bowl with a
known maximum the page finds it, gives the same answer as ``python -m kwk optimize``'s engine,
holds a ticked input at the profiler's value, puts the answer on the profiler and sends it to
Predict as a row to score."""
import math

import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, no_crash


@pytest.fixture(scope="module")
def bowl_run():
    """y = 10 - (x1-3)² - (x2-1)² + 2·[cat = b] + noise; region is a nuisance. Max 12."""
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"x1": rng.uniform(0, 6, n), "x2": rng.uniform(-2, 4, n),
                       "cat": rng.choice(["a", "b", "c"], n), "region": rng.choice(["p", "q"], n)})
    df["y"] = 10 - (df.x1 - 3) ** 2 - (df.x2 - 1) ** 2 + 2 * (df.cat == "b") + rng.normal(0, .3, n)
    spec = {"kwk_spec": 1, "data": {"target": "y"},
            "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                       {"type": "Dense", "units": 32, "activation": "relu"}],
            "training": {"epochs": 30, "batch_size": 32, "learning_rate": 0.01,
                         "early_stopping_patience": 0}}
    return df, Job(prepare(df, spec)).run()


def _truth(s):
    return 10 - (s["x1"] - 3) ** 2 - (s["x2"] - 1) ** 2 + 2 * (s["cat"] == "b")


def _open(df, result):
    from kwk.data.loader import LoadedData
    from kwk.runs.service import DataSource, save_run
    from kwk.runs.store import Store
    run_id = save_run(result, DataSource(name="bowl.csv", fmt="csv", fingerprint="fp",
                                         path="bowl.csv"), store=Store())
    at = app()
    at.session_state.data = LoadedData(df=df, name="bowl.csv", fmt="csv", fingerprint="fp")
    at.session_state.target = "y"
    at.session_state.run_id = run_id
    at.switch_page("pages/5_evaluate.py").run()
    no_crash(at)
    return at, run_id


@pytest.mark.slow
def test_the_page_finds_the_bowls_maximum_and_puts_it_on_the_profiler(bowl_run):
    from kwk.runs.optimize import optimize_run
    from kwk.runs.store import Store
    df, res = bowl_run
    at, run_id = _open(df, res)
    at.button(key=f"opt_go_{run_id}").click().run()
    no_crash(at)
    best = at.session_state.profiler[run_id]["best"]
    s = best["settings"]
    e = res.metrics["test"]["rmse"]
    assert e < 1.0
    assert s["cat"] == "b" and _truth(s) >= 12 - 2 * e
    assert math.hypot(s["x1"] - 3, s["x2"] - 1) <= math.sqrt(2 * e)
    assert abs(best["prediction"] - 12) < 1.0
    # the same answer as the CLI's engine on the same run and data
    cli = optimize_run(Store().run_dir(run_id), "maximize", data=df)
    assert cli["settings"] == s and cli["prediction"] == pytest.approx(best["prediction"])
    assert any(m.label.startswith("Best predicted y found") for m in at.metric)

    # onto the profiler: its sliders move there and its prediction is the one found
    at.button(key=f"opt_show_{run_id}").click().run()
    no_crash(at)
    assert at.slider(key=f"prof_{run_id}_x1").value == pytest.approx(s["x1"])
    assert at.selectbox(key=f"prof_{run_id}_cat").value == "b"
    now = next(m for m in at.metric if m.label.startswith("Prediction at these values"))
    assert float(now.value) == pytest.approx(best["prediction"], rel=1e-3)

    # and to Predict as a row to score
    at.button(key=f"opt_row_{run_id}").click().run()
    grid_run, rows, _ = at.session_state.pred_grid
    assert grid_run == run_id and rows.iloc[-1]["cat"] == "b"
    assert rows.iloc[-1]["x1"] == pytest.approx(s["x1"])


@pytest.mark.slow
def test_a_held_input_stays_at_the_profilers_value(bowl_run):
    df, res = bowl_run
    at, run_id = _open(df, res)
    at.slider(key=f"prof_{run_id}_x2").set_value(-1.0)
    at.multiselect(key=f"opt_fix_{run_id}").set_value(["x2"])
    at.radio(key=f"opt_goal_{run_id}").set_value("Smallest")
    at.button(key=f"opt_go_{run_id}").click().run()
    no_crash(at)
    best = at.session_state.profiler[run_id]["best"]
    s = best["settings"]
    assert s["x2"] == -1.0 and best["fixed"] == {"x2": -1.0}
    # the smallest prediction with x2 = -1 is at a corner of x1 (0 or 6), far from 3
    assert abs(s["x1"] - 3) > 2.5 and s["cat"] != "b"
    assert "held" in at.dataframe[-1].value.columns
    # a corner beyond the profiler's 1st-99th percentile sweep widens the sweep, never fails
    at.button(key=f"opt_show_{run_id}").click().run()
    no_crash(at)
    slider = at.slider(key=f"prof_{run_id}_x1")
    assert slider.value == pytest.approx(s["x1"]) and slider.min <= s["x1"] <= slider.max
    # changing the goal says the answer shown was found for another one
    at.radio(key=f"opt_goal_{run_id}").set_value("Largest").run()
    assert any("found for another goal" in c.value for c in at.caption)
