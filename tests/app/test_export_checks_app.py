"""Predict & export (issue 28): a model download is offered only after its file loaded in its
own runtime and matched the run; the page says so, and a refused export shows its reason in an
error, with no download, and is not converted again at every rerun."""
import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash, texts
from tests.app.test_predict_page import _save_run
from testutil import tiny_spec

pytest.importorskip("onnxruntime")


def _gelu_run():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"size": rng.normal(10, 2, 120), "weight": rng.normal(70, 9, 120)})
    df["y"] = np.where(df["size"] + (df["weight"] - 70) / 9 > 10, "big", "small")
    spec = tiny_spec("y", epochs=1)
    spec["layers"] = [{"type": "Dense", "units": 8, "activation": "gelu"}]
    return _save_run(df, spec)


@pytest.fixture
def calls(monkeypatch):
    """How many times the page built each export (format -> count)."""
    import kwk.export
    seen, real = {}, kwk.export.export_bytes

    def spy(run_dir, fmt):
        seen[fmt] = seen.get(fmt, 0) + 1
        return real(run_dir, fmt)
    monkeypatch.setattr(kwk.export, "export_bytes", spy)
    return seen


def _labels(at):
    return [b.proto.label for b in at.get("download_button")]


def test_a_checked_export_says_where_it_was_loaded_and_a_refused_one_why(calls, monkeypatch):
    from kwk.export.support import REFUSED
    monkeypatch.setitem(REFUSED, ("tflite", "activation", "gelu"), "no operator for it here")
    _gelu_run()
    at = goto(app(), "6_predict")
    assert "⬇️ model.keras" in _labels(at)
    assert any(s.value.startswith("Loaded in Keras and matched the model on 8 rows (max "
                                  "difference") for s in at.success)
    at.pills[0].set_value(["keras", "onnx", "tflite"]).run()
    no_crash(at)
    assert "⬇️ model.onnx.zip" in _labels(at)  # the GELU network's ONNX runs in onnxruntime
    assert any(s.value.startswith("Loaded in onnxruntime and matched the model on 8 rows")
               for s in at.success)
    assert "⬇️ model.tflite.zip" not in _labels(at)  # refused: nothing to download
    err = [e.value for e in at.error]
    assert len(err) == 1 and "LiteRT (.tflite): This network cannot be exported as LiteRT: " \
        "layer 1 (gelu activation): no operator for it here." in err[0]
    assert "What to do:" in err[0] and ".keras or SavedModel" in err[0]
    at.run()  # a rerun (any click) neither converts again nor forgets the reason
    no_crash(at)
    assert calls == {"keras": 1, "onnx": 1, "tflite": 1}
    assert "no operator for it here" in texts(at)
