"""How long one compiled training call really takes with the steps per call KwK picks
(:func:`kwk.model.builder.steps_per_execution`, an estimate of each step's cost): the live
progress moves and Stop is seen after each call, so a call should stay near
``CALL_SECONDS`` (0.1 s). Five networks of the kinds KwK trains: a small dense table network, a
wide dense one, a picture CNN, an LSTM over long windows and an Embedding + bidirectional GRU
over texts. For each: the chosen steps per call, the median and longest call (two epochs
after a warm-up one), and the faster epoch's time against one step per call.

Run: python bench/bench_steps_per_call.py. Appends to bench/RESULTS.md.
"""
import math
import time

import numpy as np
from common import record


def networks():
    import keras
    rng = np.random.default_rng(0)
    L = keras.layers
    yield ("dense 20-64-32, batch 256", keras.Sequential([
        keras.Input((20,)), L.Dense(64, activation="relu"), L.Dense(32, activation="relu"),
        L.Dense(10, activation="softmax")]),
        rng.normal(size=(50_000, 20)).astype("float32"), 256)
    yield ("dense 300-1024-1024, batch 64", keras.Sequential([
        keras.Input((300,)), L.Dense(1024, activation="relu"), L.Dense(1024, activation="relu"),
        L.Dense(10, activation="softmax")]),
        rng.normal(size=(6_400, 300)).astype("float32"), 64)
    yield ("CNN on 28x28 pictures, batch 32", keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
        L.Conv2D(64, 3, activation="relu"), L.Flatten(), L.Dense(10, activation="softmax")]),
        rng.normal(size=(1_600, 28, 28, 1)).astype("float32"), 32)
    yield ("LSTM(64) over 100 steps of 8, batch 32", keras.Sequential([
        keras.Input((100, 8)), L.LSTM(64), L.Dense(10, activation="softmax")]),
        rng.normal(size=(1_600, 100, 8)).astype("float32"), 32)
    yield ("Embedding(64) + Bidirectional GRU(32) over 200 words, batch 32", keras.Sequential([
        keras.Input((200,)), L.Embedding(5_000, 64), L.Bidirectional(L.GRU(32)),
        L.Dense(10, activation="softmax")]),
        rng.integers(0, 5_000, size=(1_600, 200)), 32)


def epoch(model, x, y, batch, spe) -> list[float]:
    """The seconds of each call of one epoch (the faster of two, after a warm-up epoch that
    traces the step). Only the calls are timed: the fit's own set-up of the data (a copy of the
    arrays each ``fit``) happens once per training in KwK, not once per epoch."""
    import keras
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=spe)
    epochs: list[list[float]] = []  # each timed epoch's call seconds

    class Calls(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.t = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            epochs[-1].append(time.perf_counter() - self.t)

    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # traced before the timed epochs
    for _ in range(2):  # the faster of two epochs: the machine is shared
        epochs.append([])
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, callbacks=[Calls()])
    return min(epochs, key=sum)


def main() -> None:
    from kwk.model.builder import CALL_SECONDS, steps_per_execution
    rows, worst = [], 0.0
    for name, model, x, batch in networks():
        y = np.random.default_rng(1).integers(0, 10, len(x))
        steps = math.ceil(len(x) / batch)
        spe = steps_per_execution(model, steps, batch)
        calls = epoch(model, x, y, batch, spe)
        worst = max(worst, max(calls))
        rows.append(f"{name}: {spe} steps per call, calls median {np.median(calls):.3f}s, "
                    f"longest {max(calls):.3f}s, an epoch's calls {sum(calls):.2f}s")
        if spe > 1:
            one = sum(epoch(model, x, y, batch, 1))
            rows[-1] += f" vs {one:.2f}s at 1 step per call ({sum(calls) / one:.2f}x)"
        print(rows[-1], flush=True)
    record(f"seconds one training call takes with the steps per call KwK picks (goal: about "
           f"{CALL_SECONDS}s, so the progress moves and Stop answers)", "; ".join(rows),
           f"**longest call {worst:.3f}s**")


if __name__ == "__main__":
    main()
