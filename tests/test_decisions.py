"""The decision threshold belongs to the run (saved with it; used by predictions, the CLI, the
report and the script), and predictions flag values the model never saw."""
import json

import numpy as np
import pandas as pd
import pytest

from testutil import run_cli, tiny_spec

pytestmark = pytest.mark.slow  # trains a model


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, churn_df):
    d = tmp_path_factory.mktemp("decisions")
    churn_df.to_csv(d / "churn.csv", index=False)
    (d / "spec.json").write_text(json.dumps(tiny_spec("churned", epochs=3)))
    r = run_cli("train", d / "churn.csv", "--spec", d / "spec.json", "--out", d / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    return d


def test_a_chosen_threshold_labels_predictions_everywhere(run_dir):
    from kwk.runs.report import build_report
    from kwk.runs.bundle import load_bundle, read_threshold
    from kwk.runs.service import set_threshold
    run = run_dir / "run"
    assert read_threshold(run) == 0.5 and "DECISION_THRESHOLD = 0.5" in \
        (run / "train_script.py").read_text()
    rows = pd.read_csv(run_dir / "churn.csv").head(300)
    before = load_bundle(run).predict(rows)
    set_threshold(run, 0.05)
    b = load_bundle(run)
    assert b.threshold == 0.05
    after = b.predict(rows)
    yes = [c for c in after.columns if c.startswith("proba_")][1]
    want = np.where(after[yes] >= 0.05, yes[len("proba_"):], [c for c in after.columns
                    if c.startswith("proba_")][0][len("proba_"):])
    assert (after["prediction"].astype(str).to_numpy() == want).all()
    assert (after["prediction"] != before["prediction"]).any()
    assert "DECISION_THRESHOLD = 0.05" in (run / "train_script.py").read_text()
    assert "Decision threshold: 0.05" in build_report(run)
    out = run_dir / "pred.csv"
    r = run_cli("predict", run, run_dir / "churn.csv", "--out", out)
    assert r.returncode == 0 and "from a probability of 0.05 on" in r.stderr
    assert (pd.read_csv(out)["prediction"].astype(str).to_numpy()[:300] == want).all()
    r = run_cli("predict", run, run_dir / "churn.csv", "--out", out, "--threshold", "0.9")
    assert r.returncode == 0 and "0.9 on" in r.stderr
    r = run_cli("predict", run, run_dir / "churn.csv", "--out", out, "--threshold", "1.5")
    assert r.returncode == 2 and r.stderr.startswith("error:")
    with pytest.raises(Exception, match="between 0 and 1"):
        set_threshold(run, 0)
    set_threshold(run, 0.5)


def test_unseen_and_unreadable_values_are_flagged(run_dir):
    from kwk.runs.bundle import load_bundle, unusual_summary
    b = load_bundle(run_dir / "run")
    rows = pd.read_csv(run_dir / "churn.csv").head(5).copy()
    rows.loc[0, "plan"] = "Excellent"
    rows["monthly_charge"] = rows["monthly_charge"].astype(object)
    rows.loc[1, "monthly_charge"] = "cheap"
    rows.loc[2, "plan"] = None  # missing is not unusual: training had missing values too
    pred = b.predict(rows)
    assert "plan = 'Excellent' was never seen in training" in pred.loc[0, "unusual"]
    assert "monthly_charge = 'cheap' is not a number" in pred.loc[1, "unusual"]
    assert pred.loc[2, "unusual"] == "" and pred.loc[3, "unusual"] == ""
    note = unusual_summary(pred["unusual"])
    assert note.startswith("2 of 5 rows have values the model never saw")
    assert unusual_summary(pred["unusual"].iloc[2:]) is None
    rows.to_csv(run_dir / "odd.csv", index=False)
    r = run_cli("predict", run_dir / "run", run_dir / "odd.csv", "--out", run_dir / "odd_pred.csv")
    assert r.returncode == 0 and "2 of 5 rows have values the model never saw" in r.stderr
    assert "unusual" in pd.read_csv(run_dir / "odd_pred.csv").columns


def test_the_shared_bundle_is_loaded_once_and_follows_the_threshold(run_dir, monkeypatch):
    """Issue 30: a page's preload and the page itself load a run's model once between them
    (the second waits for the first); a threshold chosen later is read again, not kept stale
    in the loaded bundle."""
    import threading
    import time

    from kwk.runs import bundle
    from kwk.runs.service import set_threshold
    run = run_dir / "run"
    monkeypatch.setattr(bundle, "_LOADED", {})
    loads, real = [], bundle.load_bundle

    def slow_load(d):
        loads.append(d)
        time.sleep(0.5)  # the page asks while the preload is still loading
        return real(d)
    monkeypatch.setattr(bundle, "load_bundle", slow_load)
    assert not bundle.bundle_is_loaded(run)
    t = bundle.preload_bundle(run)
    assert isinstance(t, threading.Thread)
    b = bundle.cached_bundle(run)
    t.join()
    assert len(loads) == 1 and bundle.bundle_is_loaded(run)
    assert bundle.preload_bundle(run) is None and bundle.cached_bundle(run) is b
    set_threshold(run, 0.3)
    assert bundle.cached_bundle(run).threshold == 0.3 and len(loads) == 1
    set_threshold(run, 0.5)
    bundle.preload_bundle(run_dir / "no such run")  # a folder that does not load: no error
