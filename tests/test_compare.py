"""Fast scalar metrics (for bootstraps) equal scikit-learn's, and the paired bootstrap says
"better" only outside the noise."""
import numpy as np
import pytest

from kwk.evaluation.metrics import metrics_for, paired_bootstrap, scalar_metrics


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("seed", range(6))
def test_scalar_metrics_equal_the_full_metrics(k, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 400))
    y = rng.integers(0, k, n)
    if seed % 3 == 0:
        y[y == k - 1] = 0  # a class absent from the test rows
    proba = rng.dirichlet(np.ones(k) * (0.3 + seed), n)
    task = "binary" if k == 2 else "multiclass"
    classes = [f"c{i}" for i in range(k)]
    full, fast = metrics_for(task, y, proba, classes), scalar_metrics(task, y, proba, k)
    for m, v in fast.items():
        assert (v is None) == (full[m] is None), m
        if v is not None:
            assert v == pytest.approx(full[m], abs=1e-9), m


@pytest.mark.parametrize("seed", range(4))
def test_scalar_regression_metrics_equal_the_full_metrics(seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=50)
    pred = y + rng.normal(size=50)
    full, fast = metrics_for("regression", y, pred, []), scalar_metrics("regression", y, pred, 0)
    for m in ("rmse", "mae", "r2"):
        assert fast[m] == pytest.approx(full[m], abs=1e-9)


def test_paired_bootstrap_says_about_the_same_inside_the_noise():
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    a = y + rng.normal(scale=1.0, size=200)
    b = a + rng.normal(scale=0.01, size=200)  # a hair's breadth from the network
    res = paired_bootstrap("regression", y, a, b, 0)
    assert res["rmse"]["verdict"] == "about the same"
    assert res["rmse"]["low"] < 0 < res["rmse"]["high"]


def test_paired_bootstrap_names_a_real_difference():
    rng = np.random.default_rng(1)
    y = rng.normal(size=300)
    good, bad = y + rng.normal(scale=0.2, size=300), y + rng.normal(scale=1.0, size=300)
    assert paired_bootstrap("regression", y, good, bad, 0)["rmse"]["verdict"] == "better"
    assert paired_bootstrap("regression", y, bad, good, 0)["r2"]["verdict"] == "worse"
    yc = rng.integers(0, 2, 300)
    sure = np.column_stack([1 - yc * 0.9 - 0.05, yc * 0.9 + 0.05])
    coin = np.full((300, 2), 0.5)
    res = paired_bootstrap("binary", yc, coin, sure, 2)
    assert res["accuracy"]["verdict"] == "worse" and res["log_loss"]["verdict"] == "worse"


@pytest.mark.parametrize("task,k", [("binary", 2), ("multiclass", 4), ("regression", 0)])
def test_a_resample_by_row_counts_equals_the_metrics_of_the_drawn_rows(task, k):
    """The bootstraps weigh each row by how often it was drawn instead of copying the rows:
    the metrics must be those of the copied rows, ties in the scores included."""
    from kwk.evaluation.metrics import _resample_counts, _Scalars
    rng = np.random.default_rng(3)
    n = 300
    if task == "regression":
        y = rng.normal(size=n)
        out = np.round(y + rng.normal(size=n), 1)
    else:
        y = rng.integers(0, k, n)
        out = np.round(rng.dirichlet(np.ones(k), n), 2)  # rounded: many tied scores
    parts = _Scalars(task, y, out, k)
    draw = np.random.default_rng(7)
    for _ in range(20):
        state = draw.bit_generator.state
        counts = _resample_counts(draw, n)
        again = np.random.default_rng()
        again.bit_generator.state = state
        i = again.integers(0, n, n)
        by_counts, by_rows = parts.of(counts), scalar_metrics(task, y[i], out[i], k)
        full = metrics_for(task, y[i], out[i], [f"c{j}" for j in range(k)])
        for m, v in by_rows.items():
            assert (v is None) == (by_counts[m] is None), m
            if v is not None:
                assert by_counts[m] == pytest.approx(v, abs=1e-9), m
                assert v == pytest.approx(full[m], abs=1e-9), m


def test_the_references_are_compared_by_one_rule_the_evaluate_page_and_tune_share():
    """Issue 31: which references a run's network is compared with, with how many resamples
    and which seed, is kwk.evaluation.metrics.compare_with_references, not the page's."""
    import threading

    from kwk.evaluation.metrics import (PAIRED_RESAMPLES, compare_with_references,
                                        paired_bootstrap)
    rng = np.random.default_rng(3)
    y = rng.normal(size=120)
    ev = {"y": y, "out": y + rng.normal(0, 0.3, 120), "baseline_out": np.zeros(120),
          "reference_out": y + rng.normal(0, 0.5, 120)}  # no simple model in this run
    seen = []
    got = compare_with_references("regression", ev, 0, seed=7,
                                  progress=lambda i, n: seen.append((i, n)))
    assert list(got) == ["baseline", "reference"] and seen == [(0, 2), (1, 2)]
    for part in got:
        assert got[part] == paired_bootstrap("regression", y, ev["out"], ev[f"{part}_out"], 1,
                                             n_boot=PAIRED_RESAMPLES, seed=7)
    assert got["baseline"]["rmse"]["verdict"] == "better"
    stop = threading.Event()
    stop.set()
    assert compare_with_references("regression", ev, 0, seed=7, stop=stop) is None
