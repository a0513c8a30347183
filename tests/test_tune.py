"""Tuning (kwk tune): the spec's tune section, the proposed space, the depth, a search that beats
the user's own network on validation, the best bundle, and two processes sharing one study."""
import json
import subprocess
import sys

import pytest

from kwk.errors import SpecError
from kwk.spec import default_spec, normalize
from kwk.tune.space import (apply, current_values, head_blocks, propose, rows_to_space,
                            space_rows, with_depth)
from tests.testutil import ROOT, run_cli, run_script


def _stack():
    s = default_spec("y")
    s["layers"].insert(1, {"type": "Dropout", "rate": 0.2})
    return normalize(s)


def test_tune_section_errors_name_the_key():
    s = _stack()
    s["tune"] = {"trials": 0, "pruner": "always", "color": 1,
                 "space": {"layers[7].units": {"low": 1, "high": 2},
                           "layers[0].units": {"low": 0, "high": 64},
                           "layers[1].units": {"low": 1, "high": 2},
                           "layers[1].rate": {"low": 0.1, "high": 1.5},
                           "layers[0].activation": {"choices": ["relu", "nope"]},
                           "training.learning_rate": {"low": 0.1, "high": 0.001, "log": True},
                           "training.bogus": {"low": 1, "high": 2},
                           "hidden_blocks": {"low": 1, "high": 99}}}
    with pytest.raises(SpecError) as e:
        normalize(s)
    text = str(e.value)
    for part in ("tune.trials", "tune.pruner", "Unknown key 'color' in 'tune'",
                 "'layers[7].units'", "tune.space['layers[0].units']: the range 0 to 64 goes "
                 "outside the valid range of units", "layer 2 (Dropout) has no setting 'units'",
                 "tune.space['layers[1].rate']", "'nope'", "low (0.1) is above high (0.001)",
                 "training has no setting 'bogus'", "tune.space['hidden_blocks']"):
        assert part in text, part
    s["tune"] = {"space": {"layers[0].units": {"low": 8, "high": 64, "log": True}}}
    assert normalize(s)["tune"]["space"] == s["tune"]["space"]
    assert "tune" not in normalize(_stack())  # a spec without one stays as it was


def test_proposed_space_surrounds_the_users_stack():
    s = _stack()
    space = propose(s, train_rows=100)
    assert space["training.learning_rate"] == {"low": 1e-4, "high": 1e-2, "log": True}
    assert space["layers[0].units"]["low"] <= 32 <= space["layers[0].units"]["high"]
    assert space["layers[1].rate"] == {"low": 0.0, "high": 0.5}
    assert max(space["training.batch_size"]["choices"]) <= 50  # batches ≤ half the rows
    assert space["hidden_blocks"]["low"] == 1
    own = current_values(s, space)
    assert own["hidden_blocks"] == 2 and own["layers[0].units"] == 32
    # the table round-trips, and a switched-off row leaves the space
    rows = space_rows(space, s["layers"])
    assert rows_to_space(rows, s["layers"]) == (space, [])
    rows[0]["search"] = False
    assert "training.learning_rate" not in rows_to_space(rows, s["layers"])[0]


def test_depth_repeats_or_drops_the_head_blocks():
    s = _stack()  # Dense, Dropout, Dense
    assert head_blocks(s["layers"]) == [(0, 2), (2, 3)]
    assert [l["type"] for l in with_depth(s["layers"], 1)] == ["Dense", "Dropout"]
    deeper = apply(s, {"hidden_blocks": 4, "layers[2].units": 7})
    assert [l["type"] for l in deeper["layers"]] == ["Dense", "Dropout"] + ["Dense"] * 3
    assert [l.get("units") for l in deeper["layers"][2:]] == [7, 7, 7]
    conv = normalize({"data": {"target": "y"}, "layers": [
        {"type": "Conv2D"}, {"type": "Flatten"}, {"type": "Dense"}, {"type": "Dropout"}]})
    assert [l["type"] for l in with_depth(conv["layers"], 2)] == \
        ["Conv2D", "Flatten", "Dense", "Dropout", "Dense", "Dropout"]


@pytest.fixture(scope="module")
def churn_tuned(tmp_path_factory, samples_dir):
    """A real search through the CLI, shared by the tests below."""
    d = tmp_path_factory.mktemp("tune")
    spec = default_spec("churned")
    spec["training"].update(epochs=6, early_stopping_patience=0)
    (d / "spec.json").write_text(json.dumps(spec))
    (d / "data.csv").write_bytes((samples_dir / "churn.csv").read_bytes())
    r = run_cli("tune", samples_dir / "churn.csv", "--spec", d / "spec.json", "--out",
                d / "out", "--trials", 6, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return d, r


def test_tune_cli_writes_the_leaderboard_the_study_and_the_best_run(churn_tuned):
    d, r = churn_tuned
    board = json.loads((d / "out" / "leaderboard.json").read_text())
    study = json.loads((d / "out" / "study.json").read_text())
    assert len(board) == 6 and {b["number"] for b in board} == set(range(6))
    for b in board:
        assert set(b) >= {"number", "params", "value", "state", "epochs", "seconds"}
        assert b["state"] in ("complete", "pruned", "failed")
    assert study["metric"] == "balanced_accuracy" and study["direction"] == "maximize"
    assert study["storage"].startswith("sqlite:///") and study["counts"]["complete"] >= 2
    own, best = study["own"], study["best"]
    # the search beats the default stack on its validation score (0.548 -> 0.638 here)
    assert own["number"] == 0 and best["value"] > own["value"]
    # the best run is a complete bundle with the chosen values and says how it was chosen
    run = d / "out" / "best"
    spec = json.loads((run / "spec.json").read_text())
    for path, v in best["params"].items():
        if path == "training.learning_rate":
            assert spec["training"]["learning_rate"] == pytest.approx(v)
        if path == "hidden_blocks":  # Dense blocks (each may carry a searched Dropout)
            assert sum(l["type"] == "Dense" for l in spec["layers"]) == v
    record = (run / "run.json").read_text()
    assert "Chosen by a search of 6 trial(s)" in record
    m = json.loads((run / "metrics.json").read_text())
    assert "test" in m and "reference" in m  # gradient boosting beside the network
    assert m["tuning"]["trials"] == 6 and m["tuning"]["best_trial"] == best["number"]
    p = run_cli("predict", run, d / "data.csv", "--out", d / "pred.csv")
    assert p.returncode == 0, p.stderr
    assert "prediction" in (d / "pred.csv").read_text().splitlines()[0]


def test_the_best_runs_script_reproduces_its_metrics(churn_tuned, samples_dir):
    d, _ = churn_tuned
    run = d / "out" / "best"
    out = d / "script_out"
    p = run_script(run / "train_script.py", samples_dir / "churn.csv", out, cwd=d)
    assert p.returncode == 0, p.stderr[-3000:]
    app = json.loads((run / "metrics.json").read_text())["test"]
    mine = json.loads((out / "script_metrics.json").read_text())
    for k, v in mine.items():
        assert v == pytest.approx(app[k], rel=1e-3, abs=1e-3), k


def test_a_search_resumes_instead_of_starting_again(churn_tuned, samples_dir):
    """The same data and spec find the same study in the --out folder, with its trials."""
    from kwk.data import load
    from kwk.prep.prepare import prepare
    from kwk.tune.search import Search
    d, r = churn_tuned
    ld = load(str(samples_dir / "churn.csv"))
    spec = json.loads((d / "spec.json").read_text())
    study = json.loads((d / "out" / "study.json").read_text())
    s = Search(prepare(ld.df, spec), ld.fingerprint, study["storage"])
    assert s.name == study["study"] and s.finished() == 6
    assert "6 trial(s) to run" in r.stderr


@pytest.mark.slow
def test_two_processes_share_one_study(tmp_path, samples_dir):
    spec = default_spec("species")
    spec["training"].update(epochs=4, early_stopping_patience=0)
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    import os
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "kwk", "tune", str(samples_dir / "iris.csv"),
                               "--spec", str(tmp_path / "spec.json"), "--out",
                               str(tmp_path / f"out{i}"), "--trials", "3", "--storage", url,
                               "--study", "shared", "--quiet"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=900)
        assert p.returncode == 0, err[-3000:]
    import optuna
    study = optuna.load_study(study_name="shared", storage=url)
    trials = study.get_trials()
    assert len(trials) == 6 and sorted(t.number for t in trials) == list(range(6))
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    ran = [t.params for t in trials if "duplicate_of" not in t.user_attrs
           and t.state.name == "COMPLETE"]
    assert len({json.dumps(p, sort_keys=True) for p in ran}) == len(ran)  # none ran twice
    # the best so far, exported without running trials
    r = run_cli("tune", samples_dir / "iris.csv", "--spec", tmp_path / "spec.json",
                "--storage", url, "--study", "shared", "--best-out", tmp_path / "best",
                timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "best" / "model.keras").exists()
    assert len(optuna.load_study(study_name="shared", storage=url).get_trials()) == 6


def test_tune_user_errors_exit_2(tmp_path, samples_dir):
    spec = default_spec("species")
    spec["tune"] = {"space": {"layers[0].units": {"low": 64, "high": 8}}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = run_cli("tune", samples_dir / "iris.csv", "--spec", tmp_path / "spec.json", "--out",
                tmp_path / "o")
    assert r.returncode == 2 and "error:" in r.stderr and "low (64) is above high (8)" in r.stderr
    spec["tune"] = {"metric": "r2"}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = run_cli("tune", samples_dir / "iris.csv", "--spec", tmp_path / "spec.json", "--out",
                tmp_path / "o")
    assert r.returncode == 2 and "does not fit a multiclass target" in r.stderr
    spec.pop("tune")
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    r = run_cli("tune", samples_dir / "iris.csv", "--spec", tmp_path / "spec.json")
    assert r.returncode == 2 and "--out" in r.stderr
    r = run_cli("tune", samples_dir / "iris.csv", "--spec", tmp_path / "spec.json", "--out",
                tmp_path / "o", "--storage", "nosuchdb://x")
    assert r.returncode == 2 and "cannot be opened" in r.stderr


def test_kfold_trials_score_the_mean_over_folds_without_the_test_rows(tmp_path, iris_df):
    from kwk.prep.prepare import prepare
    from kwk.tune.search import Search, search_folds
    spec = default_spec("species")
    spec["training"].update(epochs=3, early_stopping_patience=0, validation="kfold", folds=3)
    spec["tune"] = {"trials": 2, "pruner": "none",
                    "space": {"layers[0].units": {"low": 4, "high": 16, "log": True}}}
    p = prepare(iris_df, spec)
    folds = search_folds(p, 3)
    test_rows = set(p.rows["test"])
    for f in folds:  # every fold's rows come from training and validation only
        assert not test_rows & (set(f.rows["train"]) | set(f.rows["validation"]) | set(f.rows["test"]))
    held = sorted(r for f in folds for r in f.rows["test"])
    assert held == sorted([*p.rows["train"], *p.rows["validation"]])  # each row held out once
    s = Search(p, "fp", f"sqlite:///{tmp_path / 's.db'}")
    assert s.kfold and s.summary()["split"].startswith("k-fold mean")
    s.run(2)
    best = s.study.best_trial
    assert len(best.user_attrs["fold_scores"]) == 3
    assert best.value == pytest.approx(sum(best.user_attrs["fold_scores"]) / 3)


def test_a_stopped_search_keeps_its_finished_trials(tmp_path, iris_df):
    import threading

    from kwk.prep.prepare import prepare
    from kwk.tune.search import Search
    spec = default_spec("species")
    spec["training"].update(epochs=3, early_stopping_patience=0)
    p = prepare(iris_df, spec)
    s = Search(p, "fp", f"sqlite:///{tmp_path / 's.db'}")
    stop = threading.Event()
    seen = []

    def after(row):
        seen.append(row)
        stop.set()  # the user presses Stop after the first trial
    assert s.run(10, stop=stop, on_trial=after) == 1
    assert s.counts()["complete"] == 1 and s.best()["number"] == 0 and seen[0].get("own")


def test_a_search_stops_when_its_time_is_up(tmp_path, iris_df):
    from kwk.prep.prepare import prepare
    from kwk.tune.search import Search
    spec = default_spec("species")
    spec["training"].update(epochs=200, early_stopping_patience=0)
    s = Search(prepare(iris_df, spec), "fp", f"sqlite:///{tmp_path / 's.db'}")
    s.run(50, timeout=3)
    assert s.timed_out and s.finished() < 50
    # the trial the clock stopped is kept as pruned (stopped), not as a complete score
    rows = s.leaderboard()
    assert any(r.get("stopped") for r in rows)
    assert all(r["state"] == "pruned" for r in rows if r.get("stopped"))
