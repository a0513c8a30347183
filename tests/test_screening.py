"""Predictor screening and the leakage flags built on it, on tables whose truth is known."""
import json

import numpy as np
import pandas as pd
import pytest

from kwk.data.screening import leakage_warnings, screen


def _rng(seed=0):
    return np.random.default_rng(seed)


def regression_table(n=1500, seed=0):
    rng = _rng(seed)
    x1, x2, x3 = rng.normal(size=(3, n))
    y = 3 * x1 + 1.2 * x2 + rng.normal(size=n)  # x1 strong, x2 weak, x3 nothing
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3,
                         "shop": rng.choice(["a", "b", "c"], n), "y": y})


def test_screening_ranks_columns_by_their_own_predictive_power():
    res = screen(regression_table(), "y")
    assert res["task"] == "regression" and res["metric"] == "R²"
    order = [r["column"] for r in res["columns"]]
    assert order.index("x1") < order.index("x2") < order.index("x3")
    by = {r["column"]: r for r in res["columns"]}
    assert by["x1"]["score"] > 0.6 and 0.02 < by["x2"]["score"] < 0.3
    assert by["x3"]["score"] < 0.02 and by["shop"]["score"] < 0.02
    assert not any(r["leak"] for r in res["columns"])
    json.dumps(res)  # the profile carries it as JSON


def test_classification_score_is_the_log_loss_reduction_and_value_the_balanced_accuracy():
    # was: score == the balanced accuracy rescaled, which scores 0 a column that shifts the odds
    # without changing the majority class (issue 28); value keeps that balanced accuracy
    from sklearn.metrics import balanced_accuracy_score, log_loss
    rng = _rng(1)
    n = 1200
    x = rng.normal(size=n)
    t = np.where(x + rng.normal(0, 0.7, n) > 0, "yes", "no")
    df = pd.DataFrame({"x": x, "noise": rng.normal(size=n), "t": t})
    res = screen(df, "t")
    assert res["task"] == "binary" and res["metric"] == "log-loss reduction"
    assert res["value_metric"] == "balanced accuracy"
    by = {r["column"]: r for r in res["columns"]}
    assert by["x"]["score"] > 0.3 > by["noise"]["score"]
    # value: the balanced accuracy of the threshold rule, about that of the true threshold 0
    assert by["x"]["value"] == pytest.approx(balanced_accuracy_score(t, np.where(x > 0, "yes",
                                                                                  "no")),
                                             abs=0.03)
    # score: about the in-sample log-loss reduction of the true probabilities
    from scipy.stats import norm
    p_yes = norm.cdf(x / 0.7)
    truth = 1 - log_loss(t == "yes", p_yes) / log_loss(t == "yes", np.full(n, (t == "yes").mean()))
    assert by["x"]["score"] == pytest.approx(truth, abs=0.06)


def test_a_log_of_the_target_and_a_nonmonotone_function_of_it_are_flagged():
    df = regression_table()
    df["log_y"] = np.log(df["y"] - df["y"].min() + 1.0)  # a monotone transform, not linear
    df["y_squared"] = (df["y"] - df["y"].mean()) ** 2   # neither monotone nor linear in y
    res = screen(df, "y")
    by = {r["column"]: r for r in res["columns"]}
    assert "transform of the target" in by["log_y"]["leak"]
    assert by["y_squared"]["leak"] is None  # squares lose the sign: not a leak of y itself
    df["y_cents"] = (df["y"] * 100).round() + 7                   # a rescaled copy
    df["y_step"] = np.floor(df["y"] * 4)                          # a fine binning of it
    res = screen(df, "y")
    by = {r["column"]: r for r in res["columns"]}
    assert "copy of the target" in by["y_cents"]["leak"]
    assert by["y_step"]["leak"]
    assert all(by[c]["leak"] is None for c in ("x1", "x2", "x3", "shop"))
    msgs = [w["message"] for w in leakage_warnings(res)]
    assert any(m.startswith("'log_y'") and "leave it out" in m for m in msgs)


def test_a_sign_of_a_column_class_and_a_determining_category_are_flagged():
    rng = _rng(2)
    n = 1000
    z = rng.normal(size=n)
    t = np.where(z > 0.3, "high", "low")
    df = pd.DataFrame({
        "z": z,  # the class is a threshold of it
        "code": [f"{'H' if c == 'high' else 'L'}{k}" for c, k in zip(t, rng.integers(0, 6, n))],
        "honest": z + rng.normal(0, 0.6, n),  # a strong but noisy predictor
        "noise": rng.normal(size=n), "t": t})
    res = screen(df, "t")
    by = {r["column"]: r for r in res["columns"]}
    assert "threshold (or the sign)" in by["z"]["leak"]
    # the same leak with gaps: judged on the rows where it has a value
    df["z_gaps"] = df["z"].where(rng.random(n) > 0.1)
    gaps = {r["column"]: r for r in screen(df, "t")["columns"]}["z_gaps"]
    assert "rows where it has a value" in gaps["leak"] and gaps["value"] < 0.99
    assert "each of its values goes with a single class" in by["code"]["leak"]
    assert by["honest"]["leak"] is None and by["honest"]["score"] > 0.4
    assert by["noise"]["leak"] is None


def test_no_false_alarms_on_honest_strong_predictors_ids_and_tiny_tables():
    rng = _rng(3)
    n = 800
    x = rng.normal(size=n)
    df = pd.DataFrame({"row_id": np.arange(n), "x": x, "y": 2 * x + rng.normal(0, 0.35, n)})
    df = df.sort_values("y").reset_index(drop=True)
    df["row_id"] = np.arange(n)  # sorted by the target: the ID follows it, but is an ID
    res = screen(df, "y")
    by = {r["column"]: r for r in res["columns"]}
    assert by["x"]["score"] > 0.9 and by["x"]["leak"] is None  # R² ≈ 0.97: strong, honest
    assert [s["column"] for s in res["skipped"]] == ["row_id"]
    # a tiny table where an honest predictor happens to separate the classes perfectly
    tiny = pd.DataFrame({"x": np.r_[rng.normal(-2, 0.3, 15), rng.normal(2, 0.3, 15)],
                         "t": ["a"] * 15 + ["b"] * 15})
    small = screen(tiny, "t")
    assert small["columns"][0]["score"] > 0.9 and small["columns"][0]["leak"] is None
    assert not small["leak_checked"] and "too few" in small["note"]


def test_screening_is_fast_on_a_wide_table():
    import time
    rng = _rng(4)
    wide = pd.DataFrame(rng.normal(size=(8_000, 100)), columns=[f"v{i}" for i in range(100)])
    wide["t"] = wide["v7"] * 2 + rng.normal(size=len(wide))
    screen(wide.iloc[:200], "t")  # scikit-learn imported
    t0 = time.process_time()  # CPU time: the test machine's other work does not count
    res = screen(wide, "t")
    assert time.process_time() - t0 < 6  # ~1.5 s on one core
    assert res["rows"] == 5000 and res["sampled"] and res["columns"][0]["column"] == "v7"


def test_leakage_suspects_and_the_cli_profile_carry_the_flags(tmp_path):
    from kwk.data.profile import leakage_suspects
    from testutil import run_cli
    df = regression_table(n=600)
    df["log_y"] = np.log(df["y"] - df["y"].min() + 1.0)
    msgs = leakage_suspects(df, "y", ["x1", "x2", "log_y"])
    assert len(msgs) == 1 and msgs[0].startswith("'log_y'")
    path = tmp_path / "leaky.csv"
    df.to_csv(path, index=False)
    r = run_cli("profile", path, "--target", "y")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["screening"][0]["column"] == "log_y" and p["screening"][0]["leak"]
    assert [s["column"] for s in p["screening"]][1] == "x1"
    leaks = [w for w in p["warnings"] if w.get("kind") == "leakage"]
    assert [w["columns"] for w in leaks] == [["log_y"]]
    assert p["screening_info"]["metric"] == "R²"


def test_a_banding_of_the_target_and_a_many_class_code_are_flagged():
    rng = _rng(5)
    n = 1500
    df = regression_table(n=n, seed=5)
    df["y_band"] = pd.cut(df["y"], [-np.inf, -2, 0, 2, np.inf],
                          labels=["low", "mid-", "mid+", "high"]).astype(str)
    # an honest category with a strong effect on y, but overlapping ranges
    df["grade"] = np.where(df["x1"] > 0, "A", "B")
    df["y_decile"] = pd.qcut(df["y"], 10, labels=False)  # a number with ten values
    df["x1_rounded"] = df["x1"].round()  # an honest number with few values
    res = screen(df, "y")
    by = {r["column"]: r for r in res["columns"]}
    assert "banding of the target" in by["y_band"]["leak"]
    assert "10 values cover separate ranges" in by["y_decile"]["leak"]
    assert by["grade"]["score"] > 0.3 and by["grade"]["leak"] is None
    assert by["x1_rounded"]["score"] > 0.5 and by["x1_rounded"]["leak"] is None
    # twenty classes, and a number from which the class is read off
    k = rng.integers(0, 20, n)
    many = pd.DataFrame({"code": k * 10 + rng.uniform(0, 5, n), "noise": rng.normal(size=n),
                         "cls": [f"c{v}" for v in k]})
    res = screen(many, "cls")
    by = {r["column"]: r for r in res["columns"]}
    assert res["task"] == "multiclass" and by["code"]["leak"] and by["noise"]["leak"] is None


def test_a_streamed_profile_screens_its_sample(tmp_path):
    from kwk.data.chunks import ChunkReader, profile_streamed
    df = regression_table(n=900)
    df["log_y"] = np.log(df["y"] - df["y"].min() + 1.0)
    df.to_csv(tmp_path / "big.csv", index=False)
    prof = profile_streamed(ChunkReader(tmp_path / "big.csv", 200), target="y")
    assert prof["screening"][0]["column"] == "log_y"
    assert [w["columns"] for w in prof["warnings"] if w.get("kind") == "leakage"] == [["log_y"]]


def test_awkward_columns_give_finite_scores():
    rng = _rng(6)
    n = 300
    days = pd.Series(pd.date_range("2020-01-01", periods=n, freq="D"))
    df = pd.DataFrame({
        "huge": rng.normal(size=n) * 1e300,            # squares overflow float64
        "day": days.where(rng.random(n) > 0.1),         # dates with gaps
        "day_text": days.astype(str),                   # dates as text
        "all_missing": np.nan, "flag": rng.random(n) > 0.5,
        "y": np.arange(n) * 0.1 + rng.normal(0, 5, n)})
    res = screen(df, "y", kinds={"day_text": "datetime", "all_missing": "numeric"})
    json.dumps(res, allow_nan=False)
    by = {r["column"]: r for r in res["columns"]}
    assert by["day"]["score"] > 0.2 and by["day_text"]["score"] > 0.2  # the trend in time
    assert by["huge"]["score"] < 0.1
    assert {s["column"]: s["why"] for s in res["skipped"]}["all_missing"] == "no numbers"
