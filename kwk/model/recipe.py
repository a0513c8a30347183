"""The optimizer and the training callbacks a spec asks for.

Read by the builder (``kwk.model.builder``), the training core (``kwk.training``) and the code
generator (``kwk.codegen``), so the app and the generated script cannot train differently.
"""
from __future__ import annotations


def make_callbacks(training: dict) -> list:
    """The spec's callbacks, in order: early stopping (when ``early_stopping_patience`` > 0) and
    the reduce-on-plateau learning-rate schedule. Both watch the validation loss."""
    import keras
    out = []
    if training["early_stopping_patience"] > 0:
        out.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=training["early_stopping_patience"],
            restore_best_weights=training["restore_best_weights"]))
    if training["lr_schedule"] == "reduce_on_plateau":
        out.append(keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=training["lr_plateau_factor"],
            patience=training["lr_plateau_patience"]))
    return out
