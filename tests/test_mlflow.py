"""MLflow (issue 33, item 4): a run logged to a real local tracking store (SQLite), read back
with MLflow's own client, its model loaded with ``mlflow.pyfunc`` and compared with
``kwk predict``; a tracker that is down never loses the run."""
import json

import numpy as np
import pandas as pd
import pytest

from testutil import run_cli, tiny_spec

mlflow = pytest.importorskip("mlflow")

from kwk.errors import KwkError  # noqa: E402
from kwk.runs.tracker import check_uri, flatten, metrics_of, param_name  # noqa: E402

FILES = ("model.keras", "preprocess.json", "spec.json", "metrics.json", "history.json",
         "run.json", "train_script.py", "evaluation.npz")


def test_spec_is_flattened_to_named_parameters_within_mlflows_limits():
    spec = {"data": {"target": "y", "features": ["a", "b"]},
            "layers": [{"type": "Dense", "units": 8}, {"type": "Dropout", "rate": 0.2}],
            "training": {"epochs": 3, "weight_decay": None}, "note": "x" * 7000}
    p = flatten(spec)
    assert p["training.epochs"] == "3" and p["layers.0.units"] == "8"
    assert p["layers.1.rate"] == "0.2" and p["layers.1.type"] == "Dropout"
    assert p["data.features"] == '["a", "b"]' and p["training.weight_decay"] == "None"
    assert len(p["note"]) == 6000
    assert param_name("layers[0].units") == "layers.0.units" == flatten(
        {"layers[0].units": 8}).popitem()[0]


def test_metrics_carry_their_intervals():
    m = metrics_of({"task": "binary", "n_test": 40,
                    "test": {"accuracy": 0.9, "per_class": {"a": {}}, "roc_auc": None},
                    "test_ci": {"accuracy": [0.8, 0.95]}, "baseline": {"accuracy": 0.5},
                    "reference": {"name": "gradient boosting", "accuracy": 0.92}})
    assert m == {"test_accuracy": 0.9, "test_accuracy_low": 0.8, "test_accuracy_high": 0.95,
                 "baseline_accuracy": 0.5, "reference_accuracy": 0.92, "n_test": 40.0}


@pytest.mark.parametrize("uri", ["ftp://host/x", "mlflow.example.com:5000", "", "s3://b/k"])
def test_a_wrong_uri_is_refused_with_the_schemes(uri):
    with pytest.raises(KwkError) as e:
        check_uri(uri)
    assert "MLflow" in str(e.value)


def test_good_uris_pass():
    for uri in ("http://localhost:5000", "https://m.example.com", "sqlite:////tmp/m.db",
                "file:///tmp/mlruns", "/tmp/mlruns", "postgresql+psycopg2://h/db"):
        assert check_uri(uri) == uri


def test_a_wrong_scheme_stops_train_before_any_training(tmp_path):
    r = run_cli("train", tmp_path / "nothing.csv", "--spec", tmp_path / "s.json",
                "--out", tmp_path / "run", "--mlflow", "ftp://tracker/x")
    assert r.returncode == 2 and "error: The MLflow tracking URI 'ftp://tracker/x'" in r.stderr
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def logged(tmp_path_factory, samples_dir):
    """Iris trained with --mlflow to a SQLite store, the model registered."""
    d = tmp_path_factory.mktemp("mlflow")
    (d / "spec.json").write_text(json.dumps(tiny_spec("species", epochs=3)))
    uri = f"sqlite:///{d / 'mlflow.db'}"
    r = run_cli("train", samples_dir / "iris.csv", "--spec", d / "spec.json", "--out",
                d / "run", "--quiet", "--mlflow", uri, "--mlflow-experiment", "kwk-test",
                "--mlflow-register", "iris_kwk")
    assert r.returncode == 0, r.stderr
    return d, uri, r


@pytest.mark.slow
def test_train_logs_params_metrics_and_artifacts(logged):
    d, uri, r = logged
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("kwk-test")
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    run = runs[0]
    assert f"run {run.info.run_id}" in r.stderr
    spec = json.loads((d / "run" / "spec.json").read_text())
    metrics = json.loads((d / "run" / "metrics.json").read_text())
    assert run.data.params["training.epochs"] == "3"
    assert run.data.params["layers.0.units"] == "8"
    assert run.data.params["data.target"] == spec["data"]["target"] == "species"
    m = run.data.metrics
    assert m["test_balanced_accuracy"] == pytest.approx(metrics["test"]["balanced_accuracy"])
    lo, hi = metrics["test_ci"]["balanced_accuracy"]
    assert (m["test_balanced_accuracy_low"], m["test_balanced_accuracy_high"]) == \
        pytest.approx((lo, hi))
    history = json.loads((d / "run" / "history.json").read_text())
    losses = client.get_metric_history(run.info.run_id, "loss")
    assert [x.value for x in sorted(losses, key=lambda x: x.step)] == \
        pytest.approx(history["loss"])
    names = {f.path for f in client.list_artifacts(run.info.run_id, "kwk")}
    assert {"kwk/spec.json", "kwk/train_script.py", "kwk/report.html"} <= names
    local = client.download_artifacts(run.info.run_id, "kwk/spec.json", str(d / "dl"))
    assert json.loads(open(local).read()) == spec
    script = client.download_artifacts(run.info.run_id, "kwk/train_script.py", str(d / "dl"))
    assert open(script).read() == (d / "run" / "train_script.py").read_text()


@pytest.mark.slow
def test_the_mlflow_model_predicts_what_kwk_predict_gives(logged, samples_dir):
    d, uri, _ = logged
    client = mlflow.MlflowClient(tracking_uri=uri)
    run = client.search_runs([client.get_experiment_by_name("kwk-test").experiment_id])[0]
    rows = pd.read_csv(samples_dir / "iris.csv").drop(columns="species").sample(12,
                                                                                random_state=3)
    rows.to_csv(d / "rows.csv", index=False)
    r = run_cli("predict", d / "run", d / "rows.csv", "--out", d / "pred.csv")
    assert r.returncode == 0, r.stderr
    want = pd.read_csv(d / "pred.csv", keep_default_na=False)
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    got = model.predict(rows.reset_index(drop=True))
    assert list(got.columns) == list(want.columns)
    assert got["prediction"].tolist() == want["prediction"].tolist()
    proba = [c for c in want.columns if c.startswith("proba_")]
    assert len(proba) == 3
    np.testing.assert_allclose(got[proba].to_numpy(float), want[proba].to_numpy(float),
                               atol=1e-6)
    assert (got[proba].sum(axis=1) - 1).abs().max() < 1e-5
    # the signature names the raw columns; the input example is raw rows
    sig = model.metadata.get_input_schema()
    assert sig.input_names() == list(rows.columns)
    assert "prediction" in model.metadata.get_output_schema().input_names()
    info = mlflow.models.get_model_info(f"runs:/{run.info.run_id}/model")
    assert info.saved_input_example_info is not None


@pytest.mark.slow
def test_the_model_is_registered_when_asked(logged):
    d, uri, r = logged
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    versions = client.search_model_versions("name='iris_kwk'")
    run = client.search_runs([client.get_experiment_by_name("kwk-test").experiment_id])[0]
    assert [v.run_id for v in versions] == [run.info.run_id]
    assert "registered as 'iris_kwk' version 1" in r.stderr
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    model = mlflow.pyfunc.load_model("models:/iris_kwk/1")
    assert model.metadata.get_input_schema().input_names()[0] == "sepal length (cm)"


@pytest.mark.slow
def test_a_tracker_that_is_down_never_loses_the_run(tmp_path, samples_dir, monkeypatch):
    (tmp_path / "spec.json").write_text(json.dumps(tiny_spec("species", epochs=2)))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9/")  # nothing listens there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    r = run_cli("train", samples_dir / "iris.csv", "--spec", tmp_path / "spec.json", "--out",
                tmp_path / "run", "--quiet")
    assert r.returncode == 2
    line = [x for x in r.stderr.splitlines() if x.startswith("error:")][-1]
    assert line.startswith(f"error: the run was saved to {tmp_path / 'run'}, but logging it "
                           "to MLflow at http://127.0.0.1:9/ failed: the MLflow server at "
                           "http://127.0.0.1:9/ cannot be reached (connection refused).")
    assert "Traceback" not in r.stderr
    for f in FILES:  # the run folder is complete, and it predicts
        assert (tmp_path / "run" / f).exists(), f
    r = run_cli("predict", tmp_path / "run", samples_dir / "iris.csv", "--out",
                tmp_path / "p.csv")
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_tune_logs_one_nested_run_per_trial(tmp_path, samples_dir):
    spec = tiny_spec("species", epochs=2)
    spec["tune"] = {"trials": 3, "pruner": "none"}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    r = run_cli("tune", samples_dir / "iris.csv", "--spec", tmp_path / "spec.json", "--out",
                tmp_path / "tune", "--quiet", "--mlflow", uri)
    assert r.returncode == 0, r.stderr
    board = json.loads((tmp_path / "tune" / "leaderboard.json").read_text())
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("kwk")
    runs = client.search_runs([exp.experiment_id])
    parents = [x for x in runs if "mlflow.parentRunId" not in x.data.tags]
    assert len(parents) == 1
    parent = parents[0]
    trials = [x for x in runs if x.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(trials) == len(board) == 3
    study = json.loads((tmp_path / "tune" / "study.json").read_text())
    key = f"validation_{study['metric']}"
    by_name = {x.info.run_name: x for x in trials}
    for row in board:
        t = by_name[f"trial {row['trial']}"]
        want = {param_name(k): str(v) for k, v in row["params"].items()}
        assert want and want == {k: t.data.params[k] for k in want}
        if row["value"] is not None:
            assert t.data.metrics[key] == pytest.approx(row["value"])
    assert parent.data.params["search.metric"] == study["metric"]
    assert parent.data.metrics[f"best_{key}"] == pytest.approx(study["best"]["value"])
    assert {f.path for f in client.list_artifacts(parent.info.run_id)} >= {"kwk", "model"}
