"""The report draws what the page draws (issue 35, item 7): for a series, the forecast chart, the
learning curves in the target's units (not the standardised loss on an unlabelled axis), and
the columns used without the target listed twice."""
import json

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def series_run(tmp_path_factory):
    from kwk.data import load
    from kwk.runs.service import DataSource, save_run
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    d = tmp_path_factory.mktemp("series_report")
    n = 120
    df = pd.DataFrame({"time": 1949 + np.arange(n) / 12,
                       "value": np.round(120 + np.arange(n) + 30 * np.sin(np.arange(n) / 2), 1)})
    path = d / "air.csv"
    df.to_csv(path, index=False)
    ld = load(str(path))
    spec = {"kwk_spec": 1, "data": {"target": "value",
                                    "sequence": {"time": "time", "window": 12, "horizon": 1}},
            "layers": [{"type": "LSTM", "units": 8}],
            "training": {"epochs": 4, "learning_rate": 0.01, "early_stopping_patience": 0}}
    res = Job(prepare(ld.df, spec)).run()
    return save_run(res, DataSource.of(ld, path=str(path)), out_dir=d / "run", script=False)


def test_the_series_report_has_the_forecast_and_the_pages_learning_curves(series_run):
    from kwk.evaluation.curves import readable_loss
    from kwk.runs.report import _figures, build_report
    d = series_run
    spec = json.loads((d / "spec.json").read_text())
    metrics = json.loads((d / "metrics.json").read_text())
    history = json.loads((d / "history.json").read_text())
    with np.load(d / "evaluation.npz") as z:
        ev = {k: z[k] for k in z.files}
    figs = _figures(d, spec, metrics["task"], metrics, ev, history)
    assert list(figs)[0] == "Forecast"
    fc = figs["Forecast"]
    np.testing.assert_allclose(fc.data[0].y, ev["y"])  # the actual values of the test period
    lc = figs["Learning curves (loss)"]
    assert lc.layout.yaxis.title.text == "RMSE in value's units"
    state = json.loads((d / "preprocess.json").read_text())["target"]
    _, _, curves = readable_loss(history, spec, state)
    train = next(t for t in lc.data if list(t.y) and len(t.y) == len(curves["loss"]))
    np.testing.assert_allclose(train.y, curves["loss"])
    # the RMSE curve is in the value's units: the last validation point is near the scale of
    # the values' spread, not of a standardised loss (hand check: sqrt(loss) * the target's sd)
    assert curves["val_loss"][-1] == pytest.approx(np.sqrt(history["val_loss"][-1]) * state["std"])
    html = build_report(d)
    assert "Forecast of value on the test period" in html
    assert html.count("<td>value</td>") == 1 and "an input (its past values)" in html
