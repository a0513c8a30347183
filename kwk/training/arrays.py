"""The in-memory feeder: every split's encoded arrays are in memory and ``model.fit`` runs the
epochs (several steps per compiled call, see :func:`kwk.model.builder.steps_per_execution`)."""
from __future__ import annotations

import math
import threading

from kwk import preload
from kwk.prep.prepare import Prepared
from kwk.prep.preprocess import model_input


class Background:
    """``fn(*args)`` computed in a daemon thread; :meth:`result` waits for it and returns its
    value, or raises its error in the caller."""

    def __init__(self, fn, *args, name: str = "kwk-background"):
        self._done = threading.Event()
        self._value, self._error = None, None
        self.thread = threading.Thread(target=self._run, args=(fn, args), name=name, daemon=True)
        self.thread.start()

    def _run(self, fn, args) -> None:
        try:
            preload.wait()  # never import beside a preload (kwk.preload)
            self._value = fn(*args)
        except BaseException as e:  # handed to the caller of result(), which reports it
            self._error = e
        finally:
            self._done.set()

    def result(self):
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


class ArrayFeeder:
    """Feeds ``p.X``/``p.y`` (tables, pictures, look-back windows, texts) to ``model.fit``."""
    note = ""

    def __init__(self, p: Prepared):
        self.batches = max(1, math.ceil(len(p.y["train"]) / p.spec["training"]["batch_size"]))
        self.comparisons: Background | None = None

    def build(self, p: Prepared):
        from kwk.model.builder import build_model, build_training_state, compile_model
        model = build_model(p.spec, p.n_inputs, p.n_classes, adapt=p.X["train"])
        compile_model(model, p.spec, self.batches, fused=True)
        build_training_state(model, p.X["train"], p.y["train"])  # the first step traced once
        return model

    def begin(self, p: Prepared) -> None:
        """Fit the comparison models (they need no network) in a background thread, so they
        run during the epochs instead of after them; :meth:`evaluate` takes their outputs."""
        from kwk.evaluation.metrics import comparison_outputs
        self.comparisons = Background(comparison_outputs, p, name="kwk-comparisons")

    def fit(self, model, p: Prepared, callbacks: list, class_weight: dict | None) -> None:
        tr = p.spec["training"]
        model.fit(model_input(p.X["train"]), p.y["train"],
                  validation_data=(model_input(p.X["validation"]), p.y["validation"]),
                  epochs=tr["epochs"], batch_size=tr["batch_size"], class_weight=class_weight,
                  callbacks=callbacks, verbose=0, shuffle=True)

    def evaluate(self, model, p: Prepared, phase=None) -> tuple[dict, dict, Prepared]:
        from kwk.evaluation.metrics import evaluate_prepared
        ready = self.comparisons.result if self.comparisons is not None else None
        metrics, details = evaluate_prepared(model, p, phase, comparisons=ready)
        return metrics, details, p
