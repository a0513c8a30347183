"""Explanations (kwk/evaluation/explain.py, ``python -m kwk explain``): Shapley contributions
per original column on data where the truth is known, their additivity, the CLI's contract,
picture heat-maps and text occlusion."""
import json

import numpy as np
import pandas as pd
import pytest

from testutil import run_cli


def truth_table(n=300, seed=0):
    """y is driven strongly by x1, weakly by x2 and not at all by x3 (nor by the label g)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                       "x3": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    df["y"] = 4.0 * df["x1"] + 1.0 * df["x2"] + rng.normal(0, 0.05, n)
    return df


# ------------------------------------------------------------------ the engine, exact truth
def test_shapley_of_an_additive_function_is_exact_and_additive():
    from kwk.evaluation.explain import global_importance, shapley
    df = truth_table(200)
    df.loc[5, "x2"] = np.nan  # a missing value is a value like any other
    df.loc[7, "g"] = None

    def f(rows):
        x2 = pd.to_numeric(rows["x2"]).fillna(0.0).to_numpy(float)
        return 3.0 * rows["x1"].to_numpy(float) + 0.5 * x2 + 2.0 * (rows["g"] == "a").to_numpy()

    bg, rows = df.iloc[100:150], df.iloc[:20]
    e = shapley(f, rows, bg, ["x1", "x2", "x3", "g"], permutations=3)
    assert e.additivity_gap() < 1e-9
    assert np.allclose(e.prediction, f(rows))
    assert np.allclose(e.base, f(bg).mean())  # base = the average prediction over the background
    # an additive model's Shapley values are exact: coefficient x (value - background mean)
    assert np.allclose(e.values[:, 0], 3.0 * (rows["x1"] - bg["x1"].mean()))
    assert np.allclose(e.values[:, 2], 0.0)
    assert abs(e.values[7, 3] - 2.0 * (0 - (bg["g"] == "a").mean())) < 1e-9  # None != "a"
    assert global_importance(e)["feature"].tolist()[-1] == "x3"


def test_classifier_contributions_are_per_class_and_sum_to_the_probabilities():
    from kwk.evaluation.explain import shapley
    df = truth_table(120)

    def f(rows):
        p = 1 / (1 + np.exp(-2 * rows["x1"].to_numpy(float)))
        return np.column_stack([1 - p, p])

    e = shapley(f, df.iloc[:5], df.iloc[60:], ["x1", "x2", "x3", "g"], classes=["no", "yes"])
    assert e.values.shape == (5, 4, 2) and e.base.shape == (5, 2)
    assert e.additivity_gap() < 1e-9
    assert np.allclose(e.values[:, :, 0], -e.values[:, :, 1])
    e.predicted = ["yes"] * 5
    r = e.row(0)
    assert set(r) == {"base", "contributions", "prediction", "predicted"}
    assert set(r["contributions"]) == {"no", "yes"} and set(r["contributions"]["yes"]) == \
        {"x1", "x2", "x3", "g"}


def test_shap_loads_without_numba_and_stays_exact():
    """shap comes in against KwK's numba stand-in: numba and its LLVM library (about 50 MB of
    the app's memory) are not loaded, shap's permutation explainer still gives a linear
    model's exact Shapley values w * (x - mean of the background), and a library that imports
    numba afterwards gets the real one."""
    import subprocess
    import sys
    code = """
import sys
import numpy as np
from kwk.evaluation.explain import _shap
shap = _shap()
assert "numba" not in sys.modules and "llvmlite" not in sys.modules, "numba was loaded"
rng = np.random.default_rng(0)
bg, w = rng.normal(size=(40, 4)), np.array([1.0, -2.0, 0.5, 3.0])
x = rng.normal(size=(3, 4))
got = shap.explainers.Permutation(lambda X: X @ w, shap.maskers.Independent(bg, max_samples=40))(x)
assert np.allclose(got.values, w * (x - bg.mean(0)), atol=1e-9), got.values
import numba
import numba.core  # the real numba: the stand-in has no core
assert hasattr(numba, "__version__") and "llvmlite" in sys.modules
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]),
                       timeout=300)
    assert r.stdout.strip().endswith("ok"), r.stderr[-2000:]


def test_the_numba_stand_in_covers_what_shap_takes_from_numba():
    """Read the installed shap's source: every name it takes from numba is one the stand-in
    gives (a newer shap that needs more fails here, and the app would import the real numba
    for it instead)."""
    import re
    from pathlib import Path

    import shap as _  # noqa: F401  (the installed copy's folder)
    import sys

    from kwk.evaluation.explain import NUMBA_NAMES, _numba_stand_in
    root = Path(sys.modules["shap"].__file__).parent
    used = set()
    for path in root.rglob("*.py"):
        if "test" in path.name:
            continue
        for line in path.read_text(errors="replace").splitlines():
            code = line.split("#", 1)[0]
            used |= {n.strip() for m in re.findall(r"from numba import ([\w, ]+)", code)
                     for n in m.split(",")}
            used |= set(re.findall(r"\bnumba\.(\w+)", code))
            used |= {f"typed.{n}" for n in re.findall(r"\bnumba\.typed\.(\w+)", code)}
    stand_in = _numba_stand_in()
    for name in used:
        head, _, rest = name.partition(".")
        assert head in NUMBA_NAMES, f"shap uses numba.{name}"
        assert hasattr(stand_in["numba"], head) and (
            not rest or hasattr(getattr(stand_in["numba"], head), rest)), name
    assert {"njit", "typed"} <= used  # the scan reads shap's code at all


def test_wide_tables_cap_the_work_per_row():
    from kwk.evaluation.explain import _permutations
    assert _permutations(6, 50, 10, 40_000) == 10
    assert _permutations(300, 50, 10, 40_000) == 1  # never zero: one forward+backward pass
    assert _permutations(40, 50, 10, 40_000) == 9


def test_stop_ends_early_with_the_rows_done():
    import threading

    from kwk.evaluation.explain import shapley
    df = truth_table(60)
    stop = threading.Event()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        stop.set()
    e = shapley(lambda r: r["x1"].to_numpy(float), df.iloc[:10], df.iloc[30:], ["x1", "x2"],
                progress=progress, stop=stop)
    assert e.n == 1 and e.additivity_gap() < 1e-9
    assert seen[-1] == (5, 50) and [d for d, _ in seen] == [1, 2, 3, 4, 5]  # 5 steps per row


# ------------------------------------------------------------------ a trained model
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A regression and a binary run trained on the truth table, saved as run folders."""
    from kwk.data import load
    from kwk.runs.service import DataSource, save_run
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    d = tmp_path_factory.mktemp("explain")
    df = truth_table()
    df["cls"] = np.where(df["y"] > 0, "high", "low")
    out = {}
    for target, drop in (("y", "cls"), ("cls", "y")):
        path = d / f"{target}.csv"
        df.drop(columns=drop).to_csv(path, index=False)
        ld = load(str(path))
        spec = {"kwk_spec": 1, "data": {"target": target},
                "layers": [{"type": "Dense", "units": 16, "activation": "relu"}],
                "training": {"epochs": 15, "batch_size": 32, "learning_rate": 0.01,
                             "early_stopping_patience": 0}}
        res = Job(prepare(ld.df, spec)).run()
        out[target] = (save_run(res, DataSource.of(ld, path=str(path)), out_dir=d / target,
                                script=False), path, ld)
    return out


def test_a_trained_model_ranks_the_known_drivers_and_is_additive(runs):
    from kwk.evaluation.explain import explain_bundle, global_importance, run_background
    from kwk.runs.bundle import load_bundle
    run_dir, _, ld = runs["y"]
    b = load_bundle(run_dir)
    bg, note = run_background(run_dir, ld.df, ld.fingerprint)
    assert "training rows" in note and len(bg) == 50
    e = explain_bundle(b, ld.df.iloc[:40], bg)
    assert e.additivity_gap() < 1e-3
    assert np.allclose(e.prediction, b.output(ld.df.iloc[:40]), atol=1e-3)  # the model's output
    order = global_importance(e)["feature"].tolist()
    assert order.index("x1") < order.index("x2") < order.index("x3")
    imp = global_importance(e).set_index("feature")["mean_abs"]
    assert imp["x1"] > 2 * imp["x2"] and imp["x2"] > 2 * imp["x3"], imp


def test_a_trained_classifier_ranks_the_known_drivers_too(runs):
    from kwk.evaluation.explain import explain_bundle, global_importance, run_background
    from kwk.runs.bundle import load_bundle
    run_dir, _, ld = runs["cls"]
    b = load_bundle(run_dir)
    bg, _ = run_background(run_dir, ld.df, ld.fingerprint)
    e = explain_bundle(b, ld.df.iloc[:30], bg)
    assert e.additivity_gap() < 1e-3 and e.classes == ["high", "low"]
    order = global_importance(e, "high")["feature"].tolist()
    assert order.index("x1") < order.index("x2") < order.index("x3"), order


def test_cli_explain_is_a_light_subcommand():
    r = run_cli("explain", "--help", timeout=120)
    assert r.returncode == 0 and "--rows" in r.stdout and "RUN" in r.stdout
    import subprocess
    import sys
    from testutil import ROOT
    probe = subprocess.run([sys.executable, "-c", "import sys; from kwk.cli import build_parser; "
                            "build_parser(); print('shap' in sys.modules, "
                            "'tensorflow' in sys.modules)"], capture_output=True, text=True,
                           cwd=ROOT, timeout=120)
    assert probe.stdout.split() == ["False", "False"], probe.stderr  # parsers import nothing heavy


def test_cli_explain_regression_contract(runs, tmp_path, capsys):
    from kwk.cli import main
    run_dir, data, _ = runs["y"]
    assert main(["explain", str(run_dir), str(data), "--out", str(tmp_path / "e.json"),
                 "--rows", "3"]) == 0
    assert "training rows (outside the test split)" in capsys.readouterr().err
    out = json.loads((tmp_path / "e.json").read_text())
    assert len(out["rows"]) == 3
    for row in out["rows"]:
        assert set(row["contributions"]) == {"x1", "x2", "x3", "g"}
        assert abs(row["base"] + sum(row["contributions"].values()) - row["prediction"]) < 1e-3
    pred = pd.read_csv(data).iloc[:3]
    assert abs(out["rows"][0]["prediction"] - 4 * pred["x1"][0] - pred["x2"][0]) < 1.0


def test_cli_explain_classification_contract_and_errors(runs, tmp_path, capsys):
    from kwk.cli import main
    run_dir, data, _ = runs["cls"]
    assert main(["explain", str(run_dir), str(data), "--out", str(tmp_path / "c.json"),
                 "--rows", "4"]) == 0
    out = json.loads((tmp_path / "c.json").read_text())
    assert len(out["rows"]) == 4
    for row in out["rows"]:
        assert set(row["base"]) == set(row["prediction"]) == {"high", "low"}
        assert row["predicted"] == max(row["prediction"], key=row["prediction"].get)
        for c in ("high", "low"):
            total = row["base"][c] + sum(row["contributions"][c].values())
            assert abs(total - row["prediction"][c]) < 1e-3
    capsys.readouterr()
    assert main(["explain", str(run_dir), str(data), "--out", str(tmp_path / "x.json"),
                 "--rows", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --rows 0")
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    assert main(["explain", str(run_dir), str(tmp_path / "other.csv"),
                 "--out", str(tmp_path / "x.json")]) == 2
    assert "lacks 4 column(s)" in capsys.readouterr().err
    assert main(["explain", str(tmp_path), str(data), "--out", str(tmp_path / "x.json")]) == 2
    assert "not a complete KwK model folder" in capsys.readouterr().err


# ------------------------------------------------------------------ pictures and texts
def test_saliency_finds_the_pixels_that_decide_the_class(tmp_path):
    from kwk.evaluation.explain import saliency_maps
    from kwk.runs.bundle import load_bundle, save_bundle
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    rng = np.random.default_rng(0)
    n = 300
    px = rng.uniform(0, 60, size=(n, 8, 8))
    lab = rng.integers(0, 2, n)
    px[lab == 1, :, :3] += 180  # class "bright" has a bright left band; the rest is noise
    df = pd.DataFrame(px.reshape(n, -1), columns=[f"px_{i}" for i in range(64)])
    df["label"] = np.where(lab == 1, "bright", "dark")
    spec = {"kwk_spec": 1, "data": {"target": "label", "image_shape": [8, 8, 1]},
            "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 8, "activation": "relu"}],
            "training": {"epochs": 8, "learning_rate": 0.01, "early_stopping_patience": 0}}
    res = Job(prepare(df, spec)).run()
    save_bundle(res, tmp_path / "run", "pics.csv", "fp", None)
    b = load_bundle(tmp_path / "run")
    maps, classes = saliency_maps(b, df.iloc[:6], reference=df.iloc[100:])
    assert maps.shape == (6, 8, 8) and len(classes) == 6
    assert maps.max() <= 1.0 + 1e-6 and maps.min() >= 0
    left, right = maps[:, :, :3].mean(), maps[:, :, 3:].mean()
    assert left > 3 * right, (left, right)
    assert saliency_maps(b, df.iloc[:2])[0].shape == (2, 8, 8)  # a flat grey reference


def test_word_occlusion_names_the_words_that_pushed_the_prediction(tmp_path):
    from kwk.evaluation.explain import check_explainable, word_effects
    from kwk.errors import KwkError
    from kwk.runs.bundle import load_bundle, save_bundle
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    rng = np.random.default_rng(0)
    good, bad = "great lovely superb fine".split(), "awful broken poor sad".split()
    rows = []
    for i in range(120):
        lab = "pos" if i % 2 else "neg"
        words = list(rng.choice(good if lab == "pos" else bad, 2)) + \
            list(rng.choice(["the", "it", "was"], 3))
        rows.append({"review": " ".join(words), "label": lab})
    spec = {"data": {"target": "label", "text": {"max_tokens": 50, "sequence_length": 6}},
            "layers": [{"type": "Embedding", "output_dim": 8},
                       {"type": "GlobalAveragePooling1D"}],
            "training": {"epochs": 25, "learning_rate": 0.02, "early_stopping_patience": 0}}
    res = Job(prepare(pd.DataFrame(rows), spec)).run()
    save_bundle(res, tmp_path / "run", "reviews.csv", "fp", None)
    b = load_bundle(tmp_path / "run")
    effects, k, p = word_effects(b, "the superb it was", cls=b.pre.classes.index("pos"))
    assert [w for w, _ in effects] == ["the", "superb", "it", "was"]
    top = max(effects, key=lambda we: we[1])
    assert top[0] == "superb" and top[1] > 0.05, effects
    effects, _, _ = word_effects(b, "awful the", cls=b.pre.classes.index("pos"))
    assert dict(effects)["awful"] < 0
    with pytest.raises(KwkError, match="text model"):
        check_explainable(b)
    assert word_effects(b, None)[0] == []
