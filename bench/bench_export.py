"""Exported models: seconds to export a run in each format, and rows/s when each artifact
scores raw rows, against the bundle's own scoring (``Bundle.output``: pandas preprocessing +
``model.predict``) measured in the same run. The data is the churn sample (numbers, labels, a
date, missing values); LiteRT and ONNX take the encoded rows (their converters cannot carry the
string preprocessing), so their time includes ``Preprocessor.encode_rows``.
Run: python bench/bench_export.py. Appends to bench/RESULTS.md.
"""
import tempfile
import time
from pathlib import Path

import numpy as np

from common import record

ROWS = 20_000


def _best(fn, repeats=3) -> float:
    fn()  # warm-up (graph tracing)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def main() -> None:
    import onnxruntime as ort
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    import keras
    from kwk.data.samples import SAMPLES
    from kwk.export import export_run
    from kwk.model.raw import raw_inputs
    from kwk.runs.bundle import load_bundle, save_bundle
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    df = SAMPLES["churn"].load()
    spec = {"data": {"target": "churned"},
            "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                       {"type": "Dense", "units": 16, "activation": "relu"}],
            "training": {"epochs": 3}}
    tmp = Path(tempfile.mkdtemp())
    save_bundle(Job(prepare(df, spec)).run(), tmp / "run", "churn.csv", "fp", None)
    paths = {"keras": tmp / "m.keras", "savedmodel": tmp / "sm", "tflite": tmp / "t" / "m.tflite",
             "onnx": tmp / "o" / "m.onnx"}
    secs = {}
    for fmt, p in paths.items():
        t0 = time.perf_counter()
        export_run(tmp / "run", fmt, p)
        secs[fmt] = time.perf_counter() - t0
    b = load_bundle(tmp / "run")
    rows = df.sample(ROWS, replace=True, random_state=0).reset_index(drop=True)
    want = b.output(rows)

    def feed():
        return {k: tf.constant(v.astype(str)) if v.dtype == object else tf.constant(v)
                for k, v in raw_inputs(b.pre, b.spec, rows).items()}
    model = keras.saving.load_model(paths["keras"], safe_mode=True)
    sig = tf.saved_model.load(str(paths["savedmodel"])).signatures["serving_default"]
    sess = ort.InferenceSession(str(paths["onnx"]), providers=["CPUExecutionProvider"])
    lite = Interpreter(model_path=str(paths["tflite"])).get_signature_runner()
    runs = {
        "bundle (baseline)": lambda: b.output(rows),
        ".keras, raw rows": lambda: model.predict(feed(), batch_size=4096, verbose=0),
        "SavedModel, raw rows": lambda: sig(**feed()),
        "ONNX (encode + onnxruntime)": lambda: sess.run(None, {"encoded": b.pre.encode_rows(rows)}),
        "LiteRT (encode + interpreter)": lambda: lite(encoded=b.pre.encode_rows(rows)),
    }
    gap = max(float(np.abs(np.asarray(model.predict(feed(), verbose=0)["probabilities"]) - want).max()),
              float(np.abs(sess.run(None, {"encoded": b.pre.encode_rows(rows)})[0] - want).max()))
    rate = {k: ROWS / _best(fn) for k, fn in runs.items()}
    base = rate["bundle (baseline)"]
    record("export a run (churn, Dense 32-16): seconds per format",
           ", ".join(f"{k} {v:.2f}s" for k, v in secs.items()), "informational")
    for k, v in rate.items():
        if k != "bundle (baseline)":
            record(f"score {ROWS:,} raw churn rows: {k} vs the bundle's own scoring",
                   f"{v:,.0f} rows/s (bundle {base:,.0f} rows/s); largest probability gap "
                   f"{gap:.1g}", f"**{v / base:.2f}x** the bundle's rate")


if __name__ == "__main__":
    main()
