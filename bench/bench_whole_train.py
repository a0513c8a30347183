"""A whole `python -m kwk train` process against a whole hand-written Keras script, as a user
runs them: each is a fresh Python process that reads the same 200,000-row CSV, encodes it,
trains the same network (Dense 64 relu, Dense 32 relu, then the output layer) for the same 6
epochs with the same batch size, scores the test rows and saves the model. Goal: KwK <= 1.0x
on both shapes:

- ``numbers``: 20 numbers and a binary target (sigmoid output);
- ``mixed``: 16 numbers (2% missing in one), 4 categorical columns of 3-6 levels and a 3-class
  target (softmax output); the script fills the missing values with the training median,
  standardises the numbers and one-hot encodes the categories seen in training, as KwK does.

KwK does more in that time: it profiles the columns, fits a logistic regression and gradient
boosting to compare with, bootstraps intervals, writes the run record, the metrics, the
evaluation arrays and a generated training script. Where its time goes is reported from one
in-process run with the Job's phases timed (reading + preparing, the epochs, scoring, the
comparison models, the bootstrap, saving).

The two processes run interleaved, three rounds; the best of each is compared (the machine is
shared and noisy). Run: python bench/bench_whole_train.py [rows] [numbers|mixed|both].
Appends to bench/RESULTS.md.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, record, synthetic, synthetic_mixed

EPOCHS, BATCH = 6, 256

HAND_WRITTEN = '''
import sys
import keras
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

keras.utils.set_random_seed(0)
df = pd.read_csv(sys.argv[1])
X = df.drop(columns="y").to_numpy("float32")
y = (df["y"] == "yes").to_numpy("float32")
X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.15, random_state=0,
                                                  stratify=y)
X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.15 / 0.85,
                                                  random_state=0, stratify=y_rest)
mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-7
X_train, X_val, X_test = ((a - mean) / std for a in (X_train, X_val, X_test))
model = keras.Sequential([keras.Input((X.shape[1],)),
                          keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.Adam(0.001), loss="binary_crossentropy",
              metrics=["accuracy"])
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=EPOCHS, batch_size=BATCH,
          verbose=0)
loss, acc = model.evaluate(X_test, y_test, verbose=0)
model.save(sys.argv[2] + "/model.keras")
print(f"test accuracy {acc:.4f}")
'''.replace("EPOCHS", str(EPOCHS)).replace("BATCH", str(BATCH))

HAND_WRITTEN_MIXED = '''
import sys
import keras
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

keras.utils.set_random_seed(0)
df = pd.read_csv(sys.argv[1])
numbers = [c for c in df.columns if c.startswith("n")]
categories = [c for c in df.columns if c.startswith("c")]
classes, y = np.unique(df["y"].to_numpy(str), return_inverse=True)
rows = np.arange(len(df))
rest, test = train_test_split(rows, test_size=0.15, random_state=0, stratify=y)
train, val = train_test_split(rest, test_size=0.15 / 0.85, random_state=0, stratify=y[rest])
fit = df.iloc[train]
median = fit[numbers].median()
filled = fit[numbers].fillna(median)
mean, std = filled.mean(), filled.std(ddof=0) + 1e-7
levels = {c: sorted(fit[c].dropna().unique()) for c in categories}


def encode(part):
    x = ((part[numbers].fillna(median) - mean) / std).to_numpy("float32")
    onehot = [(part[c].to_numpy()[:, None] == np.array(levels[c], dtype=object)[None, :])
              for c in categories]
    return np.hstack([x] + [o.astype("float32") for o in onehot])


X_train, X_val, X_test = (encode(df.iloc[i]) for i in (train, val, test))
y_train, y_val, y_test = y[train], y[val], y[test]
model = keras.Sequential([keras.Input((X_train.shape[1],)),
                          keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(len(classes), activation="softmax")])
model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=EPOCHS, batch_size=BATCH,
          verbose=0)
loss, acc = model.evaluate(X_test, y_test, verbose=0)
model.save(sys.argv[2] + "/model.keras")
print(f"test accuracy {acc:.4f}")
'''.replace("EPOCHS", str(EPOCHS)).replace("BATCH", str(BATCH))

SHAPES = {  # name: (table maker, hand-written script, how the table is described)
    "numbers": (synthetic, HAND_WRITTEN, "x20 CSV (20 numbers, binary target)"),
    "mixed": (synthetic_mixed, HAND_WRITTEN_MIXED,
              "x20 CSV (16 numbers, 2% missing in one; 4 categories of 3-6 levels; 3 classes)"),
}

SPEC = {"kwk_spec": 1, "data": {"target": "y"},
        "layers": [{"type": "Dense", "units": 64, "activation": "relu"},
                   {"type": "Dense", "units": 32, "activation": "relu"}],
        "training": {"epochs": EPOCHS, "batch_size": BATCH, "learning_rate": 0.001,
                     "early_stopping_patience": 0, "seed": 0}}


CPU = {}  # command's script -> CPU seconds (user + system) of each run, in order


def _run(cmd, cwd) -> float:
    """Wall-clock seconds of one whole process; its CPU seconds go to :data:`CPU` (on a busy
    shared machine the CPU time says more about the work done than the wall clock)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(cmd[1], []).append(after.ru_utime + after.ru_stime
                                      - before.ru_utime - before.ru_stime)
    if r.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{r.stderr[-3000:]}")
    return seconds


def phases(csv: Path) -> dict:
    """Seconds per step of one in-process KwK run (the Job's own phases, timed)."""
    from kwk.data import load
    from kwk.runs.service import DataSource, save_run
    from kwk.spec import normalize
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    steps, last = {}, [None, time.perf_counter()]

    def mark(name):
        now = time.perf_counter()
        if last[0] is not None:
            steps[last[0]] = steps.get(last[0], 0.0) + now - last[1]
        last[0], last[1] = name, now

    mark("reading + preparing")
    ld = load(str(csv))
    p = prepare(ld.df, normalize(json.loads(json.dumps(SPEC))))

    class Timed(Job):
        def _set(self, **kw):
            if kw.get("status") == "running":
                mark("the epochs (model built, fit)")
            if kw.get("phase"):
                mark(kw["phase"])
            super()._set(**kw)

    res = Timed(p, label="bench").run()
    mark("saving the run (bundle + script)")
    with tempfile.TemporaryDirectory() as out:
        save_run(res, DataSource.of(ld, path=str(csv)), out_dir=out)
    mark(None)
    return steps


def labels(rows: int) -> None:
    """The label coercion on the target, vectorised, against the per-value map it replaced."""
    import numpy as np

    from kwk.prep.preprocess import as_labels

    def one(v):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()
    for name, y in (("text", synthetic(rows)["y"]),
                    ("numbers", synthetic(rows)["y"].eq("yes").astype(float))):
        old, new = [], []
        for _ in range(3):
            t = time.perf_counter()
            want = y.map(one, na_action="ignore").astype(object)
            old.append(time.perf_counter() - t)
            t = time.perf_counter()
            got = as_labels(y)
            new.append(time.perf_counter() - t)
        assert got.equals(want)
        record(f"class labels of a {rows:,}-row target ({name}): vectorised as_labels vs the "
               "per-value map it replaced", f"{min(new) * 1000:.0f} ms vs {min(old) * 1000:.0f} ms",
               f"**{min(new) / min(old):.2f}x**")


def reference_threads(rows: int) -> None:
    """The gradient-boosting reference on its default OpenMP threads against one thread (what
    evaluate_prepared uses), interleaved, with TensorFlow loaded in the process as in a run."""
    import numpy as np
    import tensorflow  # noqa: F401  (as in a KwK process: its thread pools are there)
    from threadpoolctl import threadpool_limits

    from kwk.evaluation.metrics import fit_reference_model
    df = synthetic(rows)
    X, y = df.drop(columns="y").to_numpy("float32"), (df["y"] == "yes").to_numpy(int)
    n = int(rows * 0.7)
    times = {"default": [], "one": []}
    outs = {}
    for _ in range(3):
        for key, limit in (("default", None), ("one", 1)):
            with threadpool_limits(limits=limit, user_api="openmp"):
                t = time.perf_counter()
                predict, _ = fit_reference_model("binary", X[:n], y[:n], 2, 0)
                outs[key] = predict(X[n:])
                times[key].append(time.perf_counter() - t)
    assert np.array_equal(outs["default"], outs["one"])
    d, o = min(times["default"]), min(times["one"])
    record(f"gradient-boosting reference ({rows:,}x20, fitted on 20,000 rows): default OpenMP "
           "threads vs one thread (identical predictions)",
           f"default {d:.2f}s (all: {', '.join(f'{x:.1f}' for x in times['default'])}); one "
           f"thread {o:.2f}s (all: {', '.join(f'{x:.1f}' for x in times['one'])})",
           f"**{o / d:.2f}x**")


def whole(rows: int, shape: str, tmp: Path, rounds: int = 3) -> Path:
    """Interleaved whole processes on one shape; records the ratio and returns the CSV."""
    make, script, described = SHAPES[shape]
    csv = tmp / f"{shape}.csv"
    make(rows).to_csv(csv, index=False)
    (tmp / f"hand_{shape}.py").write_text(script)
    (tmp / "spec.json").write_text(json.dumps(SPEC))
    hand, kwk = [], []
    for i in range(rounds):  # interleaved: both see the same machine load
        (tmp / f"h_{shape}{i}").mkdir()
        hand.append(_run([sys.executable, f"hand_{shape}.py", str(csv), f"h_{shape}{i}"], tmp))
        kwk.append(_run([sys.executable, "-m", "kwk", "train", str(csv), "--spec",
                         "spec.json", "--out", f"k_{shape}{i}", "--quiet"], tmp))
    h, k = min(hand), min(kwk)
    hc, kc = min(CPU[f"hand_{shape}.py"][-rounds:]), min(CPU["-m"][-rounds:])
    record(f"whole `python -m kwk train` process vs a whole hand-written Keras script, "
           f"{rows:,}{described}, Dense 64-32, {EPOCHS} epochs, batch {BATCH} (best of "
           f"{rounds}, interleaved)",
           f"hand-written {h:.2f}s (all: {', '.join(f'{x:.1f}' for x in hand)}); KwK "
           f"{k:.2f}s (all: {', '.join(f'{x:.1f}' for x in kwk)}); CPU seconds (least): "
           f"hand-written {hc:.1f}, KwK {kc:.1f}; load average {os.getloadavg()[0]:.1f}",
           f"**{k / h:.2f}x** (goal 1.0x; CPU {kc / hc:.2f}x)")
    return csv


def main(rows: int = 200_000, shapes: tuple = ("numbers", "mixed")) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for shape in shapes:
            csv = whole(rows, shape, tmp)
            if shape == "numbers":
                labels(rows)
                reference_threads(rows)
            steps = phases(csv)
            total = sum(steps.values())
            record(f"where a KwK train's time goes, {rows:,}{SHAPES[shape][2]}, in process "
                   "(the Job's phases)",
                   "; ".join(f"{name} {s:.2f}s" for name, s in steps.items()),
                   f"{total:.1f}s in all (informational)")


if __name__ == "__main__":
    which = sys.argv[2] if len(sys.argv) > 2 else "both"
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
         ("numbers", "mixed") if which == "both" else (which,))
