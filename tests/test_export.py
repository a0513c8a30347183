"""Export (issue 17): every artifact of a run gives the bundle's predictions on the test rows.

Parity is checked with TensorFlow (.keras, SavedModel's serving signature), onnxruntime and
the LiteRT interpreter, for a two-class and a regression table (numbers, categories, dates,
missing, unreadable and unseen values), a picture model and a text model. Each run is trained
once per module (tiny models, a few epochs); what is compared is the trained weights through
each format, not the accuracy.
"""
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from kwk.errors import KwkError
from testutil import tiny_spec

pytest.importorskip("onnxruntime")
pytest.importorskip("ai_edge_litert")
# Keras's bundled tf2onnx helper probes np.object (NumPy's warning, not ours)
pytestmark = pytest.mark.filterwarnings("ignore:In the future `np.object`:FutureWarning")

FORMATS = {"keras": "m.keras", "savedmodel": "sm", "tflite": "m.tflite", "onnx": "m.onnx"}


def _table(task, n=200, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.normal(40, 10, n).round(1),
                       "home city": rng.choice(["north", "south", "east"], n),
                       "member": rng.choice([True, False], n),
                       "joined": pd.date_range("2023-01-01", periods=n, freq="37h")
                       .strftime("%Y-%m-%d %H:%M"),
                       "income": rng.normal(5e4, 1e4, n)})
    signal = df["age"] + 10 * (df["home city"] == "north") + rng.normal(0, 5, n)
    df["y"] = np.where(signal > 45, "yes", "no") if task == "binary" else signal * 1000
    df.loc[::7, "age"] = np.nan
    df.loc[::11, "home city"] = None
    df.loc[::13, "joined"] = None
    return df


def _hostile(rows):
    """Test rows plus the values the preprocessing must treat as in training: an unseen
    label, text in a number column, infinity, an unreadable date, all missing."""
    rows = rows.copy()
    for c in ("income", "joined", "home city"):
        rows[c] = rows[c].astype(object)
    rows.iloc[0, rows.columns.get_loc("home city")] = "atlantis"
    rows.iloc[1, rows.columns.get_loc("income")] = "?"
    rows.iloc[2, rows.columns.get_loc("age")] = np.inf
    rows.iloc[3, rows.columns.get_loc("joined")] = "not a date"
    rows.iloc[4, [rows.columns.get_loc(c) for c in ("age", "home city", "joined", "income")]] = None
    return rows


def _train(df, spec, out):
    from kwk.runs.bundle import save_bundle
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    r = Job(prepare(df, spec)).run()
    save_bundle(r, out, "data.csv", "fp", None)
    return out


def _reviews(n=120, seed=0):
    rng = np.random.default_rng(seed)
    good, bad = "great lovely superb fine".split(), "awful broken poor sad".split()
    rows = [{"review": " ".join([*rng.choice(good if i % 2 else bad, 3),
                                 *rng.choice(["the", "it", "was"], 3)]),
             "label": "pos" if i % 2 else "neg"} for i in range(n)]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """name -> (run folder, the rows to score): six tiny trained runs."""
    from kwk.data.samples import SAMPLES
    root = tmp_path_factory.mktemp("export_runs")
    out = {}
    for task in ("binary", "regression"):
        df = _table(task)
        out[task] = (_train(df, tiny_spec("y", epochs=1), root / task), _hostile(df.iloc[:60]))
    rng = np.random.default_rng(1)  # numbers only: LiteRT and ONNX keep the preprocessing too
    df = pd.DataFrame({"a b": rng.normal(size=200), "2nd": rng.normal(2000, 5, 200),
                       "y": rng.choice(["p", "q", "r"], 200)})
    df.loc[::5, "a b"] = np.nan
    rows = df.iloc[:40].copy()
    rows.iloc[1, 1] = np.inf
    out["numbers"] = (_train(df, tiny_spec("y", epochs=1), root / "numbers"), rows)
    digits = SAMPLES["digits"].load().iloc[:200]
    spec = {"data": {"target": "digit", "image_shape": [8, 8, 1]},
            "layers": [{"type": "Conv2D", "filters": 4, "kernel_size": 3, "activation": "relu"},
                       {"type": "Flatten"}],
            "training": {"epochs": 1, "early_stopping_patience": 0}}
    rows = digits.iloc[:40].copy()
    rows.iloc[0, rows.columns.get_loc("px_10")] = np.nan  # a missing pixel is filled
    out["pictures"] = (_train(digits, spec, root / "pictures"), rows)
    texts = _reviews(80)
    texts.loc[3, "review"] = None
    spec = {"data": {"target": "label", "text": {"max_tokens": 50, "sequence_length": 6}},
            "layers": [{"type": "Embedding", "output_dim": 8}, {"type": "GlobalAveragePooling1D"}],
            "training": {"epochs": 1, "early_stopping_patience": 0}}
    rows = pd.DataFrame({"review": ["great superb the", "awful poor it", None, "",
                                    "Great, SUPERB! never-seen words"]})
    out["text"] = (_train(texts, spec, root / "text"), rows)
    # issue 28: a tuned network with GELU layers; its ONNX did not load in onnxruntime
    df = pd.DataFrame({"u": rng.normal(size=120), "v": rng.normal(50, 9, 120)})
    df["y"] = np.where(df["u"] + (df["v"] - 50) / 9 > 0, "up", "down")
    spec = tiny_spec("y", epochs=1)
    spec["layers"] = [{"type": "Dense", "units": 8, "activation": "gelu"},
                      {"type": "Dense", "units": 4, "activation": "gelu"}]
    out["gelu"] = (_train(df, spec, root / "gelu"), df.iloc[:40].copy())
    return out


@pytest.fixture(scope="module")
def exported(runs, tmp_path_factory):
    """name -> {format: Exported}: every run in every format."""
    from kwk.export import export_run
    root = tmp_path_factory.mktemp("exports")
    return {name: {fmt: export_run(run, fmt, root / name / fmt / path)
                   for fmt, path in FORMATS.items()}
            for name, (run, _) in runs.items() if name != "gelu"}


def _expected(run, rows):
    from kwk.runs.bundle import load_bundle
    b = load_bundle(run)
    return b, b.output(rows)


def _tf_feed(inputs):
    import tensorflow as tf
    return {k: tf.constant(v.astype(str)) if v.dtype == object else tf.constant(v)
            for k, v in inputs.items()}


def _close(got, want, task):
    got = np.asarray(got, dtype=float).reshape(np.shape(want))
    if task == "regression":  # float32 in the target's units: relative to its scale
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * np.abs(want).max() + 1e-6)
    else:
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


def _core_feed(b, rows, meta):
    """What a LiteRT/ONNX export without the preprocessing inside is given, made as
    preprocess.json describes (the encoded matrix, or a text model's token ids)."""
    from kwk.model.raw import raw_inputs, text_vectorizer
    if meta["preprocessing_inside"]:
        return raw_inputs(b.pre, b.spec, rows)
    if meta["model_input"] == "token_ids":
        vec = text_vectorizer(b)
        assert len(meta["text"]["vocabulary"]) == len(vec.get_vocabulary())
        return {"token_ids": np.asarray(vec(b.pre.transform(rows).astype(str))).astype(np.int64)}
    assert meta["encoded_inputs"] == b.pre.input_names
    return {"encoded": b.pre.encode_rows(rows)}


@pytest.mark.parametrize("name", ["binary", "regression", "numbers", "pictures", "text"])
def test_keras_and_savedmodel_take_raw_columns_and_match_the_bundle(runs, exported, name):
    import keras
    import tensorflow as tf

    from kwk.model.raw import raw_inputs
    run, rows = runs[name]
    b, want = _expected(run, rows)
    inputs = raw_inputs(b.pre, b.spec, rows)
    key = "prediction" if b.pre.task == "regression" else "probabilities"
    model = keras.saving.load_model(exported[name]["keras"].path, safe_mode=True)
    _close(model.predict(_tf_feed(inputs), verbose=0)[key], want, b.pre.task)
    with zipfile.ZipFile(exported[name]["keras"].path) as z:
        meta = json.loads(z.read("metadata.json"))["kwk"]
    assert meta["classes"] == b.pre.classes and meta["task"] == b.pre.task
    assert [i["name"] for i in meta["inputs"]] == list(inputs)
    sig = tf.saved_model.load(str(exported[name]["savedmodel"].path)).signatures["serving_default"]
    out = sig(**_tf_feed(inputs))
    _close(out[key].numpy(), want, b.pre.task)
    if b.pre.classes:  # the class names travel in the serving signature
        assert [c.decode() for c in out["classes"].numpy()[0]] == b.pre.classes


@pytest.mark.parametrize("name", ["binary", "regression", "numbers", "pictures", "text"])
def test_onnx_and_litert_match_the_bundle(runs, exported, name):
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter
    run, rows = runs[name]
    b, want = _expected(run, rows)
    res = exported[name]["onnx"]
    meta = json.loads((res.path.parent / "preprocess.json").read_text())
    # numbers and pictures keep their preprocessing inside; strings cannot (see the message)
    numeric = name in ("numbers", "pictures")
    assert meta["preprocessing_inside"] is numeric
    assert ("preprocess.json" in res.message) and (("encoded" in res.message) != numeric)
    feed = _core_feed(b, rows, meta)
    sess = ort.InferenceSession(str(res.path), providers=["CPUExecutionProvider"])
    out = sess.run(None, {i.name: feed[i.name] for i in sess.get_inputs()})
    _close(out[0], want, b.pre.task)
    runner = Interpreter(model_path=str(exported[name]["tflite"].path)).get_signature_runner()
    lite = runner(**feed)
    _close(lite["prediction" if b.pre.task == "regression" else "probabilities"], want, b.pre.task)


def test_the_raw_model_reproduces_each_preprocessing_rule(runs, exported):
    """Row by row, the hostile rows score as the bundle scores them (fill, unseen -> zeros,
    '?' and inf -> missing, unreadable date -> missing), and the model holds the Keras
    preprocessing layers the contract names, without Lambda layers."""
    import keras
    model = keras.saving.load_model(exported["binary"]["keras"].path, safe_mode=True)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert {"StringLookup", "Normalization", "DateParts"} <= kinds and "Lambda" not in kinds
    assert sorted(i.name for i in model.inputs) == ["age", "home_city", "income", "joined",
                                                    "member"]  # names safe for every format
    run, rows = runs["binary"]
    b, want = _expected(run, rows.iloc[:5])
    from kwk.model.raw import raw_inputs
    got = model.predict(_tf_feed(raw_inputs(b.pre, b.spec, rows.iloc[:5])), verbose=0)
    _close(got["probabilities"], want, "binary")
    # the bundle flags the unseen label, the '?' and the unreadable date (inf is read as a number)
    assert b.predict(rows.iloc[:5])["unusual"].astype(bool).tolist() == [True, True, False, True,
                                                                         False]


def test_the_date_layer_reads_iso_dates_as_pandas_does():
    from kwk.model.date_parts import DateParts
    from kwk.prep.preprocess import date_parts
    values = ["1970-01-01", "2024-02-29 23:59:59", "1899-12-31T06:00", "2100-03-01T00:00:00Z", "",
              "2024-13-01", "31/12/2024"]
    ident = {p: {"fill": -1.0, "mean": 0.0, "std": 1.0} for p in ("days", "month", "dayofweek")}
    got = np.asarray(DateParts(ident)(np.array(values, dtype=object)[:, None].astype(str)))
    want = np.vstack([date_parts(pd.Series([v])).to_numpy() for v in values[:4]])
    np.testing.assert_allclose(got[:4], want, rtol=1e-6, atol=1e-6)
    assert (got[4:] == -1).all()  # missing or unreadable -> the fill value


def test_export_refuses_what_it_cannot_write(runs, tmp_path):
    from kwk.export import export_run
    run = runs["binary"][0]
    with pytest.raises(KwkError, match="Unknown export format 'tfjs'"):
        export_run(run, "tfjs", tmp_path / "m")
    with pytest.raises(KwkError, match=r"'\.keras' file"):
        export_run(run, "keras", tmp_path / "m.h5")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(KwkError, match="not an empty folder"):
        export_run(run, "savedmodel", tmp_path / "full")


def test_a_time_series_run_is_refused_with_a_reason():
    from kwk.model.raw import refuse_unsupported
    from kwk.prep.preprocess import Preprocessor
    pre = Preprocessor({"columns": [], "target": {"name": "y", "task": "regression"},
                        "sequence": {"time": "day", "group": None, "window": 5, "horizon": 1}})
    with pytest.raises(KwkError, match="time-series model cannot be exported") as e:
        refuse_unsupported(pre)
    assert "kwk predict" in e.value.hint


def test_export_bytes_zips_folders_and_sidecars(runs):
    import io
    from kwk.export import export_bytes
    name, data, message = export_bytes(runs["binary"][0], "onnx")
    assert name == "model.onnx.zip" and "preprocess.json" in message
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == ["model.onnx", "preprocess.json"]


def test_cli_export_writes_the_artifact_and_explains_errors(runs, tmp_path, capsys):
    from kwk.cli import main  # in this process: the module's trained runs, no second TF start
    run = runs["regression"][0]
    assert main(["export", str(run), "--format", "keras", "--out", str(tmp_path / "m.keras")]) == 0
    err = capsys.readouterr().err
    assert "raw columns in" in err and (tmp_path / "m.keras").stat().st_size
    steps = ("Loading the run", "Building the model with its preprocessing inside", "Writing m.keras")
    assert [err.index(s) for s in steps] == sorted(err.index(s) for s in steps), err
    assert main(["export", str(run), "--format", "keras", "--out", str(tmp_path / "m.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: A keras export is a '.keras' file; m.txt is not")
    assert main(["export", str(tmp_path / "nowhere"), "--format", "onnx",
                 "--out", str(tmp_path / "m.onnx")]) == 2
    assert "not a model folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:  # argparse lists the formats
        main(["export", str(run), "--format", "tfjs", "--out", str(tmp_path / "m")])
    assert e.value.code == 2 and "invalid choice: 'tfjs'" in capsys.readouterr().err


@pytest.mark.slow
def test_the_generated_script_saves_a_raw_input_model_that_scores_like_the_run(runs, tmp_path):
    """The training script ends by wrapping its network in the same preprocessing layers:
    its model_raw.keras scores raw rows (dates, unseen labels, '?') as the run does."""
    import subprocess
    import sys

    import keras

    import kwk.export.layers  # noqa: F401  (the script's DateParts is registered as kwk>DateParts)
    from kwk.codegen import generate_script
    from kwk.model.raw import raw_inputs
    run, rows = runs["binary"]
    b, want = _expected(run, rows)
    _table("binary").to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "s.py").write_text(generate_script(b.spec, "data.csv"))
    p = subprocess.run([sys.executable, "s.py", "data.csv", "out"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "model_raw.keras on the raw test rows: largest difference" in p.stdout
    assert json.loads((tmp_path / "out" / "preprocess.json").read_text())["target"]["classes"] \
        == b.pre.classes
    model = keras.saving.load_model(tmp_path / "out" / "model_raw.keras", safe_mode=True)
    got = model.predict(_tf_feed(raw_inputs(b.pre, b.spec, rows)), verbose=0)["probabilities"]
    _close(got, want, "binary")  # the script trains the same network as KwK


def test_a_missing_converter_package_is_named_with_its_pip_line(monkeypatch, tmp_path):
    import importlib.util

    from kwk.export import export_run
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tf2onnx" else real(name, *a))
    with pytest.raises(KwkError, match="needs the package") as e:
        export_run(tmp_path, "onnx", tmp_path / "m.onnx")
    assert "tf2onnx" in e.value.message and "pip install" in e.value.hint


def test_a_converter_failure_is_reported_not_raised(runs, monkeypatch, tmp_path):
    import kwk.export.artifacts as art

    def broken(model, fmt, out):
        raise ValueError("Unsupported op: FancyOp")
    monkeypatch.setattr(art, "_convert", broken)
    with pytest.raises(KwkError, match="The tflite export of this model failed: ValueError: "
                                       "Unsupported op: FancyOp") as e:
        art.export_run(runs["pictures"][0], "tflite", tmp_path / "m.tflite")
    assert ".keras and SavedModel" in e.value.hint


# ---------------------------------------------------------------- issue 28: checked exports
def _ort_scores(path, feed):
    import onnxruntime as ort
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {i.name: feed[i.name] for i in sess.get_inputs()})[0]


def test_a_gelu_network_exports_to_onnx_that_onnxruntime_runs(runs, tmp_path, capsys):
    """TensorFlow writes the exact GELU with Erfc, which no ONNX runtime has; the export
    writes it with Erf (the same function) and the file runs and matches."""
    from kwk.cli import main
    from kwk.export import export_run
    from kwk.model.raw import raw_inputs
    run, rows = runs["gelu"]
    res = export_run(run, "onnx", tmp_path / "m.onnx")
    b, want = _expected(run, rows)
    got = _ort_scores(res.path, raw_inputs(b.pre, b.spec, rows))
    _close(got, want, "binary")
    assert res.check.runtime == "onnxruntime" and res.check.rows == 8
    assert res.check.max_diff <= 1e-4
    assert main(["export", str(run), "--format", "onnx", "--out", str(tmp_path / "c.onnx")]) == 0
    err = capsys.readouterr().err
    assert "Checking c.onnx in onnxruntime" in err
    assert "Loaded in onnxruntime and matched the model on 8 rows (max difference" in err


def test_a_file_that_does_not_load_is_deleted_and_the_cli_exits_2(runs, tmp_path, monkeypatch,
                                                                   capsys):
    """Without the Erf rewrite, the converter writes the Erfc node of the issue's report: the
    check loads the file in onnxruntime, which refuses it; nothing is left, exit 2."""
    import kwk.export.support as support
    from kwk.cli import main
    from kwk.export import ExportCheckFailed, export_run
    monkeypatch.setattr(support, "onnx_friendly", lambda model: 0)
    run = runs["gelu"][0]
    with pytest.raises(ExportCheckFailed, match="does not run in onnxruntime.*Erfc") as e:
        export_run(run, "onnx", tmp_path / "m.onnx")
    assert "deleted" in e.value.hint and ".keras and SavedModel" in e.value.hint
    assert not (tmp_path / "m.onnx").exists() and not (tmp_path / "preprocess.json").exists()
    assert main(["export", str(run), "--format", "onnx", "--out", str(tmp_path / "c.onnx")]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("error: The onnx file was written but does not run in "
                                           "onnxruntime")
    assert not list(tmp_path.iterdir())


def test_a_file_whose_predictions_differ_is_refused_and_deleted(runs, tmp_path, monkeypatch):
    """A converter that changed the arithmetic (here: the saved file's output bias moved by
    0.5 after writing) is caught on the check's rows."""
    import keras

    import kwk.export.artifacts as art
    from kwk.export import ExportCheckFailed, export_bytes
    real = art._write_keras

    def drifting(model, meta, path):
        real(model, meta, path)
        copy = keras.saving.load_model(path, safe_mode=True)
        out = copy.get_layer("kwk_model").get_layer("output")
        out.bias.assign(out.bias + 0.5)
        real(copy, meta, path)
    monkeypatch.setattr(art, "_write_keras", drifting)
    # the network's output is the standardised target: +0.5 there is 0.5 standard deviations
    with pytest.raises(ExportCheckFailed, match=r"differ from the model's by up to 0\.5 of the "
                       r"target's standard deviation on 8 rows \(allowed: 0\.0001\)"):
        art.export_run(runs["regression"][0], "keras", tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    with pytest.raises(ExportCheckFailed):  # the page's download is never built
        export_bytes(runs["binary"][0], "keras")


def test_a_format_that_cannot_carry_a_layer_is_refused_before_converting(runs, tmp_path,
                                                                        monkeypatch, capsys):
    import kwk.export.artifacts as art
    from kwk.cli import main
    from kwk.export import ExportRefused, export_run
    from kwk.export.support import REFUSED
    monkeypatch.setitem(REFUSED, ("tflite", "activation", "gelu"), "no such operator")
    converted = []
    monkeypatch.setattr(art, "_convert", lambda *a: converted.append(a))
    with pytest.raises(ExportRefused) as e:
        export_run(runs["gelu"][0], "tflite", tmp_path / "m.tflite")
    assert e.value.message == ("This network cannot be exported as LiteRT: layer 1 (gelu "
                               "activation): no such operator; layer 2 (gelu activation): no "
                               "such operator.")
    assert ".keras or SavedModel" in e.value.hint
    assert not converted and not list(tmp_path.iterdir())
    assert main(["export", str(runs["gelu"][0]), "--format", "tflite",
                 "--out", str(tmp_path / "m.tflite")]) == 2
    assert "error: This network cannot be exported as LiteRT" in capsys.readouterr().err
    export_run(runs["gelu"][0], "keras", tmp_path / "m.keras")  # other formats are not refused


def test_the_check_rows_come_from_the_runs_own_preprocessing(runs):
    """Numbers around their training mean, every category in turn, dates around the training
    dates, the vocabulary's words, pixels around the training pixels; the last row empty."""
    from kwk.export.verify import ROWS, reference_rows
    from kwk.runs.bundle import load_bundle
    b = load_bundle(runs["binary"][0])
    rows = reference_rows(b)
    assert len(rows) == ROWS == 8 and list(rows.columns) == b.pre.features
    assert rows.iloc[-1].isna().all() and rows.iloc[:-1].notna().all().all()
    state = {c["name"]: c for c in b.pre.state["columns"]}
    assert set(rows["home city"].iloc[:-1]) == set(state["home city"]["categories"])
    age = rows["age"].iloc[:-1].astype(float)
    assert abs(age.mean() - state["age"]["mean"]) < 3 * state["age"]["std"]
    days = (pd.to_datetime(rows["joined"].iloc[:-1]) - pd.Timestamp("1970-01-01")) \
        / pd.Timedelta(days=1)
    st = state["joined"]["parts"]["days"]
    assert (abs(days - st["mean"]) < 4 * st["std"]).all()
    assert b.pre.unusual(rows).eq("").all()  # nothing the model never saw
    text = load_bundle(runs["text"][0])
    vocab = set(text.model.get_layer("0_vectorize").get_vocabulary())
    words = " ".join(reference_rows(text)["review"].iloc[:-1]).split()
    assert set(words) - vocab == {"qzxv"}  # known words, and one unknown on purpose
    pic = load_bundle(runs["pictures"][0])
    px = reference_rows(pic).iloc[:-1].astype(float).to_numpy()
    from kwk.data.samples import SAMPLES
    train = SAMPLES["digits"].load().iloc[:200].drop(columns="digit").to_numpy(dtype=float)
    spread = train.std()  # 448 draws from the training pixels' mean and spread
    assert abs(px.mean() - train.mean()) < 0.15 * spread
    assert abs(px.std() - spread) < 0.15 * spread


def test_the_tolerance_is_absolute_on_probabilities_and_in_target_spreads_for_values():
    """Hand-computed: a regression's difference is divided by the target's standard deviation
    after the float32 resolution of the value (4 × 2^-23 × |value|) is taken away."""
    from types import SimpleNamespace

    from kwk.export.verify import compare
    reg = SimpleNamespace(pre=SimpleNamespace(task="regression",
                                              state={"target": {"std": 1000.0}}))
    d = compare(reg, np.array([[50000.05], [10.0]]), np.array([50000.0, 10.0]))
    assert d == pytest.approx((0.05 - 4 * 2.0 ** -23 * 50000.0) / 1000.0, rel=1e-9)
    cls = SimpleNamespace(pre=SimpleNamespace(task="binary", state={}))
    assert compare(cls, np.array([[0.3, 0.7]]), np.array([[0.30002, 0.69998]])) \
        == pytest.approx(2e-5)
    assert compare(cls, np.array([[np.nan, 0.7]]), np.array([[0.3, 0.7]])) == np.inf
    with pytest.raises(ValueError):
        compare(cls, np.zeros((2, 2)), np.zeros((2, 3)))
