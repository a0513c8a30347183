"""Explanations: seconds per explained row (Shapley contributions per original column, shap's
permutation explainer, 50 background rows, up to 10 permutations) on tables of 6, 20 and 60
columns, against the "a few seconds per row on 2 cores" target (3 s), and the additivity gap
(base + sum of contributions - prediction). Also the bare cost of predicting the same rows, for
scale. Run: python bench/bench_explain.py. Appends to bench/RESULTS.md.
"""
import tempfile
import time

import numpy as np

from common import record, synthetic

TARGET_S = 3.0
ROWS = 20


def _train(df, target, epochs=5):
    from kwk.runs.bundle import load_bundle
    from kwk.runs.service import DataSource, save_run
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    spec = {"kwk_spec": 1, "data": {"target": target},
            "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                       {"type": "Dense", "units": 16, "activation": "relu"}],
            "training": {"epochs": epochs, "early_stopping_patience": 0}}
    res = Job(prepare(df, spec)).run()
    out = save_run(res, DataSource(name="d.csv", fmt="csv", fingerprint="fp", path="d.csv"),
                   out_dir=tempfile.mkdtemp(), script=False)
    return load_bundle(out), out


def main() -> None:
    from kwk.data.samples import SAMPLES
    from kwk.evaluation.explain import explain_bundle, run_background
    cases = [("churn (6 mixed columns: numbers, labels, a date; binary)",
              SAMPLES["churn"].load(), "churned"),
             ("synthetic 20 numeric columns, binary", synthetic(3000, 20), "y"),
             ("synthetic 60 numeric columns, binary", synthetic(3000, 60), "y")]
    for name, df, target in cases:
        b, run_dir = _train(df, target)
        bg, _ = run_background(run_dir, df, "fp")
        rows = df.iloc[:ROWS]
        explain_bundle(b, rows.iloc[:1], bg)  # warm: imports, first model call
        t0 = time.perf_counter()
        e = explain_bundle(b, rows, bg)
        per_row = (time.perf_counter() - t0) / ROWS
        t0 = time.perf_counter()
        for i in range(ROWS):
            b.output(rows.iloc[[i]])
        predict_s = (time.perf_counter() - t0) / ROWS
        record(f"explain one row (SHAP permutation over the original columns, "
               f"{e.background_rows} background rows, {e.permutations} permutations): {name}",
               f"{per_row:.2f} s per row over {ROWS} rows (one prediction: {predict_s:.3f} s); "
               f"additivity gap {e.additivity_gap():.1e}",
               f"**{per_row / TARGET_S:.2f}x** of the {TARGET_S:.0f} s target")


if __name__ == "__main__":
    np.random.seed(0)
    main()
