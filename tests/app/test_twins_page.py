"""Evaluate warns when the test rows repeat training rows (the same people through a random
split), and its gradient-boosting notice then points at the split rather than at Tune."""
from tests.app.test_explain_pages import _open, _train
from tests.app.test_pages import goto, no_crash
from tests.test_twins import _panel


def test_evaluate_warns_about_twins():
    df = _panel().drop(columns="person")
    res = _train(df, {"kwk_spec": 1, "data": {"target": "visits"},
                      "layers": [{"type": "Dense", "units": 4, "activation": "relu"}],
                      "training": {"epochs": 2, "early_stopping_patience": 0}})
    at, _ = _open(df, res, "visits")
    goto(at, "5_evaluate")
    no_crash(at)
    warning = next(w.value for w in at.warning if "exact twin" in w.value)
    assert "validation column" in warning
    for box in at.info:  # gradient boosting, if it does better, is not a reason to tune here
        assert "**Tune** page" not in box.value
