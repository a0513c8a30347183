"""Mixed inputs: one network reads a table and a text, or a table and pictures, each through
its own branch of layers merged into a head. On data built so the answer needs both inputs,
the mixed model clearly beats the best single-input one; the generated script reproduces its
metrics, KwK predicts raw rows with it and its raw-input export gives the same answers."""
import json

import numpy as np
import pandas as pd
import pytest

from kwk.errors import SpecError
from kwk.spec import check_stack, normalize, resolve
from testutil import run_cli, run_script

TEXT_BRANCHES = {"table": [{"type": "Dense", "units": 16, "activation": "relu"}],
                 "text": [{"type": "Embedding", "output_dim": 8},
                          {"type": "GlobalAveragePooling1D"}]}
IMAGE_BRANCHES = {"table": [{"type": "Dense", "units": 8, "activation": "relu"}],
                  "image": [{"type": "Conv2D", "filters": 8, "kernel_size": 3,
                             "activation": "relu", "padding": "same"},
                            {"type": "GlobalMaxPooling2D"}]}
HEAD = [{"type": "Dense", "units": 16, "activation": "relu"}]
TRAINING = {"epochs": 20, "learning_rate": 0.01, "seed": 0}


def table_and_text(n=3000, seed=0) -> pd.DataFrame:
    """Bought or not: a number and a word of the description decide it together (the word
    flips what the number means); either alone is a coin toss."""
    rng = np.random.default_rng(seed)
    x1, kw = rng.normal(size=n), rng.choice([-1, 1], n)
    fill = ["nice", "item", "for", "home", "the", "a", "great", "value", "quality", "with"]
    desc = [" ".join([*rng.choice(fill, 6), "Premium," if k > 0 else "basic.", *rng.choice(fill, 4)])
            for k in kw]
    desc[5] = None  # a missing text reads as no words
    y = np.where(x1 * kw + 0.1 * rng.normal(size=n) > 0, "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": rng.normal(size=n), "colour": rng.choice(["red", "blue"], n),
                         "description": desc, "bought": y})


def table_and_pictures(n=3000, seed=0) -> pd.DataFrame:
    """A number and whether the 8x8 picture's bar is upright decide the label together (the
    picture flips what the number means); either alone is a coin toss."""
    rng = np.random.default_rng(seed)
    x1, upright = rng.normal(size=n), rng.choice([-1, 1], n)
    imgs = rng.integers(0, 60, size=(n, 8, 8)).astype(float)
    pos = rng.integers(1, 7, n)
    for i in range(n):
        if upright[i] > 0:
            imgs[i, :, pos[i]] = 255
        else:
            imgs[i, pos[i], :] = 255
    df = pd.DataFrame(imgs.reshape(n, 64), columns=[f"px_{i}" for i in range(64)])
    df.insert(0, "x1", x1)
    df["label"] = np.where(x1 * upright + 0.1 * rng.normal(size=n) > 0, "a", "b")
    return df


def mixed_text_spec(**data):
    return {"data": {"target": "bought", "text": {"column": "description", "max_tokens": 100,
                                                  "sequence_length": 12}, **data},
            "branches": TEXT_BRANCHES, "layers": HEAD, "training": TRAINING}


def test_branches_are_checked_with_clear_messages():
    with pytest.raises(SpecError) as e:
        normalize({"data": {"target": "y"}, "branches": {"table": [], "sound": []}})
    assert "Unknown branch 'sound'. Allowed: table, text, image." in str(e.value)
    with pytest.raises(SpecError, match="needs data.text.column"):
        normalize({"data": {"target": "y", "text": {}}, "branches": TEXT_BRANCHES})
    with pytest.raises(SpecError, match="at least two inputs"):
        normalize({"data": {"target": "y"}, "branches": {"table": HEAD}})
    with pytest.raises(SpecError, match="image branch needs data.image_shape"):
        normalize({"data": {"target": "y"}, "branches": IMAGE_BRANCHES})
    with pytest.raises(SpecError, match=r"branches.text: Layer 2 \(GRU\): 'units' is -1"):
        normalize({"data": {"target": "y", "text": {"column": "d"}},
                   "branches": {"table": HEAD, "text": [{"type": "Embedding"},
                                                        {"type": "GRU", "units": -1}]}})
    # old specs are untouched: no branches, no data.inputs, no text column key
    s = normalize({"data": {"target": "y", "text": {}}, "layers": HEAD})
    assert "branches" not in s and "inputs" not in s["data"] and "column" not in s["data"]["text"]


def test_text_column_and_inputs_outside_branches():
    """data.text.column names a text model's column too (KwK and its script read the same);
    data.inputs without branches is refused."""
    df = table_and_text(100)
    spec, _ = resolve({"data": {"target": "bought", "text": {"column": "description"}},
                       "layers": TEXT_BRANCHES["text"]}, df)
    assert spec["data"]["features"] == ["description"]
    from kwk.codegen import generate_script
    assert "TEXT_COLUMN = 'description'" in generate_script(spec)
    with pytest.raises(SpecError, match="The text column 'notes' is not in the data"):
        resolve({"data": {"target": "bought", "text": {"column": "notes"}},
                 "layers": TEXT_BRANCHES["text"]}, df)
    with pytest.raises(SpecError, match="data.inputs names the columns of each branch, but"):
        normalize({"data": {"target": "bought", "inputs": {"table": ["x1"]}}})


def test_columns_in_any_file_order_reach_their_branch():
    """Pixels before the table's columns in the file, a date among them: each branch still
    reads its own columns, in the encoded row's order (table, then pixels)."""
    from kwk.prep.prepare import prepare
    df = table_and_pictures(120)
    df["day"] = pd.date_range("2024-01-01", periods=len(df)).strftime("%Y-%m-%d")
    df = df[[*[f"px_{i}" for i in range(64)], "label", "day", "x1"]]
    p = prepare(df, {"data": {"target": "label", "image_shape": [8, 8, 1]},
                     "branches": IMAGE_BRANCHES, "layers": HEAD})
    assert p.spec["data"]["inputs"] == {"table": ["day", "x1"],
                                        "image": [f"px_{i}" for i in range(64)]}
    names = p.pre.input_names
    assert names[:4] == ["day.days", "day.month", "day.dayofweek", "x1"] and names[4] == "px_0"
    rows = df.iloc[p.rows["train"][:3]]
    assert np.allclose(p.X["train"][:3, 4:], rows[[f"px_{i}" for i in range(64)]].to_numpy())


def test_each_branch_reads_its_columns_and_bad_ones_are_named():
    df = table_and_text(200)
    spec, notes = resolve(mixed_text_spec(), df)
    assert spec["data"]["inputs"] == {"table": ["x1", "x2", "colour"], "text": ["description"]}
    assert spec["data"]["features"] == ["x1", "x2", "colour", "description"]
    assert "the text branch reads 'description'" in notes[-1]
    rows = check_stack(spec, 4 + 12, 2)  # x1, x2, colour=red/blue; 12 word numbers
    names = [r["name"] for r in rows]
    assert names[:2] == ["table input", "table 1 · Dense"] and "Merge · Concatenate" in names
    assert rows[names.index("Merge · Concatenate")]["shape"] == (16 + 8,)
    with pytest.raises(SpecError, match="'x1' holds numbers, not text"):
        resolve(mixed_text_spec(text={"column": "x1"}), df)
    with pytest.raises(SpecError, match="reads column\\(s\\) not in the data: notes"):
        resolve(mixed_text_spec(text={"column": "notes"}), df)
    pics = table_and_pictures(100)
    spec, _ = resolve({"data": {"target": "label", "image_shape": [8, 8, 1]},
                       "branches": IMAGE_BRANCHES, "layers": HEAD}, pics)
    assert spec["data"]["inputs"]["image"] == [f"px_{i}" for i in range(64)]
    assert spec["data"]["inputs"]["table"] == ["x1"]
    # the one pixel rule (kwk.data.pixels): the px_ columns, counted as the picture check does
    with pytest.raises(SpecError, match=r"needs 100 pixel columns but 64 are given"):
        resolve({"data": {"target": "label", "image_shape": [10, 10, 1]},
                 "branches": IMAGE_BRANCHES, "layers": HEAD}, pics)
    with pytest.raises(SpecError, match="The text branch: .* a sequence"):
        check_stack(normalize({**mixed_text_spec(), "branches": {
            "table": HEAD, "text": [{"type": "Embedding"}]}, "data": {
            **mixed_text_spec()["data"], "task": "binary"}}), 16, 2)


def _train(df, spec, tmp_path, name):
    data = tmp_path / f"{name}.csv"
    df.to_csv(data, index=False)
    (tmp_path / f"{name}.json").write_text(json.dumps(spec))
    out = tmp_path / name
    p = run_cli("train", data, "--spec", tmp_path / f"{name}.json", "--out", out, "--quiet")
    assert p.returncode == 0, p.stderr
    return data, out, json.loads((out / "metrics.json").read_text())["test"]["balanced_accuracy"]


def _script_reproduces(out, data, tmp_path):
    p = run_script(out / "train_script.py", data, tmp_path / "script")
    assert p.returncode == 0, p.stderr[-3000:]
    ours = json.loads((out / "metrics.json").read_text())["test"]
    theirs = json.loads((tmp_path / "script" / "script_metrics.json").read_text())
    assert abs(ours["balanced_accuracy"] - theirs.get("test", theirs)["balanced_accuracy"]) < 1e-6


@pytest.mark.slow
def test_table_and_text_beats_either_alone_and_leaves_kwk_whole(tmp_path):
    df = table_and_text(2000)
    data, out, mixed = _train(df, mixed_text_spec(), tmp_path, "mixed")
    _, _, table = _train(df, {"data": {"target": "bought", "features": ["x1", "x2", "colour"]},
                              "layers": [*HEAD, *HEAD], "training": TRAINING}, tmp_path, "table")
    _, _, text = _train(df, {"data": {"target": "bought", "features": ["description"],
                                      "text": {"max_tokens": 100, "sequence_length": 12}},
                             "layers": TEXT_BRANCHES["text"] + HEAD, "training": TRAINING},
                        tmp_path, "text")
    assert mixed > 0.85 and mixed > max(table, text) + 0.2, (mixed, table, text)
    _script_reproduces(out, data, tmp_path)
    # KwK's own prediction from raw rows, and the raw-input export, agree
    from kwk.export.artifacts import export_run
    from kwk.model.raw import raw_inputs
    from kwk.runs.bundle import load_bundle
    import keras
    b = load_bundle(out)
    rows = df.iloc[:300]
    pred = b.predict(rows)
    assert (pred["prediction"] == rows["bought"]).mean() > 0.9
    export_run(out, "keras", tmp_path / "raw.keras")
    raw = keras.saving.load_model(tmp_path / "raw.keras")
    import tensorflow as tf
    feed = {k: tf.constant(v.astype(str)) if v.dtype == object else tf.constant(v)
            for k, v in raw_inputs(b.pre, b.spec, rows).items()}
    got = raw.predict(feed, verbose=0)["probabilities"][:, 1]
    assert np.abs(got - pred["proba_yes"].to_numpy()).max() < 1e-5


@pytest.mark.slow
def test_table_and_pictures_beats_either_alone(tmp_path):
    df = table_and_pictures(2000)
    spec = {"data": {"target": "label", "image_shape": [8, 8, 1]}, "branches": IMAGE_BRANCHES,
            "layers": HEAD, "training": TRAINING}
    data, out, mixed = _train(df, spec, tmp_path, "mixed")
    _, _, table = _train(df, {"data": {"target": "label", "features": ["x1"]},
                              "layers": [*HEAD, *HEAD], "training": TRAINING}, tmp_path, "table")
    _, _, pics = _train(df.drop(columns="x1"), {
        "data": {"target": "label", "image_shape": [8, 8, 1]},
        "layers": [*IMAGE_BRANCHES["image"], *HEAD], "training": TRAINING}, tmp_path, "pics")
    assert mixed > 0.85 and mixed > max(table, pics) + 0.2, (mixed, table, pics)
    _script_reproduces(out, data, tmp_path)
