import numpy as np
import pandas as pd
import pytest

from kwk.evaluation.analysis import (calibration, default_base, gains_lift, permutation_importance,
                          profile_grid, profiler_curves, threshold_metrics)
from testutil import tiny_spec


def test_threshold_metrics_by_hand():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.8, 0.9])
    m = threshold_metrics(y, p, 0.5)
    assert (m["tn"], m["fp"], m["fn"], m["tp"]) == (1, 1, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert threshold_metrics(y, p, 0.95)["recall"] == 0.0
    assert threshold_metrics(y, p, 0.0)["recall"] == 1.0


def test_gains_and_lift():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    p = np.linspace(1, 0, 10)  # perfectly ranked
    g = gains_lift(y, p, n_bins=5)
    assert g["gain"].iloc[0] == 1.0 and g["lift"].iloc[0] == pytest.approx(5.0)
    assert g["gain"].iloc[-1] == 1.0 and g["lift"].iloc[-1] == pytest.approx(1.0)


def test_calibration_of_a_calibrated_model():
    rng = np.random.default_rng(0)
    p = rng.random(20000)
    y = rng.random(20000) < p
    c = calibration(y, p, n_bins=10)
    assert len(c) == 10 and c["count"].sum() == 20000
    assert np.abs(c["predicted"] - c["observed"]).max() < 0.03


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from kwk.runs.bundle import load_bundle, save_bundle
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    rng = np.random.default_rng(0)
    n = 1500
    df = pd.DataFrame({"strong": rng.normal(size=n), "weak": rng.normal(size=n),
                       "noise": rng.normal(size=n), "group": rng.choice(["a", "b"], n)})
    logit = 3 * df.strong + 0.7 * df.weak + 1.0 * (df.group == "a")
    df["y"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    res = Job(prepare(df, tiny_spec("y", epochs=30))).run()
    d = tmp_path_factory.mktemp("bundle")
    save_bundle(res, d, "synthetic.csv", "x", None)
    return df, res, load_bundle(d)


@pytest.mark.slow
def test_permutation_importance_ranks_noise_last(trained):
    df, res, b = trained
    rows = df.iloc[res.prepared.rows["test"]]
    y = b.pre.encode_target(rows["y"])
    imp = permutation_importance(b.output, rows, y, "binary", b.pre.features, repeats=5)
    assert imp["feature"].iloc[0] == "strong"
    assert imp["feature"].iloc[-1] == "noise"
    assert imp["importance"].iloc[0] > 5 * abs(imp.set_index("feature").loc["noise", "importance"])


@pytest.mark.slow
def test_profiler_curves_match_direct_predictions(trained):
    df, res, b = trained
    kinds = res.prepared.spec["data"]["kinds"]
    base = default_base(df, b.pre.features, kinds)
    grids = {f: profile_grid(df[f], kinds[f], 7) for f in b.pre.features}
    curves = profiler_curves(b.output, base, grids, output=1)
    assert set(curves) == set(b.pre.features)
    for f, curve in curves.items():
        for value, pred in zip(curve["value"], curve["prediction"]):
            row = pd.DataFrame([{**base, f: value}])
            assert pred == pytest.approx(b.output(row)[0, 1], abs=1e-6)
    s = curves["strong"]["prediction"]
    assert s.iloc[-1] > s.iloc[0] + 0.5  # the strong input moves the probability most


def test_profile_grid_and_base():
    df = pd.DataFrame({"x": list(range(100)) + [np.nan, np.inf], "c": ["a"] * 60 + ["b"] * 42})
    g = profile_grid(df["x"], "numeric", 5)
    assert len(g) == 5 and g[0] == pytest.approx(0.99) and g[-1] == pytest.approx(98.01)
    assert profile_grid(df["c"], "categorical") == ["a", "b"]
    assert profile_grid(pd.Series([1.0, 2.0, 2.0, None]), "categorical") == ["1", "2"]  # their own order, not by frequency
    assert default_base(df, ["x", "c"], {"x": "numeric", "c": "categorical"}) == {"x": 49.5, "c": "a"}


def test_spec_differences():
    from kwk.evaluation.analysis import spec_differences
    from kwk.spec import normalize
    a = normalize({"data": {"target": "y"}, "layers": [{"type": "Dense", "units": 8}]})
    b = normalize({"data": {"target": "y"}, "layers": [{"type": "Dense", "units": 16},
                                                        {"type": "Dropout"}],
                   "training": {"learning_rate": 0.01}})
    d = spec_differences({"run A": a, "run B": b}).set_index("setting")
    assert d.loc["Dense 1.units", "run A"] == "8" and d.loc["Dense 1.units", "run B"] == "16"
    assert d.loc["Dropout 1 (position)", "run A"] == "—"
    assert d.loc["Dropout 1 (position)", "run B"] == "layer 2"
    # settings that read the same everywhere (missing or None alike) are not listed
    assert not any("kernel_regularizer" in k for k in d.index)
    assert "Dense 1 (position)" not in d.index
    assert d.loc["training.learning_rate", "run B"] == "0.01"
    assert "training.epochs" not in d.index


def test_correlation_heatmap_of_a_wide_table_shows_the_most_correlated_columns():
    from kwk.data.profile import profile
    from kwk.plots import correlation_heatmap
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(300, 60)), columns=[f"x{i}" for i in range(60)])
    df["x50"] = df["x3"] + rng.normal(0, 0.1, 300)  # one strongly related pair
    corr = profile(df)["correlations"]
    f = correlation_heatmap(corr, max_columns=10)
    shown = list(f.data[0].x)
    assert len(shown) == 10 and "x3" in shown and "x50" in shown
    assert shown == sorted(shown, key=lambda c: int(c[1:]))  # the table's order is kept
    assert "the 10 most correlated of 60" in f.layout.title.text
    assert len(correlation_heatmap(corr, max_columns=100).data[0].x) == 60


def test_a_code_columns_profiler_grid_is_its_levels_and_says_so():
    import numpy as np
    import pandas as pd

    from kwk.evaluation.analysis import grid_is_levels, profile_grid
    stores = profile_grid(pd.Series([1, 2, 3, 4, 7] * 10), "numeric")
    assert stores == [1.0, 2.0, 3.0, 4.0, 7.0] and grid_is_levels(stores)  # no store 5 or 6
    assert not grid_is_levels(profile_grid(pd.Series(np.arange(200)), "numeric"))
    assert not grid_is_levels(profile_grid(pd.Series(np.linspace(0, 1, 50)), "numeric"))
