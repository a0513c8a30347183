"""The same network and data in KwK and in scikit-learn's MLPClassifier: seconds each needs to
reach the same test accuracy (the lower of the two final scores), epoch by epoch.

Both use 2 hidden layers (64, 32, relu), Adam at 0.001, batch 256, standardised inputs, and the
same train/test rows. Run: python bench/bench_sklearn.py [rows]. Appends to bench/RESULTS.md.
"""
import sys
import time

import numpy as np
from common import record, synthetic

EPOCHS = 15


def main(rows: int = 100_000) -> None:
    import keras
    from sklearn.neural_network import MLPClassifier

    from kwk.model.builder import build_model, compile_model
    from kwk.spec import normalize
    from kwk.training import prepare, seed_everything
    spec = normalize({"data": {"target": "y"},
                      "layers": [{"type": "Dense", "units": 64, "activation": "relu"},
                                 {"type": "Dense", "units": 32, "activation": "relu"}],
                      "training": {"epochs": EPOCHS, "batch_size": 256, "learning_rate": 0.001,
                                   "early_stopping_patience": 0, "seed": 0}})
    p = prepare(synthetic(rows), spec)
    Xtr, ytr, Xte, yte = p.X["train"], p.y["train"], p.X["test"], p.y["test"]

    # KwK's model (built from the spec), one epoch at a time, timing only the training
    seed_everything(0)
    model = build_model(p.spec, Xtr.shape[1], 2)
    compile_model(model, p.spec, int(np.ceil(len(Xtr) / 256)), fused=True)  # as KwK trains
    k_curve, spent = [], 0.0
    for _ in range(EPOCHS):
        t = time.perf_counter()
        model.fit(Xtr, ytr, epochs=1, batch_size=256, verbose=0, shuffle=True)
        spent += time.perf_counter() - t
        acc = float(((model.predict(Xte, verbose=0).reshape(-1) >= 0.5) == yte).mean())
        k_curve.append((spent, acc))

    mlp = MLPClassifier(hidden_layer_sizes=(64, 32), learning_rate_init=0.001, batch_size=256,
                        random_state=0)
    s_curve, spent = [], 0.0
    for _ in range(EPOCHS):
        t = time.perf_counter()
        mlp.partial_fit(Xtr, ytr, classes=np.array([0, 1]))
        spent += time.perf_counter() - t
        s_curve.append((spent, float(mlp.score(Xte, yte))))

    target = min(max(a for _, a in k_curve), max(a for _, a in s_curve)) - 0.002
    k_t = next(t for t, a in k_curve if a >= target)
    s_t = next(t for t, a in s_curve if a >= target)
    del keras
    record(f"KwK vs scikit-learn MLPClassifier, {rows:,}x20, same network: seconds to reach "
           f"test accuracy {target:.3f}",
           f"KwK {k_t:.2f}s (best {max(a for _, a in k_curve):.3f}); scikit-learn {s_t:.2f}s "
           f"(best {max(a for _, a in s_curve):.3f})", f"**{k_t / s_t:.2f}x** (KwK / scikit-learn)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
