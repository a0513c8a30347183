"""Issue 28, item 4: the search's verdict against the user's own network is decided in the
engine (kwk.tune.verdict), from the paired comparison on the same test rows. A search whose
best is worse than the user's network is "kept yours", never celebrated."""
from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, log_loss

from kwk.evaluation.metrics import scalar_metrics
from kwk.tune.verdict import KEPT_YOURS, NO_COMPARISON, SEARCH_BETTER, compare, same_network


def _result(y, p1, units=8):
    """A finished binary result: test rows ``y`` (0/1), the network's P(class 1) ``p1``, from
    a network of one Dense layer of ``units``."""
    out = np.column_stack([1 - p1, p1])
    spec = {"layers": [{"type": "Dense", "units": units}], "training": {"seed": 0}}
    return SimpleNamespace(
        metrics={"task": "binary", "test": scalar_metrics("binary", y, out, 2)},
        details={"y": y, "out": out, "classes": ["no", "yes"]},
        prepared=SimpleNamespace(spec=spec))


@pytest.fixture(scope="module")
def two_networks():
    """The user's network is right on 90% of 400 rows, the search's best on 60%."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    right_own, right_best = rng.random(400) < 0.9, rng.random(400) < 0.6
    conf_own, conf_best = 0.5 + 0.4 * rng.random(400), 0.5 + 0.4 * rng.random(400)
    p_own = np.where(right_own == (y == 1), conf_own, 1 - conf_own)
    p_best = np.where(right_best == (y == 1), conf_best, 1 - conf_best)
    return y, p_own, p_best


def test_a_search_worse_than_your_network_keeps_yours(two_networks):
    y, p_own, p_best = two_networks
    v = compare(_result(y, p_best, units=64), _result(y, p_own), "balanced_accuracy")
    assert v["outcome"] == KEPT_YOURS and v["reason"] == "worse"
    # the numbers are the test metrics, checked against scikit-learn
    bal = balanced_accuracy_score
    assert v["best"] == pytest.approx(bal(y, p_best > 0.5))
    assert v["yours"] == pytest.approx(bal(y, p_own > 0.5))
    assert v["difference"] == pytest.approx(bal(y, p_best > 0.5) - bal(y, p_own > 0.5))
    assert v["paired"] and v["high"] < 0  # the paired interval lies below 0: clearly worse
    acc = v["metrics"]["accuracy"]
    assert acc["difference"] == pytest.approx(accuracy_score(y, p_best > 0.5)
                                              - accuracy_score(y, p_own > 0.5))
    assert v["metrics"]["log_loss"]["verdict"] == "worse"  # lower is better for log loss
    assert v["metrics"]["log_loss"]["difference"] == pytest.approx(
        log_loss(y, p_best) - log_loss(y, p_own), rel=1e-4)
    assert v["better_on"] == [] and "balanced_accuracy" in v["worse_on"]


def test_a_search_that_beats_your_network_wins(two_networks):
    y, p_own, p_best = two_networks
    v = compare(_result(y, p_own, units=64), _result(y, p_best), "balanced_accuracy")
    assert v["outcome"] == SEARCH_BETTER and v["low"] > 0
    assert "accuracy" in v["better_on"] and v["worse_on"] == []


def test_not_clearly_better_keeps_yours(two_networks):
    """A best network a hair better on the test rows, within the noise, does not win."""
    y, p_own, _ = two_networks
    p_best = p_own.copy()
    flip = np.flatnonzero((p_own > 0.5) != (y == 1))[:2]  # two of its errors put right
    p_best[flip] = 1 - p_best[flip]
    v = compare(_result(y, p_best, units=64), _result(y, p_own), "accuracy")
    assert v["difference"] == pytest.approx(2 / 400)
    assert v["outcome"] == KEPT_YOURS and v["reason"] == "about the same"
    assert v["low"] <= 0 <= v["high"]


def test_when_the_best_settings_are_your_own_the_verdict_says_so(two_networks):
    y, p_own, _ = two_networks
    v = compare(_result(y, p_own), _result(y, p_own), "accuracy")
    assert v["outcome"] == KEPT_YOURS and v["reason"] == "your own"
    assert v["difference"] == 0


def test_without_your_network_there_is_no_comparison(two_networks):
    y, _, p_best = two_networks
    assert compare(_result(y, p_best), None, "accuracy")["outcome"] == NO_COMPARISON


def test_same_network_compares_the_model_not_the_name():
    a = {"name": "a", "layers": [{"type": "Dense", "units": 8}], "training": {"epochs": 5}}
    assert same_network(a, {**a, "name": "b", "tune": {"trials": 3}})
    assert not same_network(a, {**a, "training": {"epochs": 6}})


def test_the_leaderboard_shows_a_dash_not_none_for_a_trial_without_a_score():
    from types import SimpleNamespace

    from kwk.ui.tune import leaderboard_table
    search = SimpleNamespace(metric="balanced_accuracy",
                             p=SimpleNamespace(spec={"layers": [{"type": "Dense"}]}))
    rows = [{"trial": 1, "number": 0, "state": "complete", "value": 0.91234, "epochs": 12,
             "seconds": 3.21, "params": {}},
            {"trial": 2, "number": 1, "state": "pruned", "value": None, "epochs": 3,
             "seconds": None, "params": {}},
            {"trial": 3, "number": 2, "state": "running", "value": None, "epochs": None,
             "seconds": None, "params": {}}]
    table = leaderboard_table(rows, search)
    shown = table.astype(str).to_numpy().ravel().tolist()
    assert "None" not in shown and "nan" not in shown
    assert "0.9123" in shown and "—" in shown and "12" in shown
    # each column is one Arrow type: Streamlit draws it as it is, without logging a traceback
    # and converting it on every rerun (a column of numbers and "—" was not)
    import pyarrow as pa
    pa.Table.from_pandas(table)
