import json

import pandas as pd
import pytest

from testutil import run_cli, tiny_spec


def test_profile_json(samples_dir):
    r = run_cli("profile", samples_dir / "churn.csv", "--target", "churned")
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert p["rows"] == 1200 and p["columns"] == 8
    assert {c["name"]: c["kind"] for c in p["columns_info"]}["customer_id"] == "identifier"
    assert p["source"]["read_options"]["sep"] == ","


def test_profile_does_not_import_tensorflow(samples_dir):
    import subprocess
    import sys
    from testutil import ROOT
    code = ("import sys; from kwk.cli import main; main(['profile', %r]); "
            "sys.stderr.write(str('tensorflow' in sys.modules))" % str(samples_dir / "iris.csv"))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.stderr.strip().endswith("False")


@pytest.mark.parametrize("args,match", [
    (["profile", "/no/such.csv"], "File not found"),
    (["frobnicate"], "invalid choice"),
    (["train", "DATA"], "required: --spec"),
    (["train", "DATA", "--spec", "BADSPEC", "--out", "OUT"], "Unknown key 'colour'"),
    (["train", "DATA", "--spec", "NOTARGET", "--out", "OUT"], "target column 'ghost' is not in the data"),
    (["train", "EMPTY", "--spec", "SPEC", "--out", "OUT"], "is empty"),
    (["predict", "/no/model", "DATA", "--out", "p.csv"], "not a model folder"),
    (["codegen", "NOTJSON", "--data", "DATA"], "not valid JSON"),
    (["report", "OUT", "--out", "r.html"], "not a complete KwK run folder"),
    (["profile", "DATA", "--target", "ghost"], "not in the data"),
])
def test_user_errors_exit_2_with_one_line(tmp_path, samples_dir, args, match):
    files = {"DATA": samples_dir / "iris.csv", "EMPTY": tmp_path / "empty.csv",
             "SPEC": tmp_path / "spec.json", "BADSPEC": tmp_path / "bad.json",
             "NOTARGET": tmp_path / "nt.json", "NOTJSON": tmp_path / "x.json",
             "OUT": tmp_path / "out"}
    files["EMPTY"].write_text("")
    files["SPEC"].write_text(json.dumps(tiny_spec("species")))
    files["BADSPEC"].write_text(json.dumps({**tiny_spec("species"), "colour": 1}))
    files["NOTARGET"].write_text(json.dumps(tiny_spec("ghost")))
    files["NOTJSON"].write_text("{nope")
    r = run_cli(*[files.get(a, a) for a in args], cwd=tmp_path)
    assert r.returncode == 2
    err = [l for l in r.stderr.strip().splitlines() if l.startswith("error:")]
    assert len(err) == 1 and match in err[0], r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_train_then_predict(tmp_path, samples_dir):
    (tmp_path / "spec.json").write_text(json.dumps(tiny_spec("churned", epochs=3)))
    r = run_cli("train", samples_dir / "churn.csv", "--spec", tmp_path / "spec.json",
                "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    assert "epoch 3/3" in r.stderr  # the progress bar
    for f in ("model.keras", "spec.json", "metrics.json", "history.json", "train_script.py",
              "preprocess.json", "run.json"):
        assert (tmp_path / "run" / f).exists(), f
    spec = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert spec["data"]["task"] == "binary" and "plan" in spec["data"]["features"]
    assert spec["training"]["optimizer"] == "adam"  # defaults filled in
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["task"] == "binary" and {"accuracy", "balanced_accuracy", "f1_macro", "log_loss",
                                      "roc_auc"} <= set(m["test"]) and "baseline" in m
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["seed"] == 0 and run["data"]["fingerprint"].startswith("sha256:")
    assert "keras" in run["versions"]
    # new rows: no target column, missing values, an unseen category, a formula-like value
    new = pd.read_csv(samples_dir / "churn.csv").drop(columns="churned").head(6)
    new.loc[0, "plan"] = "platinum"
    new.loc[1, "monthly_charge"] = None
    new.loc[2, "region"] = "=HYPERLINK(\"http://x\")"
    new.to_csv(tmp_path / "new.csv", index=False)
    r = run_cli("predict", tmp_path / "run", tmp_path / "new.csv", "--out", tmp_path / "pred.csv")
    assert r.returncode == 0, r.stderr
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert len(pred) == 6 and set(pred["prediction"]) <= {"yes", "no"}
    assert (pred["proba_no"] + pred["proba_yes"]).round(4).eq(1).all()
    assert pred.loc[2, "region"].startswith("'=")
    # the HTML report, self-contained
    r = run_cli("report", tmp_path / "run", "--out", tmp_path / "report.html")
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "report.html").read_text()
    for part in ("KwK report: predicting churned", "Columns used", "monthly_charge",
                 "Cumulative gains", "Calibration",
                 "Confusion matrix", "keras.Sequential", "plotly"):
        assert part in page, part
    assert "<script src=" not in page  # nothing fetched from the network
    # a file that lacks a needed column
    new.drop(columns="plan").to_csv(tmp_path / "bad.csv", index=False)
    r = run_cli("predict", tmp_path / "run", tmp_path / "bad.csv", "--out", tmp_path / "p2.csv")
    assert r.returncode == 2 and "lacks 1 column(s) the model needs: plan" in r.stderr


def test_unwritable_output_dir(tmp_path, samples_dir):
    (tmp_path / "spec.json").write_text(json.dumps(tiny_spec("species", epochs=1)))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run_cli("train", samples_dir / "iris.csv", "--spec", tmp_path / "spec.json",
                "--out", blocker / "sub", "--quiet")
    assert r.returncode == 2 and "Cannot write to the output folder" in r.stderr
