"""The same network and data in KwK and in scikit-learn's MLPClassifier: seconds each needs to
reach the same test accuracy (the lower of the two final scores), epoch by epoch.

Both use 2 hidden layers (64, 32, relu), Adam at 0.001, batch 256, standardised inputs, and the
same train/test rows. KwK trains as it does in a run: one ``fit`` call for all the epochs (the
step traced once, several steps per call); the test accuracy after each epoch is measured by a
callback whose own time is left out. CPU seconds are recorded beside the wall clock (the
machine is shared). Run: python bench/bench_sklearn.py [rows]. Appends to bench/RESULTS.md.
"""
import os
import sys
import time

import numpy as np
from common import record, synthetic

EPOCHS = 15


def main(rows: int = 100_000) -> None:
    import keras
    from sklearn.neural_network import MLPClassifier

    from kwk.evaluation.metrics import model_proba
    from kwk.model.builder import build_model, build_training_state, compile_model
    from kwk.spec import normalize
    from kwk.prep.prepare import prepare
    from kwk.training import seed_everything
    spec = normalize({"data": {"target": "y"},
                      "layers": [{"type": "Dense", "units": 64, "activation": "relu"},
                                 {"type": "Dense", "units": 32, "activation": "relu"}],
                      "training": {"epochs": EPOCHS, "batch_size": 256, "learning_rate": 0.001,
                                   "early_stopping_patience": 0, "seed": 0}})
    p = prepare(synthetic(rows), spec)
    Xtr, ytr, Xte, yte = p.X["train"], p.y["train"], p.X["test"], p.y["test"]

    # KwK's model (built from the spec) trained as KwK trains it: one fit call for all the
    # epochs; an epoch-end callback scores the test rows, and its own time is left out.
    seed_everything(0)
    model = build_model(p.spec, Xtr.shape[1], 2)
    compile_model(model, p.spec, int(np.ceil(len(Xtr) / 256)), fused=True)  # as KwK trains
    build_training_state(model, Xtr, ytr)  # as KwK trains: the step traced once
    k_curve, clock = [], {"start": 0.0, "left_out": 0.0, "cpu": 0.0, "cpu_left_out": 0.0}

    class Curve(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            t, c = time.perf_counter(), time.process_time()
            proba = model_proba(self.model, Xte, "binary")[:, 1]
            k_curve.append((t - clock["start"] - clock["left_out"],
                            float(((proba >= 0.5) == yte).mean()),
                            c - clock["cpu"] - clock["cpu_left_out"]))
            clock["left_out"] += time.perf_counter() - t
            clock["cpu_left_out"] += time.process_time() - c

    clock["start"], clock["cpu"] = time.perf_counter(), time.process_time()
    model.fit(Xtr, ytr, epochs=EPOCHS, batch_size=256, verbose=0, shuffle=True,
              callbacks=[Curve()])

    def sklearn_curve(blas_threads):
        from threadpoolctl import threadpool_limits
        mlp = MLPClassifier(hidden_layer_sizes=(64, 32), learning_rate_init=0.001,
                            batch_size=256, random_state=0)
        curve, spent, cpu = [], 0.0, 0.0
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            for _ in range(EPOCHS):
                t, c = time.perf_counter(), time.process_time()
                mlp.partial_fit(Xtr, ytr, classes=np.array([0, 1]))
                spent += time.perf_counter() - t
                cpu += time.process_time() - c
                curve.append((spent, float(mlp.score(Xte, yte)), cpu))
        return curve
    # scikit-learn as users run it (BLAS on every core), and on one BLAS thread: on a busy
    # shared machine its spinning OpenBLAS threads slow it many times; the faster of the two
    # is the baseline
    curves = {"default": sklearn_curve(None), "one BLAS thread": sklearn_curve(1)}

    best_s = max(a for c in curves.values() for _, a, _ in c)
    target = min(max(a for _, a, _ in k_curve), best_s) - 0.002
    k_i = next(i for i, (_, a, _) in enumerate(k_curve) if a >= target)
    (k_t, _, k_c) = k_curve[k_i]
    reached = {name: next((i, t, c) for i, (t, a, c) in enumerate(curve) if a >= target)
               for name, curve in curves.items()}
    base = min(reached, key=lambda name: reached[name][1])
    s_i, s_t, s_c = reached[base]
    first, later = k_curve[0][0], (k_curve[-1][0] - k_curve[0][0]) / (EPOCHS - 1)
    sk = "; ".join(f"{name} {t:.2f}s at epoch {i + 1} (CPU {c:.2f}s)"
                   for name, (i, t, c) in reached.items())
    record(f"KwK vs scikit-learn MLPClassifier, {rows:,}x20, same network: seconds to reach "
           f"test accuracy {target:.3f} (KwK in one fit call, as it trains)",
           f"KwK {k_t:.2f}s at epoch {k_i + 1} (best {max(a for _, a, _ in k_curve):.3f}; first "
           f"epoch {first:.2f}s, each later one {later:.2f}s; CPU {k_c:.2f}s); scikit-learn: "
           f"{sk} (best {best_s:.3f}); load average {os.getloadavg()[0]:.1f}",
           f"**{k_t / s_t:.2f}x** (KwK / scikit-learn {base}; CPU {k_c / s_c:.2f}x)")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
