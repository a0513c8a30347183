"""Time series (windows per series, chronological split, no future leakage, naive baseline)
and text (one raw-text column) in the engine, the CLI and the generated script."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from kwk.errors import DataError, SpecError
from kwk.prep.series import (
    chronological_roles,
    make_windows,
    parse_dates,
    time_axis,
    prediction_windows,
    series_ids,
    series_order,
    time_values,
    window_positions,
)
from kwk.spec import normalize, resolve
from kwk.prep.prepare import prepare

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sales(n=60, stores=("a", "b"), seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for k, s in enumerate(stores):
        t = np.arange(n)
        frames.append(pd.DataFrame({"day": pd.date_range("2024-03-01", periods=n).strftime("%Y-%m-%d"),
                                    "shop": s, "temp": rng.normal(10, 3, n).round(1),
                                    "y": (100 * (k + 1) + 10 * np.sin(t / 3) + t).round(2)}))
    df = pd.concat(frames, ignore_index=True)
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


def seq_spec(window=5, horizon=1, group="shop", predict="change", **data):
    return {"data": {"target": "y", "sequence": {"time": "day", "group": group, "window": window,
                                                 "horizon": horizon, "predict": predict}, **data},
            "layers": [{"type": "LSTM", "units": 4}], "training": {"epochs": 2}}


# ------------------------------------------------------------------ windowing primitives

def test_time_values_reads_dates_and_numbers():
    assert np.all(np.diff(time_values(pd.Series(["2024-01-02", "2024-01-10", "2025-01-01"]))) > 0)
    np.testing.assert_array_equal(time_values(pd.Series([3, 1, 2])), [3.0, 1.0, 2.0])
    assert np.isnan(time_values(pd.Series(["2024-01-02", "not a date"]))[1])


def test_windows_never_cross_series_and_targets_follow_the_window():
    df = pd.DataFrame({"t": [3, 1, 2, 1, 2, 3, 4], "g": ["x", "x", "x", "y", "y", "y", "y"],
                       "v": [30, 10, 20, 1, 2, 3, 4]})
    order, times = series_order(df, "t", "g")
    rows = df.iloc[order]
    assert rows["v"].tolist() == [10, 20, 30, 1, 2, 3, 4]
    groups = series_ids(rows, "g")
    starts, targets = window_positions(groups, 2, 1)
    # x: [10,20]->30 ; y: [1,2]->3, [2,3]->4
    assert [(rows["v"].iloc[s], rows["v"].iloc[t]) for s, t in zip(starts, targets)] == \
        [(10, 30), (1, 3), (2, 4)]
    X = make_windows(rows[["v"]].to_numpy(float), starts, 2)
    assert X.tolist() == [[10, 20], [1, 2], [2, 3]]
    assert prediction_windows(groups, 2).tolist() == [0, 1, 3, 4, 5]
    assert make_windows(np.zeros((0, 3)), np.array([], int), 4).shape == (0, 12)


def test_chronological_roles_cut_the_distinct_times():
    times = np.repeat(np.arange(20.0), 3)  # 3 series sharing the same 20 days
    roles = chronological_roles(times, 0.15, 0.15)
    assert roles[times < 14].max() == 0 and set(roles[(times >= 14) & (times < 17)]) == {1}
    assert set(roles[times >= 17]) == {2}


# ------------------------------------------------------------------ prepare: no leakage

@pytest.mark.parametrize("predict", ["value", "change"])
def test_series_split_is_chronological_without_future_leakage(predict):
    df = sales()
    p = prepare(df, seq_spec(window=5, predict=predict))
    t = pd.to_datetime(df["day"])
    tr_t, va_t, te_t = (t.iloc[p.rows[k]] for k in ("train", "validation", "test"))
    assert tr_t.max() < va_t.min() and va_t.max() < te_t.min()  # targets by period
    assert p.X["train"].shape[1] == 5 * 2  # window x (y, temp)
    first_val = va_t.min()
    assert p.work["day"].pipe(pd.to_datetime)[p.work.index].notna().all()
    # preprocessing statistics come from the training period only
    train_rows = df[pd.to_datetime(df["day"]) < first_val]
    col = next(c for c in p.pre.state["columns"] if c["name"] == "temp")
    assert col["mean"] == pytest.approx(train_rows["temp"].mean())
    y_col = p.pre.state["columns"][0]
    assert y_col["name"] == "y" and y_col["mean"] == pytest.approx(train_rows["y"].mean())
    naive = p.extra["naive"]
    if predict == "value":
        assert p.pre.state["target"]["mean"] == pytest.approx(train_rows["y"].mean())
        # the naive baseline is the window's last target value
        last_input = p.X["test"][:, -2] * y_col["std"] + y_col["mean"]
        np.testing.assert_allclose(naive["test"], last_input, rtol=1e-4)
    else:
        # the network learns the change from the window's last value, standardised with the
        # training windows' changes; the target's past inputs are relative to that last value
        t_state = p.pre.state["target"]
        change = p.y["train"] * t_state["std"] + t_state["mean"]
        assert t_state["mean"] == pytest.approx(change.mean(), abs=1e-4)
        assert np.all(p.X["train"][:, -2] == 0)
        actual = df["y"].to_numpy()[p.rows["train"]]
        np.testing.assert_allclose(naive["train"] + change, actual, rtol=1e-4)
        step1 = p.X["train"][:, 0] * y_col["std"]  # first step's y minus the last one's
        assert np.abs(step1).max() < np.abs(actual).max()


def test_changing_the_future_does_not_change_training():
    df = sales()
    p1 = prepare(df, seq_spec())
    cut = pd.to_datetime(df["day"]).iloc[p1.rows["validation"]].min()
    df2 = df.copy()
    future = pd.to_datetime(df2["day"]) >= cut
    df2.loc[future, ["y", "temp"]] = df2.loc[future, ["y", "temp"]] * 10 + 999
    p2 = prepare(df2, seq_spec())
    np.testing.assert_array_equal(p1.X["train"], p2.X["train"])
    np.testing.assert_array_equal(p1.y["train"], p2.y["train"])


def test_series_settings_are_checked_with_clear_messages():
    df = sales(n=30)
    with pytest.raises(SpecError, match="must be 'holdout'"):
        resolve({**seq_spec(), "training": {"validation": "kfold"}}, df)
    with pytest.raises(SpecError, match="time column 'when'"):
        resolve(seq_spec() | {"data": {"target": "y", "sequence": {"time": "when"}}}, df)
    with pytest.raises(SpecError, match="too few for a look-back window of 40"):
        resolve(seq_spec(window=40), df)
    with pytest.raises(SpecError, match="not numeric"):
        resolve({**seq_spec(), "data": {**seq_spec()["data"], "target": "shop",
                                        "sequence": {"time": "day", "window": 3}}}, df)
    with pytest.raises(SpecError, match="data.sequence.time must name"):
        normalize({"data": {"target": "y", "sequence": {"window": 3}}})
    with pytest.raises(SpecError, match="one kind of data"):
        normalize({"data": {"target": "y", "sequence": {"time": "day"},
                            "text": {"max_tokens": 100}}})
    with pytest.raises(DataError, match="share the time"):  # two stores mixed as one series
        prepare(df, seq_spec(group=None))


@pytest.mark.parametrize("values,expected", [
    (["01/02/2024", "16/04/2024", "08/03/2024"], ["2024-02-01", "2024-04-16", "2024-03-08"]),
    (["01/02/2024", "04/16/2024", "08/03/2024"], ["2024-01-02", "2024-04-16", "2024-08-03"]),
    (["2024-01-05", "Jan 6, 2024", "7 January 2024"], ["2024-01-05", "2024-01-06", "2024-01-07"]),
    (["1949-01", "1949-02", None], ["1949-01-01", "1949-02-01", None]),
])
def test_dates_are_read_with_one_format_for_the_whole_column(values, expected):
    """A day-first column (16/04/2024) is read day first throughout: never 08/03 as August
    3 beside 16/04 as April 16, which would scramble the order of the series."""
    got = parse_dates(pd.Series(values))
    assert [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in got] == expected


def test_charts_draw_step_numbers_as_numbers_and_dates_as_dates():
    assert time_axis(pd.Series([3, 1, 2])).tolist() == [3, 1, 2]  # not 1970 + 3 ns
    d = time_axis(pd.Series(["16/04/2024", "01/05/2024"]))
    assert [str(v)[:10] for v in d] == ["2024-04-16", "2024-05-01"]
    assert time_axis(pd.Series(["week a", "week b"])).tolist() == ["week a", "week b"]


def test_day_first_dates_keep_the_series_in_order():
    df = sales(n=40, stores=("a",))
    df["day"] = pd.to_datetime(df["day"]).dt.strftime("%d/%m/%Y")
    p = prepare(df, seq_spec(group=None))
    t = pd.to_datetime(p.work["day"], format="%d/%m/%Y")
    assert t.is_monotonic_increasing
    assert p.notes and not any("unreadable time" in n for n in p.notes)


def test_a_time_column_without_dates_is_refused_clearly():
    df = sales()
    df["day"] = np.where(np.arange(len(df)) % 2, "yes", "no")
    with pytest.raises(DataError, match="does not hold dates, times or numbers.*'(yes|no)'"):
        prepare(df, seq_spec())


def test_time_problems_show_when_the_spec_is_resolved():
    """The Target and Build pages resolve the spec on every change: duplicate or unreadable
    times are explained there, before any training."""
    df = sales()
    with pytest.raises(DataError, match="share the time .* series \\(group\\) column"):
        resolve(seq_spec(group=None), df)
    words = df.assign(day=np.where(np.arange(len(df)) % 2, "yes", "no"))
    with pytest.raises(DataError, match="'day' does not hold dates"):
        resolve(seq_spec(), words)
    unknown = df.copy()
    unknown.loc[unknown["shop"] == "a", "day"] = unknown["day"].where(
        unknown.index % 10 != 0, "unknown")  # repeated but unreadable: left out, not duplicates
    resolve(seq_spec(), unknown)


def test_rows_without_time_are_left_out_with_a_note():
    df = sales()
    df.loc[[0, 5], "day"] = "unknown"
    p = prepare(df, seq_spec())
    assert any("2 row(s) with a missing or unreadable time" in n for n in p.notes)


def test_rows_without_a_series_are_left_out_and_padded_names_are_one_series():
    """A blank series id is not a series called 'nan': those rows are left out with a note
    (they used to collide as duplicate times). 'a ' and 'a' are the same series."""
    df = sales()
    df["shop"] = df["shop"].astype(object)
    df.loc[[1, 2, 3], "shop"] = [None, "", "  "]
    df.loc[df.index % 4 == 0, "shop"] = df["shop"] + " "  # padded names of the same two shops
    resolve(seq_spec(), df)  # no false duplicates
    p = prepare(df, seq_spec())
    assert any("3 row(s) with no value in the series column 'shop'" in n for n in p.notes)
    assert any("across 2 series" in n for n in p.notes), p.notes
    assert not any("unreadable time" in n for n in p.notes)
    clean = prepare(sales().drop(index=[1, 2, 3]), seq_spec())
    assert np.array_equal(p.X["train"], clean.X["train"]) and np.array_equal(p.y["test"], clean.y["test"])
    empty = df.assign(shop=None)
    with pytest.raises(DataError, match="series column 'shop' is empty"):
        prepare(empty, seq_spec())
    dup = df.copy()
    dup.loc[dup.index[:2], ["shop", "day"]] = [["b ", "2024-03-09"], ["b", "2024-03-09"]]
    with pytest.raises(DataError, match="series 'b' share the time"):
        resolve(seq_spec(), dup)


def test_series_importance_shuffles_whole_histories_of_a_column(tmp_path):
    """The Evaluate page's importance for a forecast: the test windows are rebuilt from the
    data exactly as in training (same forecasts), and the target's own history matters more
    than a column of noise."""
    from kwk.runs.bundle import load_bundle, save_bundle
    from kwk.evaluation.metrics import model_proba
    from kwk.training import Job
    df = sales(n=120)
    df.loc[[7, 50], "y"] = np.nan  # rows without a target: left out of the windows, as in training
    spec = seq_spec(window=6)
    spec["training"].update(epochs=30, learning_rate=0.01)
    r = Job(prepare(df, spec)).run()
    save_bundle(r, tmp_path / "m", "d.csv", "fp", None)
    b = load_bundle(tmp_path / "m")
    test_rows = np.asarray(r.prepared.rows["test"])
    X, ends, targets = b.pre.forecast_windows(df, with_targets=True)
    where = {int(t): i for i, t in enumerate(targets) if t >= 0}
    pick = [where[int(t)] for t in test_rows]
    again = b.pre.decode_regression(model_proba(b.model, X[pick], "regression")) \
        + df["y"].to_numpy()[ends[pick]]
    assert np.allclose(again, r.details["out"], atol=1e-4)
    imp = b.series_importance(df, test_rows, repeats=3, seed=0).set_index("feature")
    assert set(imp.index) == {"y", "temp"}
    assert imp.loc["y", "importance"] > imp.loc["temp", "importance"]
    with pytest.raises(DataError, match="could not be rebuilt"):
        b.series_importance(df.iloc[:5], test_rows)


# ------------------------------------------------------------------ text

def reviews(n=120, seed=0):
    rng = np.random.default_rng(seed)
    good, bad = "great lovely superb fine".split(), "awful broken poor sad".split()
    rows = []
    for i in range(n):
        lab = "pos" if i % 2 else "neg"
        words = list(rng.choice(good if lab == "pos" else bad, 3)) + list(rng.choice(["the", "it", "was"], 3))
        rows.append({"review": " ".join(words), "stars": 5 - 3 * (lab == "neg"), "label": lab})
    return pd.DataFrame(rows)


def test_text_resolve_finds_the_text_column_or_explains():
    df = reviews()
    text = {"max_tokens": 100, "sequence_length": 8}
    spec, notes = resolve({"data": {"target": "label", "text": text},
                           "layers": [{"type": "Embedding", "output_dim": 4},
                                      {"type": "GlobalAveragePooling1D"}]}, df)
    assert spec["data"]["features"] == ["review"] and spec["layers"][0]["input_dim"] == 100
    assert any("reads the column 'review'" in n for n in notes)
    df2 = df.assign(other=df["review"].str.upper() + " extra words here")
    with pytest.raises(SpecError, match="exactly one text column; there are 2"):
        resolve({"data": {"target": "label", "text": text}}, df2,
                {"review": "text", "other": "text"})
    with pytest.raises(SpecError, match="none was found"):
        resolve({"data": {"target": "label", "text": text}}, df[["stars", "label"]])


def test_text_model_trains_and_predicts_raw_strings(tmp_path):
    from kwk.runs.bundle import load_bundle, save_bundle
    from kwk.training import Job
    df = reviews()
    df.loc[3, "review"] = None  # a missing text is an empty text
    spec = {"data": {"target": "label", "text": {"max_tokens": 50, "sequence_length": 6}},
            "layers": [{"type": "Embedding", "output_dim": 8},
                       {"type": "GlobalAveragePooling1D"}],
            "training": {"epochs": 40, "learning_rate": 0.02, "early_stopping_patience": 0}}
    r = Job(prepare(df, spec)).run()
    assert r.metrics["test"]["accuracy"] >= 0.9
    assert "TF-IDF" in r.metrics["simple_model"]["name"]
    save_bundle(r, tmp_path / "run", "reviews.csv", "fp", None)
    b = load_bundle(tmp_path / "run")  # safe_mode load: no Python code in the model
    pred = b.predict(pd.DataFrame({"review": ["great superb the", "awful poor it", None]}))
    assert pred["prediction"].tolist()[:2] == ["pos", "neg"]
    # new rows may be the text column alone: the CLI reads a one-column file for predict
    (tmp_path / "new.csv").write_text("review\ngreat superb the\nawful poor it\n")
    r = _cli("predict", str(tmp_path / "run"), "new.csv", "--out", "p.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(tmp_path / "p.csv")["prediction"].tolist() == ["pos", "neg"]


def test_a_numeric_column_is_not_read_as_text():
    df = reviews()
    spec = {"data": {"target": "label", "features": ["stars"], "text": {}},
            "layers": [{"type": "Embedding"}, {"type": "GlobalAveragePooling1D"}]}
    with pytest.raises(SpecError, match="'stars' holds numbers, not text"):
        resolve(normalize(spec), df)


@pytest.mark.parametrize("texts", [["a b", "c d", "a c", "b d"] * 10, ["!!", "?", "...", "-"] * 10])
def test_the_simple_text_model_copes_with_one_letter_words_and_no_words(texts):
    from kwk.evaluation.metrics import fit_simple_model
    X = np.array(texts, dtype=object)[:, None]
    y = np.arange(len(texts)) % 2
    predict, name = fit_simple_model("binary", X, y, 2)
    assert predict(X).shape == (len(texts), 2)
    assert name == ("logistic regression on TF-IDF" if texts[0] == "a b" else "majority class")


# ------------------------------------------------------------------ CLI and script

def _cli(*args, cwd):
    from testutil import run_cli
    return run_cli(*args, cwd=cwd)


@pytest.mark.slow
@pytest.mark.parametrize("sample,epochs", [("store_sales", 30), ("news", 6)])
def test_cli_sample_trains_and_the_script_reproduces(tmp_path, sample, epochs):
    r = _cli("sample", sample, "--out", "d.csv", "--spec", "s.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    spec = json.loads((tmp_path / "s.json").read_text())
    spec["training"]["epochs"] = epochs
    (tmp_path / "s.json").write_text(json.dumps(spec))
    r = _cli("train", "d.csv", "--spec", "s.json", "--out", "run", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    if sample == "store_sales":  # the LSTM beats the naive last-value forecast
        assert m["test"]["rmse"] < 0.9 * m["baseline"]["rmse"]
        assert m["baseline"]["name"].startswith("naive")
    else:
        assert m["test"]["accuracy"] >= 0.85
    from testutil import run_script
    s = run_script("train_script.py", tmp_path / "d.csv", "out", cwd=tmp_path / "run",
                   process=sample == "news")  # a text script in a real process
    assert s.returncode == 0, s.stderr[-3000:]
    got = json.loads((tmp_path / "run" / "out" / "script_metrics.json").read_text())
    key = "rmse" if sample == "store_sales" else "accuracy"
    assert got[key] == pytest.approx(m["test"][key], rel=1e-5)
    if sample == "store_sales":
        assert got["naive_rmse"] == pytest.approx(m["baseline"]["rmse"], rel=1e-6)
    r = _cli("predict", "run", "d.csv", "--out", "p.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pred = pd.read_csv(tmp_path / "p.csv")
    assert pred["prediction"].notna().sum() > 0.9 * len(pred)


def test_cli_sample_errors_and_short_history(tmp_path):
    r = _cli("sample", "nope", "--out", "x.csv", cwd=tmp_path)
    assert r.returncode == 2 and "Choose one of" in r.stderr
    r = _cli("sample", cwd=tmp_path)
    assert r.returncode == 0 and "store_sales" in r.stdout


@pytest.mark.slow
def test_forecasting_the_change_follows_a_trend_beyond_the_training_range(tmp_path):
    """A rising, seasonal series: the test period lies above every training value. A network
    that forecasts the value cannot reach it; one that forecasts the change beats the naive
    forecast, and its saved model forecasts the last value plus the change."""
    from kwk.runs.bundle import load_bundle, save_bundle
    from kwk.training import Job
    rng = np.random.default_rng(0)
    t = np.arange(400)
    df = pd.DataFrame({"t": t, "y": 0.5 * t + 10 * np.sin(2 * np.pi * t / 12)
                       + rng.normal(0, 0.5, len(t))})
    scores = {}
    for mode in ("change", "value"):
        spec = {"data": {"target": "y", "sequence": {"time": "t", "window": 12, "predict": mode}},
                "layers": [{"type": "LSTM", "units": 16}],
                "training": {"epochs": 40, "learning_rate": 0.01, "seed": 1}}
        r = Job(prepare(df, spec)).run()
        scores[mode] = r.metrics
    change, value = scores["change"], scores["value"]
    assert change["test"]["rmse"] < 0.5 * change["baseline"]["rmse"]
    assert change["baseline"]["rmse"] == pytest.approx(value["baseline"]["rmse"])
    assert value["test"]["rmse"] > 2 * change["test"]["rmse"]
    save_bundle(r, tmp_path / "value", "d.csv", "fp", None)  # the last one: "value"
    spec["data"]["sequence"]["predict"] = "change"
    r = Job(prepare(df, spec)).run()
    save_bundle(r, tmp_path / "change", "d.csv", "fp", None)
    future = df.iloc[-12:]
    got = load_bundle(tmp_path / "change").predict(future)["prediction"].dropna()
    assert len(got) == 1 and abs(got.iloc[0] - (0.5 * 400 + 10 * np.sin(2 * np.pi * 400 / 12))) < 3


def test_rows_without_a_target_value_are_skipped_when_forecasting(tmp_path):
    """New rows whose target is blank (a gap in the records, or the days still to forecast)
    are skipped, as in training: the windows run over the gap and every forecast starts from
    the latest known value, instead of from a made-up one or from nothing."""
    from kwk.runs.bundle import load_bundle, save_bundle
    from kwk.training import Job
    df = sales()
    r = Job(prepare(df, seq_spec())).run()
    save_bundle(r, tmp_path / "m", "d.csv", "fp", None)
    b = load_bundle(tmp_path / "m")
    known = df.sort_values(["shop", "day"]).groupby("shop").tail(9).reset_index(drop=True)
    gap = known.copy()
    gap["y"] = gap["y"].astype(object)
    gap.loc[[3, 12], "y"] = [None, ""]  # one blank in each shop's records
    blank = pd.DataFrame({"day": ["2024-04-30", "2024-05-01"] * 2, "shop": ["a", "a", "b", "b"],
                          "temp": 10.0, "y": [None, np.nan, "", None]})
    got = b.predict(pd.concat([gap, blank], ignore_index=True))["prediction"]
    want = b.predict(known.drop(index=[3, 12]))["prediction"].dropna()
    assert len(want) == 8  # 8 known rows a shop, windows of 5: 4 forecasts each
    assert got.iloc[len(gap):].isna().all() and got.iloc[[3, 12]].isna().all()
    assert list(got.dropna().index) == list(want.index)
    assert np.allclose(got.dropna(), want)


@pytest.mark.slow
def test_single_series_with_numeric_time_trains_and_its_script_reproduces(tmp_path):
    from kwk.runs.bundle import save_bundle
    from kwk.codegen import generate_script
    from kwk.training import Job
    n = 300
    t = np.arange(n)
    df = pd.DataFrame({"step": t[::-1], "level": np.round(np.sin(t[::-1] / 6) * 10 + 50, 3)})
    df["level"] = df["level"].astype(object)
    df.loc[7, "level"] = "?"  # a placeholder: that row has no target
    spec = {"data": {"target": "level", "sequence": {"time": "step", "window": 6, "horizon": 2,
                                                     "predict": "value"}},
            "layers": [{"type": "GRU", "units": 8}], "training": {"epochs": 15, "learning_rate": 0.01}}
    p = prepare(df, spec)
    assert p.X["train"].shape[1] == 6
    r = Job(p).run()
    assert r.metrics["test"]["rmse"] < r.metrics["baseline"]["rmse"]
    df.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "s.py").write_text(generate_script(p.spec, str(tmp_path / "d.csv")))
    from testutil import run_script
    s = run_script("s.py", tmp_path / "d.csv", "out", cwd=tmp_path)
    assert s.returncode == 0, s.stderr[-3000:]
    got = json.loads((tmp_path / "out" / "script_metrics.json").read_text())
    assert got["rmse"] == pytest.approx(r.metrics["test"]["rmse"], rel=1e-5)
    save_bundle(r, tmp_path / "run", "d.csv", "fp", None)
