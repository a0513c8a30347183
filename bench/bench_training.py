"""Training overhead: KwK's training path (spec -> build -> Job with live progress) against a
hand-written Keras script with the same model, data, settings and seed (target <= 1.05x).

Both fit the same encoded arrays; the hand-written side is the plain keras.Sequential +
model.fit a user would write. KwK compiles with Keras's steps_per_execution (several steps per
call into the graph; the same batches in the same order, so the same weights), which the plain
script does not. Reported: the fit itself (KwK's progress callback, stop and NaN
checks included), and KwK's whole Job, which also scores a baseline and a scikit-learn model
and bootstraps confidence intervals (informational).
Run: python bench/bench_training.py [rows]. Appends to bench/RESULTS.md.
"""
import math
import sys
import time

from common import record, synthetic


def main(rows: int = 200_000) -> None:
    import keras

    from kwk.model.builder import steps_per_execution
    from kwk.spec import normalize
    from kwk.prep.prepare import prepare
    from kwk.training.core import seed_everything
    from kwk.training import Job
    spec = normalize({"data": {"target": "y"},
                      "layers": [{"type": "Dense", "units": 64, "activation": "relu"},
                                 {"type": "Dense", "units": 32, "activation": "relu"}],
                      "training": {"epochs": 8, "batch_size": 256, "learning_rate": 0.001,
                                   "early_stopping_patience": 0, "seed": 0}})
    p = prepare(synthetic(rows), spec)
    Xtr, ytr = p.X["train"], p.y["train"]
    Xva, yva = p.X["validation"], p.y["validation"]

    def network():
        return keras.Sequential([keras.Input((Xtr.shape[1],)),
                                 keras.layers.Dense(64, activation="relu"),
                                 keras.layers.Dense(32, activation="relu"),
                                 keras.layers.Dense(1, activation="sigmoid")])

    spe = steps_per_execution(network(), math.ceil(len(ytr) / 256), 256)

    def hand_written(steps: int = 1) -> float:
        seed_everything(0)
        model = network()
        model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy",
                      metrics=["accuracy"], steps_per_execution=steps)
        t = time.perf_counter()
        model.fit(Xtr, ytr, validation_data=(Xva, yva), epochs=8, batch_size=256, verbose=0)
        return time.perf_counter() - t

    hand_written()  # warm up TensorFlow once for both sides
    hand, hand_spe, kwk_fit, kwk_all = [], [], [], []
    for _ in range(3):  # interleaved, best of three: the machine is noisy
        hand.append(hand_written())
        hand_spe.append(hand_written(spe))
        t = time.perf_counter()
        res = Job(p).run()
        kwk_all.append(time.perf_counter() - t)
        kwk_fit.append(res.seconds)
    h, hs, f, a = min(hand), min(hand_spe), min(kwk_fit), min(kwk_all)
    record(f"training overhead, {rows:,}x20, 2 hidden layers, 8 epochs: KwK fit vs hand-written "
           "Keras", f"hand-written {h:.2f}s; KwK {f:.2f}s (it runs {spe} steps per call)",
           f"**{f / h:.2f}x** (target 1.05x)")
    record("the same, against a hand-written script that also sets steps_per_execution: the "
           "cost of KwK's progress, stop and NaN checks alone",
           f"hand-written {hs:.2f}s; KwK {f:.2f}s", f"**{f / hs:.2f}x**")
    record("KwK whole Job (fit + baseline + scikit-learn model + bootstrap CIs) vs hand-written fit",
           f"{a:.2f}s vs {h:.2f}s", f"**{a / h:.2f}x** (informational)")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
