"""The optimizer and the training callbacks a spec asks for, described once as plain data.

A *recipe* is a dict ``{"class": "keras.optimizers.SGD", "kwargs": {...}, "comment": "..."}``:
the Keras class path, its keyword arguments and a one-line comment for the generated script.
A keyword value is a plain value, a nested recipe (the learning-rate schedule) or a
:class:`Named` value: one the script writes by name (a settings constant such as
``LEARNING_RATE``, or ``steps_per_epoch``, known only when the script runs).

Two readers, so the app and the generated script cannot train differently:
- :func:`build` (used by :func:`make_callbacks` here and ``kwk.model.builder.make_optimizer``)
  turns a recipe into the Keras object;
- ``kwk.codegen`` writes the same recipe as a line of code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kwk.spec import OPTIMIZERS


@dataclass(frozen=True)
class Named:
    """A value the script writes as ``code`` (a constant or an expression over the script's
    own variables); the builder uses ``value`` (None while the value is only known when the
    script runs, i.e. in recipes made for the generator)."""
    code: str
    value: Any = None


def schedule_recipe(training: dict, steps_per_epoch: int | None = None) -> dict | None:
    """The learning-rate schedule that runs inside the optimizer (exponential or cosine decay,
    stepped once per batch), or None (constant, or reduce-on-plateau, which is a callback).
    ``steps_per_epoch``: batches per epoch; None in the generator, where the script counts them."""
    lr = Named("LEARNING_RATE", training["learning_rate"])
    known = steps_per_epoch is not None
    if training["lr_schedule"] == "exponential":
        return {"class": "keras.optimizers.schedules.ExponentialDecay",
                "kwargs": {"initial_learning_rate": lr,
                           "decay_steps": Named("steps_per_epoch",
                                                max(1, steps_per_epoch) if known else None),
                           "decay_rate": Named("LR_DECAY_RATE", training["lr_decay_rate"])},
                "comment": "The learning rate is multiplied by LR_DECAY_RATE after every epoch."}
    if training["lr_schedule"] == "cosine":
        return {"class": "keras.optimizers.schedules.CosineDecay",
                "kwargs": {"initial_learning_rate": lr,
                           "decay_steps": Named("steps_per_epoch * EPOCHS",
                                                max(1, steps_per_epoch * training["epochs"])
                                                if known else None),
                           "alpha": 0.01},
                "comment": "The learning rate glides down along a cosine curve to 1% by the "
                           "last epoch."}
    return None


def optimizer_recipe(training: dict, steps_per_epoch: int | None = None) -> dict:
    """The optimizer: the spec's algorithm with its learning rate (or schedule, see
    :func:`schedule_recipe`), momentum for SGD and RMSprop, Nesterov for SGD and the weight
    decay when one is set."""
    name = training["optimizer"]
    kw: dict[str, Any] = {"learning_rate": schedule_recipe(training, steps_per_epoch)
                          or Named("LEARNING_RATE", training["learning_rate"])}
    if name in ("sgd", "rmsprop"):
        kw["momentum"] = training["momentum"]
    if name == "sgd":
        kw["nesterov"] = training["nesterov"]
    if training.get("weight_decay") is not None:
        kw["weight_decay"] = training["weight_decay"]
    return {"class": f"keras.optimizers.{OPTIMIZERS[name]}", "kwargs": kw,
            "comment": f"{OPTIMIZERS[name]} adjusts the weights after every batch."}


def callback_recipes(training: dict) -> list[dict]:
    """The spec's callbacks, in order: early stopping (when ``early_stopping_patience`` > 0) and
    the reduce-on-plateau learning-rate schedule. Both watch the validation loss."""
    out = []
    if training["early_stopping_patience"] > 0:
        out.append({"class": "keras.callbacks.EarlyStopping",
                    "kwargs": {"monitor": "val_loss",
                               "patience": training["early_stopping_patience"],
                               "restore_best_weights": training["restore_best_weights"]},
                    "comment": "Stop when the validation loss stops improving."})
    if training["lr_schedule"] == "reduce_on_plateau":
        out.append({"class": "keras.callbacks.ReduceLROnPlateau",
                    "kwargs": {"monitor": "val_loss", "factor": training["lr_plateau_factor"],
                               "patience": training["lr_plateau_patience"]},
                    "comment": "Cut the learning rate when the validation loss stalls."})
    return out


def keras_class(path: str):
    """The Keras class at ``path`` ("keras.optimizers.Adam")."""
    import importlib
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def build(recipe: dict):
    """The Keras object a recipe describes (nested recipes built first). Raises ValueError for
    a :class:`Named` value that is only known when the script runs."""
    kwargs = {}
    for k, v in recipe["kwargs"].items():
        if isinstance(v, dict) and "class" in v:
            v = build(v)
        elif isinstance(v, Named):
            if v.value is None:
                raise ValueError(f"{recipe['class']}: {k} is only known when the script runs")
            v = v.value
        kwargs[k] = v
    return keras_class(recipe["class"])(**kwargs)


def make_callbacks(training: dict) -> list:
    """The spec's callbacks as Keras objects (see :func:`callback_recipes`)."""
    return [build(r) for r in callback_recipes(training)]
