"""Transforms of skewed columns, the log target and informative missing (issue 33, item 2): the
transformed values are scikit-learn's own, fitted on the training rows; 'auto' missing flags
follow a test of association with the target; bad specs get clear messages; the bundle, the
generated script and the raw-input export give the same predictions; a log target beats none
on a skewed positive target, in the target's own units."""
import json

import numpy as np
import pandas as pd
import pytest

from kwk.errors import SpecError
from kwk.prep.prepare import prepare
from kwk.spec import normalize, resolve
from tests.testutil import run_cli, run_script

LAYERS = [{"type": "Dense", "units": 8, "activation": "relu"}]


def skewed(n=400, seed=0) -> pd.DataFrame:
    """A log-normal column, an exponential one that goes below 0, a count with many ties, a
    normal column with missing values, a category, and a log-normal target."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"income": rng.lognormal(3, 1, n), "shift": rng.exponential(2, n) - 1,
                       "visits": rng.poisson(3, n).astype(float), "score": rng.normal(size=n),
                       "town": rng.choice(["north", "south", "east"], n)})
    df.loc[rng.random(n) < 0.2, "score"] = np.nan
    df["y"] = np.exp(0.5 * np.log(df["income"]) + 0.3 * df["shift"] + rng.normal(0, 0.3, n))
    return df


TRANSFORMS = {"income": "log", "shift": "yeo-johnson", "visits": "quantile"}


def test_transformed_columns_are_scikit_learns_own_fitted_on_the_training_rows():
    from sklearn.preprocessing import FunctionTransformer, PowerTransformer, QuantileTransformer
    df = skewed()
    p = prepare(df, {"data": {"target": "y", "transforms": TRANSFORMS,
                              "missing_indicators": ["score"]},
                     "layers": LAYERS, "training": {"epochs": 1}})
    assert p.pre.input_names[:5] == ["income", "shift", "visits", "score", "score.missing"]
    tr, te = df.iloc[p.rows["train"]], df.iloc[p.rows["test"]]
    X = p.X["test"]

    def standardised(fit_on, apply_to):  # KwK standardises every number column afterwards
        return (apply_to - fit_on.mean()) / fit_on.std()

    log = FunctionTransformer(np.log)
    assert np.allclose(X[:, 0], standardised(log.fit_transform(tr[["income"]].to_numpy())[:, 0],
                                             log.transform(te[["income"]].to_numpy())[:, 0]), atol=1e-5)
    # Yeo-Johnson then standardised is scikit-learn's default PowerTransformer
    yj = PowerTransformer(method="yeo-johnson").fit(tr[["shift"]])
    assert np.allclose(X[:, 1], yj.transform(te[["shift"]])[:, 0], atol=1e-5)
    qt = QuantileTransformer(output_distribution="normal", n_quantiles=len(tr),
                             random_state=0).fit(tr[["visits"]])
    assert np.allclose(X[:, 2], standardised(qt.transform(tr[["visits"]])[:, 0],
                                             qt.transform(te[["visits"]])[:, 0]), atol=1e-5)
    # the flag beside the filled value: 1 exactly where the score was missing
    assert np.array_equal(X[:, 4], te["score"].isna().to_numpy(dtype=np.float32))
    filled = te["score"].fillna(tr["score"].median())
    assert np.allclose(X[:, 3], (filled - tr["score"].fillna(tr["score"].median()).mean())
                       / tr["score"].fillna(tr["score"].median()).std(ddof=0), atol=1e-5)


def test_a_log_target_is_learned_on_its_log_and_given_back_in_its_units():
    df = skewed()
    p = prepare(df, {"data": {"target": "y", "target_transform": "log"}, "layers": LAYERS})
    tr = df.iloc[p.rows["train"]]
    t = p.pre.state["target"]
    assert t["transform"] == "log"
    assert t["mean"] == pytest.approx(np.log(tr["y"]).mean())
    assert t["std"] == pytest.approx(np.log(tr["y"]).std(ddof=0))
    te = df.iloc[p.rows["test"]]
    assert np.allclose(p.pre.decode_regression(p.y["test"]), te["y"], rtol=1e-5)


def test_specs_without_transforms_stay_version_1_and_old_specs_still_load():
    old = {"kwk_spec": 1, "data": {"target": "y"}, "layers": LAYERS}
    assert normalize(old)["kwk_spec"] == 1
    assert "transforms" not in normalize(old)["data"]
    spec, _ = resolve(old, skewed())
    assert spec["kwk_spec"] == 1 and "missing_indicators" not in spec["data"]
    new = normalize({"data": {"target": "y", "transforms": {"income": "log"}}})
    assert new["kwk_spec"] == 2
    assert normalize(new) == new


def missing_tied(n=600, seed=1, tied=True) -> pd.DataFrame:
    """'lab' is missing mostly for the 'yes' rows (a test never taken by the sick) when
    ``tied``; 'noise' is missing at random."""
    rng = np.random.default_rng(seed)
    y = rng.choice(["yes", "no"], n)
    df = pd.DataFrame({"lab": rng.normal(size=n), "noise": rng.normal(size=n),
                       "age": rng.normal(50, 10, n), "y": y})
    p_missing = np.where(y == "yes", 0.4, 0.05) if tied else np.full(n, 0.2)
    df.loc[rng.random(n) < p_missing, "lab"] = np.nan
    df.loc[rng.random(n) < 0.2, "noise"] = np.nan
    return df


def test_informative_missing_is_on_where_missingness_goes_with_the_target():
    from scipy.stats import chi2_contingency

    from kwk.data.profile import informative_missing, profile
    df = missing_tied()
    spec, notes = resolve({"data": {"target": "y", "missing_indicators": "auto"},
                           "layers": LAYERS}, df)
    assert spec["data"]["missing_indicators"] == ["lab"]
    assert any("Informative missing: 'lab'" in n for n in notes)
    # the p-value is scipy's chi-square test of the flag against the target
    p = chi2_contingency(pd.crosstab(df["lab"].isna(), df["y"]).to_numpy())[1]
    assert informative_missing(df, "y", "binary", ["lab", "noise"]) == {"lab": pytest.approx(p)}
    assert p < 0.01
    cols = {c["name"]: c for c in profile(df, target="y")["columns_info"]}
    assert "missing_informative" in cols["lab"] and "missing_informative" not in cols["noise"]
    # random missingness: off
    spec, _ = resolve({"data": {"target": "y", "missing_indicators": "auto"}, "layers": LAYERS},
                      missing_tied(tied=False))
    assert "missing_indicators" not in spec["data"]
    # a number target: Mann-Whitney between the rows with and without a value
    from scipy.stats import mannwhitneyu
    reg = missing_tied()
    reg["y"] = np.where(reg["y"] == "yes", 5.0, 0.0) + np.random.default_rng(2).normal(size=len(reg))
    got = informative_missing(reg, "y", "regression", ["lab", "noise"])
    flag = reg["lab"].isna()
    assert got == {"lab": pytest.approx(mannwhitneyu(reg["y"][flag], reg["y"][~flag]).pvalue)}


@pytest.mark.parametrize("data,words", [
    ({"transforms": {"shift": "log"}},
     ["'shift' has values of 0 or less", "Use 'yeo-johnson' for 'shift'"]),
    ({"transforms": {"ghost": "log"}}, ["data.transforms names columns that are not in the data: ghost"]),
    ({"transforms": {"town": "quantile"}}, ["'town' is a categorical column"]),
    ({"transforms": {"income": "sqrt"}}, ["choose one of log, yeo-johnson, quantile"]),
    ({"target_transform": "log", "target": "town"}, ["is for a number to predict, but the task is multiclass"]),
    ({"missing_indicators": ["town"]}, ["A missing category already gets no label input"]),
    ({"missing_indicators": 3}, ["data.missing_indicators must be \"auto\""]),
])
def test_bad_transform_specs_get_clear_messages(data, words):
    df = skewed()
    with pytest.raises(SpecError) as e:
        resolve({"data": {"target": "y", **data}, "layers": LAYERS}, df)
    text = e.value.message + " " + (e.value.hint or "")
    for w in words:
        assert w in text


def test_a_bad_transform_on_the_command_line_is_an_error_not_a_traceback(tmp_path):
    skewed().to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "spec.json").write_text(json.dumps(
        {"data": {"target": "y", "transforms": {"shift": "log"}}, "layers": LAYERS}))
    r = run_cli("train", tmp_path / "d.csv", "--spec", tmp_path / "spec.json",
                "--out", tmp_path / "run", "--quiet")
    assert r.returncode == 2
    assert "error: data.transforms: 'shift' has values of 0 or less" in r.stderr
    assert "yeo-johnson" in r.stderr and "Traceback" not in r.stderr


def _feed(inputs: dict) -> dict:
    """Raw inputs as Keras takes them: text as a string tensor."""
    import tensorflow as tf
    return {k: tf.constant(v.astype(str)) if v.dtype == object else v for k, v in inputs.items()}


def _train(tmp_path, df, data, name, epochs=3, **training):
    df.to_csv(tmp_path / "d.csv", index=False)
    spec = {"data": data, "layers": [{"type": "Dense", "units": 16, "activation": "relu"}],
            "training": {"epochs": epochs, "seed": 0, **training}}
    (tmp_path / f"{name}.json").write_text(json.dumps(spec))
    r = run_cli("train", tmp_path / "d.csv", "--spec", tmp_path / f"{name}.json",
                "--out", tmp_path / name, "--quiet")
    assert r.returncode == 0, r.stderr[-3000:]
    return tmp_path / name


@pytest.mark.slow
@pytest.mark.parametrize("case", ["regression", "binary"])
def test_script_and_raw_export_reproduce_kwk_predict(tmp_path, case):
    import keras

    from kwk.export import export_run
    from kwk.model.raw import raw_inputs
    from kwk.runs.bundle import load_bundle
    df = skewed(200)
    df.loc[df.index[:25], "income"] = np.nan  # missing values in transformed columns too
    data = {"target": "y", "transforms": TRANSFORMS, "missing_indicators": ["score", "income"]}
    if case == "regression":
        data["target_transform"] = "log"
    else:
        df["y"] = np.where(df["score"].isna() | (df["income"] > 20), "high", "low")
    run = _train(tmp_path, df, data, "run")
    spec = json.loads((run / "spec.json").read_text())
    assert spec["kwk_spec"] == 2 and spec["data"]["transforms"] == TRANSFORMS
    pre_json = json.loads((run / "preprocess.json").read_text())
    assert {c["name"]: c.get("transform", {}).get("name") for c in pre_json["columns"]
            if c["kind"] == "numeric"} == {**TRANSFORMS, "score": None}
    r = run_cli("predict", run, tmp_path / "d.csv", "--out", tmp_path / "pred.csv")
    assert r.returncode == 0, r.stderr
    pred = pd.read_csv(tmp_path / "pred.csv")
    want = (pred["prediction"].to_numpy() if case == "regression"
            else pred["proba_high"].to_numpy())
    b = load_bundle(run)
    # the raw-input export, reloaded
    res = export_run(run, "keras", tmp_path / "raw.keras")
    raw = keras.saving.load_model(res.path, safe_mode=True)
    got = raw.predict(_feed(raw_inputs(b.pre, b.spec, df)), verbose=0)
    got = got["prediction"].reshape(-1) if case == "regression" else \
        got["probabilities"][:, b.pre.classes.index("high")]
    assert np.allclose(got, want, atol=1e-4, rtol=1e-4)
    # the generated script, in its own process: it trains the same network and its raw-input
    # model gives what kwk predict gives
    p = run_script(run / "train_script.py", tmp_path / "d.csv", tmp_path / "out",
                   cwd=tmp_path, process=True)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "TRANSFORMS = {" in (run / "train_script.py").read_text()
    mine = keras.saving.load_model(tmp_path / "out" / "model_raw.keras", safe_mode=True)
    out = mine.predict(_feed(raw_inputs(b.pre, b.spec, df)), verbose=0)
    out = out["prediction"].reshape(-1) if case == "regression" else out["probabilities"][:, 1]
    if case == "binary":  # the script's classes are sorted: 'high', 'low'
        out = 1 - out
    assert np.allclose(out, want, atol=1e-4, rtol=1e-4)
    app = json.loads((run / "metrics.json").read_text())["test"]
    script = json.loads((tmp_path / "out" / "script_metrics.json").read_text())
    for k, v in script.items():
        assert v == pytest.approx(app[k], rel=1e-3, abs=1e-3), k


@pytest.mark.slow
def test_a_log_target_beats_none_on_a_skewed_positive_target(tmp_path):
    """y = exp(linear + noise): on the log the network fits a straight line; on the raw
    numbers it must learn the exponential from a few huge values. Both scored on the same
    held-out rows, in the target's own units (RMSE by scikit-learn from kwk's predictions)."""
    from sklearn.metrics import mean_squared_error

    from kwk.runs.bundle import load_bundle
    rng = np.random.default_rng(5)
    n = 600
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = np.exp(1.0 + 1.0 * df["x1"] + 0.6 * df["x2"] + rng.normal(0, 0.25, n))
    rmse = {}
    for name, extra in (("none", {}), ("log", {"target_transform": "log"})):
        run = _train(tmp_path, df, {"target": "y", **extra}, name, epochs=40)
        test_rows = prepare(df, json.loads((run / "spec.json").read_text())).rows["test"]
        te = df.iloc[test_rows]
        pred = load_bundle(run).output(te)
        rmse[name] = float(np.sqrt(mean_squared_error(te["y"], pred)))
        app = json.loads((run / "metrics.json").read_text())["test"]["rmse"]
        assert app == pytest.approx(rmse[name], rel=1e-4)  # the metrics are in the target's units
    assert rmse["log"] < 0.85 * rmse["none"], rmse
