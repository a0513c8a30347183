"""Class challenges with hidden answers (issue 32, item 2): ``python -m kwk challenge create /
score / board`` and the engine in kwk/learn/challenge.py. Numbers are checked against hand
calculations and scikit-learn."""
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from testutil import ROOT, _in_process, run_cli, tiny_spec

from kwk.learn import challenge as ch


def cli(*args, cwd=None):
    """``python -m kwk ARGS`` in this process (the command imports no TensorFlow)."""
    from kwk.cli import main
    args = [str(a) for a in args]
    return _in_process(["python", "-m", "kwk", *args], lambda: main(args), cwd)


def _classes_df(n=200, seed=0):
    """Three classes in shares 60/30/10 %, sorted by class (so a leak of the order would leak
    the answer), two number columns that carry the class."""
    rng = np.random.default_rng(seed)
    y = np.array(["a"] * int(n * .6) + ["b"] * int(n * .3) + ["c"] * (n - int(n * .6) - int(n * .3)))
    x = (y == "b") * 2.0 + (y == "c") * 4.0 + rng.normal(0, .3, n)
    return pd.DataFrame({"x": x, "z": rng.normal(0, 1, n), "order": np.arange(n), "label": y})


def _number_df(n=120, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    return pd.DataFrame({"x": x, "noise": rng.normal(0, 1, n),
                         "y": 3 * x + rng.normal(0, 0.5, n)})


@pytest.fixture
def made(tmp_path):
    """A challenge made by the CLI on the class table: (folder, the data)."""
    df = _classes_df()
    df.to_csv(tmp_path / "data.csv", index=False)
    r = cli("challenge", "create", tmp_path / "data.csv", "--target", "label", "--goal", "0.8",
            "--seed", "3", "--out", tmp_path / "ch")
    assert r.returncode == 0, r.stderr
    return tmp_path / "ch", df


# ------------------------------------------------------------------ create

def test_create_writes_the_student_zip_and_the_key(made):
    d, df = made
    z = zipfile.ZipFile(d / "student.zip")
    assert set(z.namelist()) == {"train.csv", "test.csv", "challenge.json"}
    train = pd.read_csv(z.open("train.csv"))
    test = pd.read_csv(z.open("test.csv"))
    meta = json.loads(z.read("challenge.json"))
    key = pd.read_csv(d / "key.csv")
    assert list(key.columns) == ["row_id", "label"]
    assert "label" in train.columns and "label" not in test.columns
    assert test.columns[0] == "row_id" and "row_id" not in train.columns
    assert len(train) == 150 and len(test) == len(key) == 50  # a quarter of 200 rows
    assert test["row_id"].is_unique and set(test["row_id"]) == set(key["row_id"])
    # every row is in exactly one part, with its own values
    both = pd.concat([train, test.merge(key, on="row_id").drop(columns="row_id")])
    assert sorted(both["order"]) == list(range(200))
    back = both.set_index("order").sort_index()
    pd.testing.assert_series_equal(back["label"], df.set_index("order")["label"])
    for field in ("title", "target", "task", "metric", "goal", "rules", "higher_is_better"):
        assert field in meta
    assert (meta["target"], meta["task"], meta["metric"], meta["goal"]) == \
        ("label", "multiclass", "balanced_accuracy", 0.8)
    assert meta["higher_is_better"] is True and meta["classes"] == ["a", "b", "c"]
    assert any("row_id" in r and "prediction" in r for r in meta["rules"])
    teacher = json.loads((d / "challenge.json").read_text())
    assert teacher["teacher"]["seed"] == 3 and "seed" not in meta


def test_split_is_stratified_and_ids_do_not_leak_the_order(made):
    d, df = made
    key = pd.read_csv(d / "key.csv")
    test = pd.read_csv(io.BytesIO(zipfile.ZipFile(d / "student.zip").read("test.csv")))
    # 60/30/10 % of 50 test rows: exactly 30, 15 and 5 per class
    assert key["label"].value_counts().to_dict() == {"a": 30, "b": 15, "c": 5}
    # the data is sorted by class: neither the ids nor the file order follow it
    pos = test["order"].to_numpy()
    assert not (np.all(np.diff(pos) > 0) or np.all(np.diff(pos) < 0))
    from scipy.stats import spearmanr
    num = key["row_id"].str[1:].astype(int)
    rho = spearmanr(num, test.set_index("row_id").loc[key["row_id"], "order"]).statistic
    assert abs(rho) < 0.3
    assert key["row_id"].str.fullmatch(r"T\d{6,}").all()


def test_regression_defaults_to_rmse_and_drops_rows_without_a_target():
    df = _number_df()
    df.loc[:4, "y"] = np.nan
    c = ch.create(df, "y", test_fraction=0.2, seed=1)
    assert (c.meta["task"], c.meta["metric"], c.meta["higher_is_better"]) == \
        ("regression", "rmse", False)
    assert len(c.train) + len(c.test) == 115 and len(c.test) == 23
    assert any("without a value of 'y'" in n for n in c.notes)


@pytest.mark.parametrize("args,match", [
    (["--target", "ghost"], "target column 'ghost' is not in the data"),
    (["--target", "label", "--test-fraction", "1.5"], "not between 0 and 1"),
    (["--target", "label", "--test-fraction", "0"], "not between 0 and 1"),
    (["--target", "label", "--metric", "wow"], "Unknown metric 'wow'"),
    (["--target", "label", "--metric", "rmse"], "scores numbers"),
    (["--target", "label", "--goal", "2"], "goal 2.0 cannot be a balanced accuracy"),
    (["--target", "label", "--test-fraction", "0.01"], "leaves 2 test"),
    (["--target", "label", "SMALL"], "Too few rows"),
])
def test_create_refuses_bad_input(tmp_path, args, match):
    _classes_df().to_csv(tmp_path / "data.csv", index=False)
    _classes_df(n=40).sample(15, random_state=0).to_csv(tmp_path / "small.csv", index=False)
    data = tmp_path / ("small.csv" if "SMALL" in args else "data.csv")
    r = cli("challenge", "create", data, *[a for a in args if a != "SMALL"],
            "--out", tmp_path / "ch")
    assert r.returncode == 2, r.stderr
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(err) == 1 and match in err[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "ch" / "key.csv").exists()


# ------------------------------------------------------------------ the student's zip

def test_kwk_loader_reads_a_challenge_zip_as_its_training_rows(made, tmp_path):
    from kwk.data import load
    d, _ = made
    ld = load(d / "student.zip")  # today: "holds 3 tables: KwK reads one table at a time"
    assert len(ld.df) == 150 and "label" in ld.df.columns
    assert ld.read_options["zip_member"] == "train.csv"
    assert "class challenge" in ld.notes[0]
    same = load((d / "student.zip").read_bytes(), name="student.zip")
    assert same.df.equals(ld.df)
    train, test, meta = ch.open_student_zip((d / "student.zip").read_bytes())
    assert train.equals(ld.df) and len(test) == 50 and meta["target"] == "label"
    assert test["row_id"].map(type).eq(str).all()
    # a zip of two tables without challenge.json is still refused, as before
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("train.csv", "a,b\n1,2\n")
        z.writestr("test.csv", "a,b\n1,2\n")
    from kwk.errors import DataError
    with pytest.raises(DataError, match="holds 2 tables"):
        load(buf.getvalue(), name="two.zip")
    with pytest.raises(DataError, match="not a KwK challenge"):
        ch.open_student_zip(buf.getvalue())


# ------------------------------------------------------------------ score

def _hand_key(tmp_path, y, name="label"):
    ids = [f"T{i:06d}" for i in (17, 3, 99, 42, 5, 8, 71, 60, 13, 28)[:len(y)]]
    pd.DataFrame({"row_id": ids, name: y}).to_csv(tmp_path / "key.csv", index=False)
    return ids


def test_score_matches_a_hand_calculation(tmp_path):
    y = list("aaaabbbccc")
    p = list("aabcbbaccb")
    ids = _hand_key(tmp_path, y)
    # rows in another order than the key's: lined up by row_id
    sub = pd.DataFrame({"row_id": ids, "prediction": p}).iloc[::-1]
    sub.to_csv(tmp_path / "sub.csv", index=False)
    expected = {"balanced_accuracy": (2 / 4 + 2 / 3 + 2 / 3) / 3,  # recall per class
                "accuracy": 6 / 10,
                "f1_macro": (4 / 7 + 4 / 7 + 2 / 3) / 3}  # 2tp / (2tp + fp + fn) per class
    for metric, value in expected.items():
        r = cli("challenge", "score", tmp_path / "key.csv", tmp_path / "sub.csv",
                "--metric", metric)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["metric"] == metric and out["rows"] == 10
        assert out["score"] == pytest.approx(value, abs=1e-12)
        lo, hi = out["interval"]
        assert lo <= out["score"] <= hi and out["interval_level"] == 0.95
    assert expected["balanced_accuracy"] == pytest.approx(11 / 18)


def test_score_of_numbers_matches_a_hand_calculation(tmp_path):
    ids = _hand_key(tmp_path, [1.0, 2.0, 3.0, 4.0], name="y")
    pd.DataFrame({"row_id": ids, "prediction": [1.5, 2, 2, 5]}).to_csv(tmp_path / "s.csv",
                                                                      index=False)
    meta = {"target": "y", "task": "regression", "metric": "rmse", "goal": 0.8}
    (tmp_path / "challenge.json").write_text(json.dumps(meta))  # found beside the key
    out = json.loads(cli("challenge", "score", tmp_path / "key.csv", tmp_path / "s.csv").stdout)
    # errors 0.5, 0, -1, 1: MSE 2.25 / 4, RMSE 0.75; |e| 2.5 / 4; R² 1 - 2.25 / 5
    assert out["score"] == pytest.approx(0.75) and out["higher_is_better"] is False
    assert out["goal"] == 0.8 and out["met"] is True
    for metric, value in (("mae", 0.625), ("r2", 0.55)):
        out = json.loads(cli("challenge", "score", tmp_path / "key.csv", tmp_path / "s.csv",
                             "--metric", metric).stdout)
        assert out["score"] == pytest.approx(value)


def test_labels_are_compared_in_one_spelling(tmp_path):
    ids = _hand_key(tmp_path, [0, 1, 1, 0, 1, 0])
    pd.DataFrame({"row_id": ids, "prediction": ["0.0", "1", "1.0", " 0", "0", "0"]}) \
        .to_csv(tmp_path / "s.csv", index=False)
    out = json.loads(cli("challenge", "score", tmp_path / "key.csv", tmp_path / "s.csv").stdout)
    assert out["task"] == "binary" and out["score"] == pytest.approx((2 / 3 + 1) / 2)


def test_bootstrap_weights_match_scikit_learns_sample_weight():
    from sklearn import metrics as skm
    rng = np.random.default_rng(4)
    y, p = rng.integers(0, 4, 300), rng.integers(0, 4, 300)
    agree = rng.random(300) < .5
    p[agree] = y[agree]
    w = np.bincount(rng.integers(0, 300, 300), minlength=300).astype(float)
    assert ch.weighted_metric("balanced_accuracy", y, p, w, 4) == pytest.approx(
        skm.balanced_accuracy_score(y, p, sample_weight=w))
    assert ch.weighted_metric("accuracy", y, p, w, 4) == pytest.approx(
        skm.accuracy_score(y, p, sample_weight=w))
    assert ch.weighted_metric("f1_macro", y, p, w, 4) == pytest.approx(
        skm.f1_score(y, p, average="macro", sample_weight=w, zero_division=0))
    t, q = rng.normal(0, 1, 300), rng.normal(0, 1, 300)
    assert ch.weighted_metric("rmse", t, q, w) == pytest.approx(
        np.sqrt(skm.mean_squared_error(t, q, sample_weight=w)))
    assert ch.weighted_metric("mae", t, q, w) == pytest.approx(
        skm.mean_absolute_error(t, q, sample_weight=w))
    assert ch.weighted_metric("r2", t, q, w) == pytest.approx(
        skm.r2_score(t, q, sample_weight=w))


def _bad(sub: pd.DataFrame, which: str) -> pd.DataFrame:
    s = sub.copy()
    if which == "missing":
        return s.iloc[1:]
    if which == "repeated":
        return pd.concat([s, s.iloc[[0]]])
    if which == "unknown":
        s.loc[s.index[0], "row_id"] = "T123"
        return s
    if which == "other":  # a submission for another challenge
        s["row_id"] = [f"X{i:06d}" for i in range(len(s))]
        return s
    if which == "class":
        s.loc[s.index[0], "prediction"] = "zebra"
        return s
    if which == "empty":
        s.loc[s.index[0], "prediction"] = None
        return s
    if which == "no_row_id":
        return s.rename(columns={"row_id": "id"})
    if which == "no_prediction":
        return s.rename(columns={"prediction": "guess"})
    raise AssertionError(which)


@pytest.mark.parametrize("which,match", [
    ("missing", "1 of the 50 test rows have no prediction"),
    ("repeated", "appear more than once"),
    ("unknown", "are not test rows of this challenge ('T123')"),
    ("other", "none of its row ids are test rows of this challenge"),
    ("class", "not classes of this task ('zebra'"),
    ("empty", "prediction(s) are empty"),
    ("no_row_id", "no 'row_id' column"),
    ("no_prediction", "no 'prediction' column"),
])
def test_bad_submissions_are_refused_with_the_reason(made, which, match):
    d, _ = made
    key = pd.read_csv(d / "key.csv")
    good = key.rename(columns={"label": "prediction"})
    _bad(good, which).to_csv(d / "sub.csv", index=False)
    r = cli("challenge", "score", d / "key.csv", d / "sub.csv")
    assert r.returncode == 2 and not r.stdout, r.stderr
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(err) == 1 and "refused" in err[0] and match in err[0], r.stderr
    good.to_csv(d / "ok.csv", index=False)
    assert json.loads(cli("challenge", "score", d / "key.csv", d / "ok.csv").stdout)["score"] == 1


def test_a_regression_submission_of_words_is_refused(tmp_path):
    c = ch.create(_number_df(), "y", seed=0)
    key = (c.key.assign(row_id=c.key["row_id"].astype(str)), "y")
    sub = c.key.rename(columns={"y": "prediction"}).astype({"prediction": object})
    sub.loc[0, "prediction"] = "about ten"
    with pytest.raises(ch.DataError, match="not numbers \\('about ten'\\)"):
        ch.score(key, sub, c.meta)


def test_the_board_ranks_in_the_metrics_direction(tmp_path):
    c = ch.create(_number_df(), "y", seed=0)
    ch.write(c, tmp_path / "ch")
    truth = c.key["y"].to_numpy()
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, err in (("ana", 0.5), ("ben", 3.0), ("cleo", 1.0)):
        pd.DataFrame({"row_id": c.key["row_id"], "prediction": truth + err}) \
            .to_csv(subs / f"{name}.csv", index=False)
    pd.DataFrame({"row_id": c.key["row_id"][:3], "prediction": 1}).to_csv(subs / "dan.csv",
                                                                         index=False)
    r = cli("challenge", "board", tmp_path / "ch" / "key.csv", subs)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["metric"] == "rmse" and out["higher_is_better"] is False
    assert [(x["rank"], x["name"]) for x in out["rows"]] == \
        [(1, "ana"), (2, "cleo"), (3, "ben"), (None, "dan")]
    assert [x["score"] for x in out["rows"][:3]] == pytest.approx([0.5, 1.0, 3.0])
    assert "have no prediction" in out["rows"][3]["problem"]


def test_goal_words_compare_the_holdout_with_the_goal():
    meta = {"target": "y", "task": "multiclass", "metric": "balanced_accuracy", "goal": 0.8}
    v, met, text = ch.goal_words(meta, {"test": {"balanced_accuracy": 0.85}})
    assert (v, met) == (0.85, True) and "reached" in text
    v, met, text = ch.goal_words({**meta, "metric": "rmse", "task": "regression", "goal": 2},
                                 {"test": {"rmse": 2.5}})
    assert met is False and "not yet" in text and "at most 2" in text


@pytest.mark.slow
def test_a_student_trains_predicts_and_is_scored(made, tmp_path):
    """The whole student path on the CLI: train on student.zip, `kwk predict RUN test.csv`
    keeps row_id, and the predictions file is a valid submission."""
    d, _ = made
    (tmp_path / "spec.json").write_text(json.dumps(tiny_spec("label", epochs=5)))
    r = run_cli("train", d / "student.zip", "--spec", tmp_path / "spec.json", "--out",
                tmp_path / "run", "--quiet")
    assert r.returncode == 0, r.stderr
    zipfile.ZipFile(d / "student.zip").extract("test.csv", tmp_path)
    r = run_cli("predict", tmp_path / "run", tmp_path / "test.csv", "--out", tmp_path / "p.csv")
    assert r.returncode == 0, r.stderr
    pred = pd.read_csv(tmp_path / "p.csv")
    key = pd.read_csv(d / "key.csv")
    assert list(pred["row_id"]) == list(pd.read_csv(tmp_path / "test.csv")["row_id"])
    r = run_cli("challenge", "score", d / "key.csv", tmp_path / "p.csv", process=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    from sklearn.metrics import balanced_accuracy_score
    lined = pred.set_index("row_id").loc[key["row_id"], "prediction"]
    assert out["score"] == pytest.approx(balanced_accuracy_score(key["label"], lined))
    assert out["goal"] == 0.8 and out["met"] == (out["score"] >= 0.8)
