"""Find the best settings (issue 33, item 1): the search lands on a known optimum, stays within
what the model knows, respects fixed inputs, and refuses values the model never saw.

The fast tests search an analytic function behind a bundle's real preprocessing (the answer is
exact); the slow ones train a small network on a bowl and drive ``python -m kwk optimize``."""
import json
import math

import numpy as np
import pandas as pd
import pytest

from kwk.errors import KwkError
from kwk.evaluation.optimize import (
    OptimizeError,
    check_fixed,
    input_space,
    optimize,
    parse_goal,
    pick_class,
)
from kwk.prep.preprocess import Preprocessor

# ------------------------------------------------------------------ an exact function
STORE_BONUS = {1.0: 0.0, 2.0: 0.1, 3.0: 0.2, 4.0: 0.3, 7.0: 0.5}


def bowl(df: pd.DataFrame) -> np.ndarray:
    """10 - (x1-3)² - (x2-1)² + 2·[cat = b] + a store bonus (largest for store 7); region is a
    nuisance. Maximum 12.5 at x1 = 3, x2 = 1, cat = b, store = 7."""
    x1, x2 = df["x1"].astype(float), df["x2"].astype(float)
    store = df["store"].astype(float).map(STORE_BONUS).fillna(-100.0)
    return (10 - (x1 - 3) ** 2 - (x2 - 1) ** 2 + 2 * (df["cat"] == "b") + store).to_numpy()


class FakeBundle:
    """A bundle's surface (preprocessing state, spec, ``predict_output``) over an analytic
    function; every row it is asked about is kept, to check the search stayed in range."""

    def __init__(self, task="regression", classes=None):
        cols = [{"name": "x1", "kind": "numeric", "fill": 2.0, "mean": 3.0, "std": 1.7},
                {"name": "x2", "kind": "numeric", "fill": 0.5, "mean": 1.0, "std": 1.7},
                {"name": "store", "kind": "numeric", "fill": 2.0, "mean": 3.0, "std": 2.0,
                 "levels": [1.0, 2.0, 3.0, 4.0, 7.0]},
                {"name": "cat", "kind": "categorical", "categories": ["a", "b", "c"],
                 "n_labels_seen": 3},
                {"name": "region", "kind": "categorical", "categories": ["p", "q"],
                 "n_labels_seen": 2}]
        target = {"name": "y", "task": task}
        target.update({"mean": 0.0, "std": 1.0} if task == "regression" else {"classes": classes})
        self.pre = Preprocessor.from_state({"columns": cols, "target": target})
        self.spec = {"data": {"target": "y"}}
        self.seen = []

    def predict_output(self, df):
        self.seen.append(df.copy())
        f = bowl(df)
        if self.pre.task == "regression":
            return f
        p = 1 / (1 + np.exp(-(f - 9)))  # P(last class) rises with the bowl
        k = len(self.pre.classes)
        if k == 2:
            return np.column_stack([1 - p, p])
        rest = (1 - p)[:, None] / (k - 1) * np.ones((len(p), k - 1))
        return np.column_stack([rest, p])


SUMMARY = [{"column": "y", "role": "target"},
           {"column": "x1", "role": "input", "min": 0.0, "max": 6.0},
           {"column": "x2", "role": "input", "min": -2.0, "max": 4.0},
           {"column": "store", "role": "input", "min": 1.0, "max": 7.0}]


def search(goal, fixed=None, task="regression", classes=None, cls=None, seed=0, n=600):
    b = FakeBundle(task, classes)
    out = optimize(b, goal, fixed=fixed, cls=cls, space=input_space(b, SUMMARY),
                   evaluations=n, seed=seed)
    return b, out


def test_maximize_lands_on_the_known_optimum_within_what_the_model_knows():
    b, out = search("maximize")
    s = out["settings"]
    assert abs(s["x1"] - 3) < 0.2 and abs(s["x2"] - 1) < 0.2
    assert s["cat"] == "b" and s["store"] == 7
    # the optimum is 12.5; 0.2 off in both numbers costs at most 0.08
    assert out["prediction"] >= 12.5 - 0.08
    assert out["prediction"] == pytest.approx(bowl(pd.DataFrame([s]))[0])  # recomputed
    assert out["goal"] == "maximize" and out["class"] is None
    asked = pd.concat(b.seen)
    assert len(asked) == out["evaluations"] <= 600
    # TPE asks 400 candidates in batches of 50 (one model call each), Powell polishes the rest
    assert sum(len(s) for s in b.seen if len(s) == 50) == 400
    assert asked["x1"].between(0, 6).all() and asked["x2"].between(-2, 4).all()
    assert set(asked["store"]) <= {1, 2, 3, 4, 7}  # a code takes only the values it held
    assert set(asked["cat"]) <= {"a", "b", "c"} and set(asked["region"]) <= {"p", "q"}
    assert "interval" not in out and "one seed" in out["interval_note"]


def test_minimize_goes_to_a_corner_and_avoids_the_bonus():
    _, out = search("minimize")
    s = out["settings"]
    # the smallest: x1 at 0 or 6 and x2 at -2 or 4 (-(3)² each), cat not b, store 1: -8
    assert min(abs(s["x1"]), abs(s["x1"] - 6)) < 0.25
    assert min(abs(s["x2"] + 2), abs(s["x2"] - 4)) < 0.25
    assert s["cat"] != "b" and s["store"] == 1
    assert out["prediction"] <= -8 + 0.05  # Powell reaches the bounds
    assert out["prediction"] == pytest.approx(bowl(pd.DataFrame([s]))[0])


@pytest.mark.parametrize("value", [5.0, 11.0, -3.0])
def test_target_value_is_met(value):
    _, out = search(f"target={value}")
    assert abs(out["prediction"] - value) < 0.05
    assert out["goal"] == f"target={value:g}"


def test_fixed_inputs_are_held_and_the_rest_optimised():
    b, out = search("maximize", fixed={"x2": "0", "cat": "a"})
    s = out["settings"]
    assert s["x2"] == 0.0 and s["cat"] == "a" and out["fixed"] == {"x2": 0.0, "cat": "a"}
    asked = pd.concat(b.seen)
    assert (asked["x2"] == 0).all() and (asked["cat"] == "a").all()
    # with x2 = 0 and cat = a the best is x1 = 3, store 7: 10 - 1 + 0.5 = 9.5
    assert abs(s["x1"] - 3) < 0.2 and s["store"] == 7 and out["prediction"] >= 9.5 - 0.04


def test_the_same_seed_gives_the_same_answer():
    _, a = search("maximize", seed=3, n=200)
    _, b = search("maximize", seed=3, n=200)
    assert a["settings"] == b["settings"] and a["prediction"] == b["prediction"]


def test_everything_fixed_is_one_evaluation():
    _, out = search("maximize", fixed={"x1": 1, "x2": 2, "store": 4, "cat": "c", "region": "q"})
    assert out["evaluations"] == 1
    assert out["prediction"] == pytest.approx(10 - 4 - 1 + 0.3)


def test_a_class_probability_is_maximised_for_the_last_class_by_default():
    _, out = search("maximize", task="binary", classes=["no", "yes"])
    assert out["class"] == "yes" and out["settings"]["cat"] == "b"
    assert out["prediction"] >= 1 / (1 + math.exp(-(12.5 - 0.08 - 9)))
    _, low = search("maximize", task="binary", classes=["no", "yes"], cls="no")
    assert low["class"] == "no" and low["settings"]["cat"] != "b" and low["prediction"] > 0.99


def test_multiclass_needs_a_class_and_reads_its_column():
    with pytest.raises(OptimizeError, match="say which class"):
        search("maximize", task="multiclass", classes=["r", "s", "t"])
    _, out = search("maximize", task="multiclass", classes=["r", "s", "t"], cls="t")
    assert out["class"] == "t" and out["settings"]["cat"] == "b"


# ------------------------------------------------------------------ refusals, with reasons
@pytest.mark.parametrize("fixed, words", [
    ({"x1": "7"}, ["x1 = 7 is outside the training range 0 to 6"]),
    ({"x1": "seven"}, ["not a number"]),
    ({"cat": "z"}, ["cat = 'z' is not one of its levels (a, b, c)"]),
    ({"store": "5"}, ["never seen in training", "1, 2, 3, 4, 7"]),
    ({"colour": "red"}, ["'colour' is not an input", "x1, x2, store, cat, region"]),
])
def test_a_fixed_value_the_model_never_saw_is_refused_with_the_reason(fixed, words):
    b = FakeBundle()
    with pytest.raises(OptimizeError) as e:
        check_fixed(input_space(b, SUMMARY), fixed)
    for w in words:
        assert w in str(e.value)


def test_every_bad_fixed_value_is_named_at_once():
    with pytest.raises(OptimizeError) as e:
        check_fixed(input_space(FakeBundle(), SUMMARY), {"x1": "-1", "cat": "z"})
    assert "x1 = -1" in str(e.value) and "cat = 'z'" in str(e.value)


@pytest.mark.parametrize("text", ["maximum-ish", "target=", "target=abc", "", "target=inf"])
def test_a_goal_that_is_not_understood_is_refused(text):
    with pytest.raises(OptimizeError, match="maximize, minimize or target=V"):
        parse_goal(text)


def test_class_choices_are_checked():
    with pytest.raises(OptimizeError, match="regression"):
        pick_class(FakeBundle(), "yes")
    with pytest.raises(OptimizeError, match="Give one of: no, yes"):
        pick_class(FakeBundle("binary", ["no", "yes"]), "maybe")
    with pytest.raises(OptimizeError, match="not a probability"):
        search("target=2", task="binary", classes=["no", "yes"])
    assert issubclass(OptimizeError, KwkError)


# ------------------------------------------------------------------ a trained network, the CLI
def _cli(*args, env=None):
    import os

    from testutil import _in_process

    from kwk.cli import main
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        argv = [str(a) for a in args]
        return _in_process(["python", "-m", "kwk", *argv], lambda: main(argv), None)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A regression run on the bowl y = 10 - (x1-3)² - (x2-1)² + 2·[cat = b] + noise (region a
    nuisance) and a binary run whose 'yes' is likeliest near x1 = 3 with cat = b."""
    from kwk.data import load
    from kwk.runs.service import DataSource, save_run
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    d = tmp_path_factory.mktemp("optimize")
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({"x1": rng.uniform(0, 6, n), "x2": rng.uniform(-2, 4, n),
                       "cat": rng.choice(["a", "b", "c"], n), "region": rng.choice(["p", "q"], n)})
    f = 10 - (df.x1 - 3) ** 2 - (df.x2 - 1) ** 2 + 2 * (df.cat == "b")
    df["y"] = f + rng.normal(0, 0.3, n)
    df["ok"] = np.where(f - 7 + rng.logistic(0, 1, n) > 0, "yes", "no")
    runs = {}
    for target, drop in (("y", "ok"), ("ok", "y")):
        path = d / f"{target}.csv"
        df.drop(columns=drop).to_csv(path, index=False)
        ld = load(str(path))
        spec = {"kwk_spec": 1, "data": {"target": target},
                "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                           {"type": "Dense", "units": 32, "activation": "relu"}],
                "training": {"epochs": 30, "batch_size": 32, "learning_rate": 0.01,
                             "early_stopping_patience": 0}}
        res = Job(prepare(ld.df, spec)).run()
        runs[target] = save_run(res, DataSource.of(ld, path=str(path)), out_dir=d / target,
                                script=False)
    return d, runs


def _model_at(run_dir, row, column=None):
    from kwk.runs.bundle import load_bundle
    out = load_bundle(run_dir).predict_output(pd.DataFrame([row]))
    return float(out[0] if column is None else out[0, column])


def _truth(s: dict) -> float:
    return 10 - (s["x1"] - 3) ** 2 - (s["x2"] - 1) ** 2 + 2 * (s["cat"] == "b")


def _rmse(run_dir) -> float:
    return json.loads((run_dir / "metrics.json").read_text())["test"]["rmse"]


@pytest.mark.slow
def test_cli_finds_the_bowls_maximum_with_and_without_a_fixed_input(trained, tmp_path):
    d, runs = trained
    out = tmp_path / "opt.json"
    r = _cli("optimize", runs["y"], "--goal", "maximize", "--out", out)
    assert r.returncode == 0, r.stderr
    got = json.loads(out.read_text())
    s = got["settings"]
    assert set(s) == {"x1", "x2", "cat", "region"} and s["cat"] == "b"
    # A network within ±e of the truth (e: its test RMSE) can put its peak anywhere the truth
    # is within 2e of its maximum 12, i.e. within sqrt(2e) of (3, 1): that is the tolerance.
    e = _rmse(runs["y"])
    assert e < 1.0  # the fit is good enough for the check to mean something
    assert _truth(s) >= 12 - 2 * e
    assert math.hypot(s["x1"] - 3, s["x2"] - 1) <= math.sqrt(2 * e)
    # the search is at least as good as the model's own prediction at the true optimum
    at_truth = max(_model_at(runs["y"], {"x1": 3, "x2": 1, "cat": "b", "region": g})
                   for g in ("p", "q"))
    assert got["prediction"] >= at_truth - 0.02
    assert abs(got["prediction"] - 12) < 1.0  # and near the true maximum, 12
    assert got["prediction"] == pytest.approx(_model_at(runs["y"], s), rel=1e-5)

    r = _cli("optimize", runs["y"], "--goal", "maximize", "--fix", "x2=-1", "--fix",
             "cat=a", "--out", out, "--evaluations", "300", "--seed", "1")
    assert r.returncode == 0, r.stderr
    got = json.loads(out.read_text())
    s = got["settings"]
    assert s["x2"] == -1 and s["cat"] == "a" and got["evaluations"] <= 300
    assert abs(s["x1"] - 3) <= math.sqrt(2 * e) and _truth(s) >= 6 - 2 * e  # truth: 6 at x1 = 3
    at_truth = max(_model_at(runs["y"], {"x1": 3, "x2": -1, "cat": "a", "region": g})
                   for g in ("p", "q"))
    assert got["prediction"] >= at_truth - 0.02


@pytest.mark.slow
def test_cli_minimize_and_target_and_a_run_id(trained, tmp_path):
    import shutil
    d, runs = trained
    ws = tmp_path / "ws"
    shutil.copytree(runs["y"], ws / "runs" / "abc123")
    out = tmp_path / "opt.json"
    r = _cli("optimize", "abc123", "--goal", "minimize", "--out", out,
             env={"KWK_WORKSPACE": str(ws)})
    assert r.returncode == 0, r.stderr
    got = json.loads(out.read_text())
    s = got["settings"]
    assert min(s["x1"], 6 - s["x1"]) < 0.5 and min(s["x2"] + 2, 4 - s["x2"]) < 0.5
    assert s["cat"] != "b" and got["prediction"] < -5  # truth -8 at the corners

    r = _cli("optimize", runs["y"], "--goal", "target=4", "--out", out)
    assert r.returncode == 0, r.stderr
    assert abs(json.loads(out.read_text())["prediction"] - 4) < 0.05


@pytest.mark.slow
def test_cli_maximises_a_class_probability(trained, tmp_path):
    d, runs = trained
    out = tmp_path / "opt.json"
    r = _cli("optimize", runs["ok"], "--goal", "maximize", "--class", "yes", "--out", out)
    assert r.returncode == 0, r.stderr
    got = json.loads(out.read_text())
    assert got["class"] == "yes"
    at_truth = max(_model_at(runs["ok"], {"x1": 3, "x2": 1, "cat": "b", "region": g}, 1)
                   for g in ("p", "q"))
    assert got["prediction"] >= at_truth - 1e-3 and got["prediction"] > 0.9
    r = _cli("optimize", runs["ok"], "--goal", "minimize", "--out", out)  # default: yes
    got = json.loads(out.read_text())
    assert r.returncode == 0 and got["class"] == "yes" and got["prediction"] < 0.05


@pytest.mark.slow
@pytest.mark.parametrize("args, words", [
    (["--fix", "x1=9"], "x1 = 9 is outside the training range"),
    (["--fix", "cat=z"], "is not one of its levels (a, b, c)"),
    (["--fix", "colour=red"], "'colour' is not an input of this model"),
    (["--fix", "x1"], "is not COL=VALUE"),
    (["--class", "yes"], "cannot be used with a regression model"),
    (["--goal", "biggest"], "The goal 'biggest' is not understood"),
])
def test_cli_refusals_exit_2_with_the_reason(trained, tmp_path, args, words):
    d, runs = trained
    goal = [] if "--goal" in args else ["--goal", "maximize"]
    r = _cli("optimize", runs["y"], *goal, *args, "--out", tmp_path / "o.json")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: ") and words in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o.json").exists()


@pytest.mark.slow
def test_cli_refuses_an_unknown_class_and_a_missing_run(trained, tmp_path):
    d, runs = trained
    r = _cli("optimize", runs["ok"], "--goal", "maximize", "--class", "maybe",
             "--out", tmp_path / "o.json")
    assert r.returncode == 2 and "Give one of: no, yes" in r.stderr
    r = _cli("optimize", "nope", "--goal", "maximize", "--out", tmp_path / "o.json",
             env={"KWK_WORKSPACE": str(tmp_path / "empty")})
    assert r.returncode == 2 and "neither a run folder nor a run id" in r.stderr


def test_the_interval_is_the_range_of_the_repeated_seeds_at_the_settings():
    class Shifted(FakeBundle):
        def __init__(self, by):
            super().__init__()
            self.by = by

        def predict_output(self, df):
            return bowl(df) + self.by
    b = FakeBundle()
    out = optimize(b, "maximize", space=input_space(b, SUMMARY), evaluations=100,
                   others=[Shifted(-0.3), Shifted(0.2)])
    p = out["prediction"]
    assert out["interval"] == pytest.approx([p - 0.3, p + 0.2])
    assert "3 seeds" in out["interval_note"]
