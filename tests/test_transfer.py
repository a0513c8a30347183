"""Start from a trained model: a CNN trained on some digits is reused, frozen, as the base for
other digits; the weights come in exactly, stay frozen while the new head learns, and a base
that no longer fits (other columns, changed settings, a changed or missing file) is explained
before training. The generated script loads the same file."""
import json
import shutil

import numpy as np
import pytest

from kwk.catalog.presets import TEMPLATES
from kwk.data.samples import SAMPLES
from kwk.errors import SpecError
from kwk.model.transfer import read_base, reuse
from kwk.prep.prepare import prepare
from kwk.spec import check_stack, normalize
from kwk.training.core import train_once

CNN = TEMPLATES["Small CNN (images)"]["layers"]


@pytest.fixture(scope="module")
def digits():
    return SAMPLES["digits"].load()


@pytest.fixture(scope="module")
def base_run(digits, tmp_path_factory):
    """A small CNN trained on the digits 0-4, saved as a run's model.keras."""
    first = digits[digits["digit"].astype(int) < 5]
    spec = {"data": {"target": "digit", "image_shape": [8, 8, 1]}, "layers": CNN,
            "training": {"epochs": 8, "learning_rate": 0.003, "seed": 1}}
    p = prepare(first, spec)
    r = train_once(p)
    d = tmp_path_factory.mktemp("base")
    r.model.save(d / "model.keras")
    return d / "model.keras", r


def test_a_base_lists_its_layers_as_spec_layers(base_run):
    path, r = base_run
    base = read_base(path, run="abc123")
    assert [b.keras_class for b in base.layers] == [layer["type"] for layer in CNN]
    assert base.usable == len(CNN)
    assert base.layers[0].spec == normalize({"layers": CNN[:1]})["layers"][0]
    assert base.layers[0].input_shape == [8, 8, 1]
    assert base.layers[0].params == r.model.get_layer("1_conv2d").count_params()
    assert len(base.sha256) == 64 and base.run == "abc123"


@pytest.mark.slow
def test_a_frozen_base_trains_a_new_head_on_other_digits(base_run, digits, tmp_path):
    path, r = base_run
    base = read_base(path, run="abc123")
    convs = next(i for i, b in enumerate(base.layers) if b.keras_class == "Flatten"
                 or b.keras_class.startswith("Global"))  # the convolutional base
    layers = reuse(base, convs, trainable=False) + CNN[convs:]
    spec = normalize({"data": {"target": "digit", "image_shape": [8, 8, 1]}, "layers": layers,
                      "training": {"epochs": 15, "learning_rate": 0.003, "seed": 2}})
    assert json.loads(json.dumps(spec)) == spec  # plain JSON: saved, shared, reloaded as is
    assert spec["layers"][0]["weights"]["layer"] == "1_conv2d"
    second = digits[digits["digit"].astype(int) >= 5]
    p = prepare(second, spec)
    res = train_once(p)
    before = r.model.get_layer("1_conv2d").get_weights()
    after = res.model.get_layer("1_conv2d").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after))  # frozen: unchanged
    assert not res.model.get_layer("1_conv2d").trainable
    assert res.metrics["test"]["accuracy"] > 0.8  # the new head learned the new digits
    # the generated script loads the same file into the same layers
    from kwk.codegen import generate_script
    code = generate_script(p.spec, data_name="digits.csv")
    assert f"keras.saving.load_model({str(path)!r}, compile=False)" in code
    assert "model.get_layer('reused_1').set_weights(base_1.get_layer('1_conv2d')" in code
    assert "trainable=False" in code
    compile(code, "train_script.py", "exec")


def test_a_base_that_no_longer_fits_is_explained_before_training(base_run, tmp_path):
    path, _ = base_run
    base = read_base(path)
    layers = reuse(base, len(base.layers))  # every layer, with the Dense at the end
    # RGB pictures: 3 channels where the trained filters read 1
    spec = normalize({"data": {"target": "y", "task": "multiclass", "image_shape": [8, 8, 3]},
                      "layers": layers})
    with pytest.raises(SpecError, match=r"which read 1 channels; here it receives 3"):
        check_stack(spec, 8 * 8 * 3, 5)
    # a changed setting: more filters than the trained layer has
    changed = [dict(layers[0], filters=layers[0]["filters"] * 2)] + layers[1:]
    spec = normalize({"data": {"target": "y", "task": "multiclass", "image_shape": [8, 8, 1]},
                      "layers": changed})
    with pytest.raises(SpecError, match="Set its settings .* back to those of the trained"):
        check_stack(spec, 64, 5)
    # bigger pictures: the convolutions fit, the Dense after Flatten does not
    spec = normalize({"data": {"target": "y", "task": "multiclass", "image_shape": [16, 16, 1]},
                      "layers": layers})
    with pytest.raises(SpecError, match=r"Layer \d \(Dense\) reuses the weights .* values per row"):
        check_stack(spec, 256, 5)
    # a file that changed or went away since it was chosen
    from kwk.model.builder import build_model
    spec = normalize({"data": {"target": "y", "task": "multiclass", "image_shape": [8, 8, 1]},
                      "layers": layers})
    copy = tmp_path / "copy.keras"
    shutil.copy(path, copy)
    moved = [dict(l, weights={**l["weights"], "file": str(copy)}) for l in layers]
    copy.write_bytes(copy.read_bytes() + b"\0")
    spec["layers"] = moved
    with pytest.raises(SpecError, match="has changed since it was chosen"):
        build_model(spec, 64, 5, adapt=np.zeros((4, 64), "float32"))
    copy.unlink()
    with pytest.raises(SpecError, match="which is not there"):
        build_model(spec, 64, 5, adapt=np.zeros((4, 64), "float32"))


def test_reuse_keys_are_checked():
    with pytest.raises(SpecError) as e:
        normalize({"layers": [{"type": "Dense", "units": 4, "trainable": "no",
                               "weights": {"layer": 3, "colour": 1}}]})
    msg = str(e.value)
    assert "'trainable' must be true or false" in msg and "unknown key(s) 'colour'" in msg
    assert "weights.file must name the saved model file" in msg
    assert "weights.layer must name the layer in that file" in msg
    plain = normalize({"layers": [{"type": "Dense", "units": 4}]})["layers"][0]
    assert "weights" not in plain and "trainable" not in plain  # old specs are unchanged


def test_an_unreadable_or_foreign_file_is_refused_clearly(tmp_path):
    bad = tmp_path / "x.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SpecError, match="cannot be read as a Keras model"):
        read_base(bad)
    import keras
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, name="d1"),
                          keras.layers.UnitNormalization(name="u"),
                          keras.layers.Dense(2, name="d2")])
    m.save(tmp_path / "foreign.keras")
    base = read_base(tmp_path / "foreign.keras")
    assert base.usable == 1 and "not one of KwK's layers" in base.layers[1].why
    with pytest.raises(SpecError, match="Only the first 1 layer"):
        reuse(base, 2)
    assert reuse(base, 1)[0]["units"] == 5
    # a model with several inputs (branches joined) is refused, not listed as one stack
    a, b = keras.Input((3,)), keras.Input((2,))
    joined = keras.layers.Concatenate()([keras.layers.Dense(4)(a), keras.layers.Dense(4)(b)])
    keras.Model([a, b], keras.layers.Dense(1)(joined)).save(tmp_path / "two.keras")
    with pytest.raises(SpecError, match="reads several inputs"):
        read_base(tmp_path / "two.keras")


@pytest.mark.slow
def test_the_cli_trains_on_a_reused_base_and_the_script_reproduces_it(tmp_path):
    """`kwk train` with a spec whose first layer reuses a saved model's weights (frozen); the
    generated script loads the same file and reaches the same test metrics."""
    from testutil import run_cli, run_script
    data = tmp_path / "iris.csv"
    SAMPLES["iris"].load().to_csv(data, index=False)
    first = {"data": {"target": "species"},
             "layers": [{"type": "Dense", "units": 8, "activation": "relu"}],
             "training": {"epochs": 20, "learning_rate": 0.01, "seed": 3}}
    (tmp_path / "a.json").write_text(json.dumps(first))
    p = run_cli("train", data, "--spec", tmp_path / "a.json", "--out", tmp_path / "a", "--quiet")
    assert p.returncode == 0, p.stderr
    base = read_base(tmp_path / "a" / "model.keras")
    second = {**first, "layers": reuse(base, 1) + [{"type": "Dense", "units": 4,
                                                    "activation": "relu"}],
              "training": {**first["training"], "seed": 4}}
    (tmp_path / "b.json").write_text(json.dumps(second))
    p = run_cli("train", data, "--spec", tmp_path / "b.json", "--out", tmp_path / "b", "--quiet")
    assert p.returncode == 0, p.stderr
    saved = json.loads((tmp_path / "b" / "spec.json").read_text())
    assert saved["layers"][0]["weights"]["sha256"] == base.sha256  # where the weights came from
    p = run_script(tmp_path / "b" / "train_script.py", data, tmp_path / "s")
    assert p.returncode == 0, p.stderr[-3000:]
    ours = json.loads((tmp_path / "b" / "metrics.json").read_text())["test"]
    theirs = json.loads((tmp_path / "s" / "script_metrics.json").read_text())
    theirs = theirs.get("test", theirs)
    assert abs(ours["balanced_accuracy"] - theirs["balanced_accuracy"]) < 1e-6
    # a spec that names a file that is not there: exit code 2 and a message, no traceback
    gone = {**second, "layers": [dict(second["layers"][0], weights={
        **second["layers"][0]["weights"], "file": str(tmp_path / "nowhere.keras")})]}
    (tmp_path / "c.json").write_text(json.dumps(gone))
    p = run_cli("train", data, "--spec", tmp_path / "c.json", "--out", tmp_path / "c", "--quiet")
    assert p.returncode == 2 and "which is not there" in p.stderr
    assert "Traceback" not in p.stderr


@pytest.mark.slow
def test_a_text_encoder_is_reused_for_a_new_label_with_its_own_word_numbers(tmp_path):
    """A text model's Embedding and GRU, trained on four topics, reused (frozen) for a new
    two-class label: the new model numbers the words as the trained one did (its vocabulary,
    not one learned again), and its script loads that vocabulary from the same file."""
    from testutil import run_cli, run_script
    news = SAMPLES["news"].load()
    data = tmp_path / "news.csv"
    news.to_csv(data, index=False)
    first = {"data": {"target": "topic", "features": ["text"],
                      "text": {"max_tokens": 2000, "sequence_length": 24}},
             "layers": [{"type": "Embedding", "output_dim": 16}, {"type": "GRU", "units": 16}],
             "training": {"epochs": 6, "learning_rate": 0.01, "seed": 1}}
    (tmp_path / "a.json").write_text(json.dumps(first))
    assert run_cli("train", data, "--spec", tmp_path / "a.json", "--out", tmp_path / "a",
                   "--quiet").returncode == 0
    base = read_base(tmp_path / "a" / "model.keras")
    assert [b.keras_class for b in base.layers] == ["Embedding", "GRU"]  # not its vocabulary
    other = news.assign(indoors=news["topic"].isin(["tech", "food"]).map({True: "yes",
                                                                        False: "no"}))
    other = other.drop(columns="topic")
    data2 = tmp_path / "news2.csv"
    other.to_csv(data2, index=False)
    second = {**first, "data": {**first["data"], "target": "indoors"},
              "layers": reuse(base, 2) + [{"type": "Dense", "units": 8, "activation": "relu"}]}
    (tmp_path / "b.json").write_text(json.dumps(second))
    p = run_cli("train", data2, "--spec", tmp_path / "b.json", "--out", tmp_path / "b", "--quiet")
    assert p.returncode == 0, p.stderr
    import keras
    a = keras.saving.load_model(tmp_path / "a" / "model.keras")
    b = keras.saving.load_model(tmp_path / "b" / "model.keras")
    assert (b.get_layer("0_vectorize").get_vocabulary()
            == a.get_layer("0_vectorize").get_vocabulary())
    assert json.loads((tmp_path / "b" / "metrics.json").read_text())["test"]["accuracy"] > 0.8
    p = run_script(tmp_path / "b" / "train_script.py", data2, tmp_path / "s")
    assert p.returncode == 0, p.stderr[-3000:]
    ours = json.loads((tmp_path / "b" / "metrics.json").read_text())["test"]
    theirs = json.loads((tmp_path / "s" / "script_metrics.json").read_text())
    assert abs(ours["balanced_accuracy"] - theirs.get("test", theirs)["balanced_accuracy"]) < 1e-6
