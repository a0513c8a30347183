"""The in-memory feeder: every split's encoded arrays are in memory and ``model.fit`` runs the
epochs (several steps per compiled call, see :func:`kwk.model.builder.steps_per_execution`)."""
from __future__ import annotations

import math

from kwk.prep.prepare import Prepared
from kwk.prep.preprocess import model_input


class ArrayFeeder:
    """Feeds ``p.X``/``p.y`` (tables, pictures, look-back windows, texts) to ``model.fit``."""
    note = ""

    def __init__(self, p: Prepared):
        self.batches = max(1, math.ceil(len(p.y["train"]) / p.spec["training"]["batch_size"]))

    def build(self, p: Prepared):
        from kwk.model.builder import build_model, compile_model
        model = build_model(p.spec, p.n_inputs, p.n_classes, adapt=p.X["train"])
        compile_model(model, p.spec, self.batches, fused=True)
        return model

    def fit(self, model, p: Prepared, callbacks: list, class_weight: dict | None) -> None:
        tr = p.spec["training"]
        model.fit(model_input(p.X["train"]), p.y["train"],
                  validation_data=(model_input(p.X["validation"]), p.y["validation"]),
                  epochs=tr["epochs"], batch_size=tr["batch_size"], class_weight=class_weight,
                  callbacks=callbacks, verbose=0, shuffle=True)

    def evaluate(self, model, p: Prepared, phase=None) -> tuple[dict, dict, Prepared]:
        from kwk.evaluation.metrics import evaluate_prepared
        metrics, details = evaluate_prepared(model, p, phase)
        return metrics, details, p
