"""The export matrix (issue 28): every activation and every layer of the catalog × every export
format. Each case either exports a file that loads in its own runtime and gives the run's
predictions within 1e-4 (checked here again, with this test's own loaders, on rows the export
did not choose), or is refused before converting with a reason and a hint.

The networks are not trained: a run folder is written from the real preparation and builder
(``prepare`` + ``build_model``, the weights jittered so that no bias is zero and every batch
normalisation has statistics of its own), which is what ``export_run`` reads. One folder per
activation or layer, shared by its four formats.
"""
import json

import numpy as np
import pandas as pd
import pytest

from kwk.catalog.layers import ACTIVATIONS, CATALOG
from kwk.export import FORMATS, ExportRefused
from kwk.export.support import REFUSED

pytest.importorskip("onnxruntime")
pytest.importorskip("ai_edge_litert")
pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:In the future `np.object`:FutureWarning")]

OUT = {"keras": "m.keras", "savedmodel": "sm", "tflite": "m.tflite", "onnx": "m.onnx"}
TEXT = {"max_tokens": 30, "sequence_length": 6}

# Each catalog layer in a stack where it is valid: (kind of data, layers). Image layers get the
# pictures, sequence layers a text (after its Embedding), the rest a table of numbers.
SEQ = [{"type": "Embedding", "output_dim": 4}]
LAYER_CASES = {
    "Dense": ("table", [{"type": "Dense", "units": 4}]),
    "Dropout": ("table", [{"type": "Dense", "units": 4}, {"type": "Dropout"}]),
    "GaussianDropout": ("table", [{"type": "GaussianDropout"}, {"type": "Dense", "units": 4}]),
    "AlphaDropout": ("table", [{"type": "Dense", "units": 4, "activation": "selu"},
                               {"type": "AlphaDropout"}]),
    "GaussianNoise": ("table", [{"type": "GaussianNoise"}, {"type": "Dense", "units": 4}]),
    "BatchNormalization": ("table", [{"type": "Dense", "units": 4},
                                     {"type": "BatchNormalization"}]),
    "LayerNormalization": ("table", [{"type": "Dense", "units": 4},
                                     {"type": "LayerNormalization"}]),
    "Activation": ("table", [{"type": "Dense", "units": 4},
                             {"type": "Activation", "activation": "tanh"}]),
    "Reshape": ("table", [{"type": "Reshape", "target_shape": [3, 2]}, {"type": "Flatten"}]),
    "Flatten": ("pictures", [{"type": "Flatten"}]),
    "Conv2D": ("pictures", [{"type": "Conv2D", "filters": 2, "kernel_size": 3},
                            {"type": "Flatten"}]),
    "SeparableConv2D": ("pictures", [{"type": "SeparableConv2D", "filters": 2,
                                      "kernel_size": 3}, {"type": "Flatten"}]),
    "MaxPooling2D": ("pictures", [{"type": "MaxPooling2D"}, {"type": "Flatten"}]),
    "AveragePooling2D": ("pictures", [{"type": "AveragePooling2D"}, {"type": "Flatten"}]),
    "GlobalAveragePooling2D": ("pictures", [{"type": "Conv2D", "filters": 2, "kernel_size": 3},
                                            {"type": "GlobalAveragePooling2D"}]),
    "GlobalMaxPooling2D": ("pictures", [{"type": "Conv2D", "filters": 2, "kernel_size": 3},
                                        {"type": "GlobalMaxPooling2D"}]),
    "SpatialDropout2D": ("pictures", [{"type": "SpatialDropout2D"}, {"type": "Flatten"}]),
    "RandomFlip": ("pictures", [{"type": "RandomFlip"}, {"type": "Flatten"}]),
    "RandomRotation": ("pictures", [{"type": "RandomRotation"}, {"type": "Flatten"}]),
    "RandomZoom": ("pictures", [{"type": "RandomZoom"}, {"type": "Flatten"}]),
    "RandomContrast": ("pictures", [{"type": "RandomContrast"}, {"type": "Flatten"}]),
    "Embedding": ("text", [*SEQ, {"type": "Flatten"}]),
    "SimpleRNN": ("text", [*SEQ, {"type": "SimpleRNN", "units": 3}]),
    "LSTM": ("text", [*SEQ, {"type": "LSTM", "units": 3}]),
    "GRU": ("text", [*SEQ, {"type": "GRU", "units": 3}]),
    "Bidirectional": ("text", [*SEQ, {"type": "Bidirectional", "layer": "LSTM", "units": 3}]),
    "Conv1D": ("text", [*SEQ, {"type": "Conv1D", "filters": 2, "kernel_size": 3},
                        {"type": "Flatten"}]),
    "MaxPooling1D": ("text", [*SEQ, {"type": "MaxPooling1D"}, {"type": "Flatten"}]),
    "AveragePooling1D": ("text", [*SEQ, {"type": "AveragePooling1D"}, {"type": "Flatten"}]),
    "GlobalMaxPooling1D": ("text", [*SEQ, {"type": "GlobalMaxPooling1D"}]),
    "GlobalAveragePooling1D": ("text", [*SEQ, {"type": "GlobalAveragePooling1D"}]),
    "TimeDistributed": ("text", [*SEQ, {"type": "TimeDistributed", "units": 3},
                                 {"type": "Flatten"}]),
}
# The activations inside recurrent cells are rewritten for ONNX too, and a masked sequence is
# unrolled for LiteRT like any other (kwk.export.support)
EXTRA_CASES = {
    "LSTM-gelu": ("text", [*SEQ, {"type": "LSTM", "units": 3, "activation": "gelu"}]),
    "GRU-celu": ("text", [*SEQ, {"type": "GRU", "units": 3, "activation": "celu"}]),
    "LSTM-mask_zero": ("text", [{"type": "Embedding", "output_dim": 4, "mask_zero": True},
                                {"type": "LSTM", "units": 3}]),
    "Conv2D-gelu": ("pictures", [{"type": "Conv2D", "filters": 2, "kernel_size": 3,
                                  "activation": "gelu"}, {"type": "Flatten"}]),
}
CASES = {**{f"act-{a}": ("table", [{"type": "Dense", "units": 4, "activation": a}])
            for a in ACTIVATIONS},
         **{f"layer-{k}": v for k, v in LAYER_CASES.items()}, **EXTRA_CASES}


def test_the_matrix_covers_every_layer_and_activation_of_the_catalog():
    assert set(LAYER_CASES) == set(CATALOG)
    used = {layer.get("activation") for _, layers in CASES.values() for layer in layers}
    assert set(ACTIVATIONS) <= used


def _data(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 60
    y = rng.choice(["a", "b", "c"], n)
    if kind == "table":
        df = pd.DataFrame({f"x{i}": rng.normal(i, 1 + i, n) for i in range(6)})
        df.loc[::5, "x1"] = np.nan  # the fill value is used, and checked
    elif kind == "pictures":
        df = pd.DataFrame(rng.integers(0, 17, (n, 64)).astype(float),
                          columns=[f"px_{i}" for i in range(64)])
    else:
        words = "good bad fine poor great awful the it was".split()
        df = pd.DataFrame({"review": [" ".join(rng.choice(words, 5)) for _ in range(n)]})
    df["y"] = y
    return df


def _spec(kind: str, layers: list) -> dict:
    data = {"target": "y"}
    if kind == "pictures":
        data["image_shape"] = [8, 8, 1]
    if kind == "text":
        data["text"] = dict(TEXT)
    return {"data": data, "layers": layers,
            "training": {"epochs": 1, "early_stopping_patience": 0}}


def _write_run(kind: str, layers: list, out) -> None:
    """A run folder as ``save_bundle`` writes it (model, preprocessing, spec), from the real
    preparation and builder, without training; every weight jittered (variances kept
    positive) so the comparison sees non-trivial biases and normalisation statistics."""
    from kwk.model.builder import build_model
    from kwk.runs.bundle import save_model
    from kwk.prep.prepare import prepare
    p = prepare(_data(kind), _spec(kind, layers))
    model = build_model(p.spec, p.n_inputs, p.n_classes, adapt=p.X["train"])
    rng = np.random.default_rng(1)
    for w in model.weights:
        if "float" not in str(w.dtype):
            continue
        v = np.asarray(w) + rng.normal(0, 0.3, w.shape)
        w.assign((np.abs(v) + 0.5 if "variance" in w.path else v).astype(w.dtype))
    out.mkdir(parents=True)
    save_model(model, out / "model.keras")
    (out / "preprocess.json").write_text(json.dumps(p.pre.state))
    (out / "spec.json").write_text(json.dumps(p.spec))


@pytest.fixture(scope="module")
def run_for(tmp_path_factory):
    """case -> its run folder, written on first use and shared by the case's formats."""
    root, made = tmp_path_factory.mktemp("matrix"), {}

    def get(case):
        if case not in made:
            kind, layers = CASES[case]
            _write_run(kind, layers, root / case)
            made[case] = root / case
        return made[case]
    return get


def _rows(b):
    """Rows the export's own check did not choose: other draws, other missing values."""
    from kwk.export.verify import reference_rows
    rows = reference_rows(b, n=6, seed=7)
    rows.iloc[0] = None  # an all-missing row first too
    return rows


def _score(fmt, path, feed, key):
    """This test's own loaders (not kwk.export.verify's)."""
    import tensorflow as tf

    def tf_feed():
        return {k: tf.constant(v.astype(str)) if v.dtype == object else tf.constant(v)
                for k, v in feed.items()}
    if fmt == "keras":
        import keras
        return keras.saving.load_model(path, safe_mode=True).predict(tf_feed(), verbose=0)[key]
    if fmt == "savedmodel":
        return tf.saved_model.load(str(path)).signatures["serving_default"](**tf_feed())[key]
    if fmt == "tflite":
        from ai_edge_litert.interpreter import Interpreter
        return Interpreter(model_path=str(path)).get_signature_runner()(**feed)[key]
    import onnxruntime as ort
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {i.name: feed[i.name] for i in sess.get_inputs()})[0]


def _refusal(case: str, fmt: str) -> str | None:
    _, layers = CASES[case]
    for layer in layers:
        why = REFUSED.get((fmt, "layer", layer["type"])) or \
            REFUSED.get((fmt, "activation", layer.get("activation", "")))
        if why:
            return why
    return None


ACTIVATION_CASES = [c for c in CASES if c.startswith("act-")]
LAYER_CASE_NAMES = [c for c in CASES if not c.startswith("act-")]  # in the _layers file: two
# files, so the suite's processes share the matrix (one process ran all of it in 9 minutes)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", ACTIVATION_CASES)
def test_each_activation_exports_or_is_refused_up_front(run_for, tmp_path, case, fmt):
    check_case(run_for, tmp_path, case, fmt)


def check_case(run_for, tmp_path, case, fmt):
    """One case of the matrix: the export loads in its own runtime and matches, or is refused
    before converting."""
    from kwk.export import export_run
    from kwk.model.raw import raw_inputs
    from kwk.export.verify import _feed
    from kwk.runs.bundle import load_bundle
    run = run_for(case)
    out = tmp_path / OUT[fmt]
    why = _refusal(case, fmt)
    if why:
        converted = []
        import kwk.export.artifacts as art
        real = art._convert
        art._convert = lambda *a: converted.append(a) or real(*a)
        try:
            with pytest.raises(ExportRefused) as e:
                export_run(run, fmt, out)
        finally:
            art._convert = real
        assert why in e.value.message and e.value.hint and not converted and not out.exists()
        return
    res = export_run(run, fmt, out)
    assert res.check.max_diff <= 1e-4 and "matched the model on 8 rows" in res.check.sentence
    b = load_bundle(run)
    rows = _rows(b)
    want = b.output(rows)
    feed = raw_inputs(b.pre, b.spec, rows) if res.preprocessing_inside else \
        _feed(b, rows, inside=False)
    got = np.asarray(_score(fmt, res.path, feed, "probabilities"), dtype=float)
    assert got.shape == want.shape and np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-5)  # still probabilities
