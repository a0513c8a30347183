"""Learning curves a person can read: the training loss said in the target's own units.

The network trains on a standardised target (regression) and reports its loss on that scale, so
"validation loss 0.18" means nothing beside Evaluate's "RMSE 1.4". :func:`readable_loss` turns
the loss history into the error in the target's units where the loss allows it (squared or
absolute error), and names the loss otherwise.
"""
from __future__ import annotations

import math


def readable_loss(history: dict, spec: dict, target_state: dict) -> tuple[str, str, dict]:
    """``(name, label, {"loss": [...], "val_loss": [...]})``: the loss curves in readable units,
    with a short name ("RMSE") and a label that says the units ("RMSE in price's units").

    Regression with mean squared error becomes the RMSE in the target's units (square root of
    the loss times the training target's standard deviation); mean absolute error becomes the
    MAE in those units; other losses keep their value and say that it is on the standardised
    target. Classification losses are the log loss (cross-entropy), as on Evaluate."""
    from kwk.spec import loss_name
    loss = loss_name(spec)
    target = spec["data"]["target"]
    curves = {k: list(history.get(k) or []) for k in ("loss", "val_loss")}
    if spec["data"]["task"] != "regression":
        name = "log loss" if "crossentropy" in loss else loss.replace("_", " ")
        return name, f"{name} (lower is better)", curves
    std = float(target_state.get("std") or 1.0)
    if loss in ("mean_squared_error", "mse"):
        def to_units(v):
            return math.sqrt(max(v, 0.0)) * std
        name, label = "RMSE", f"RMSE in {target}'s units"
    elif loss in ("mean_absolute_error", "mae"):
        def to_units(v):
            return v * std
        name, label = "MAE", f"MAE in {target}'s units"
    else:
        name = loss.replace("_", " ")
        return name, f"{name} (on the standardised {target})", curves
    if target_state.get("transform"):  # learned on the log (data.target_transform)
        label = f"{name} of {target_state['transform']}({target})"
    return name, label, {k: [None if v is None else to_units(v) for v in vals]
                   for k, vals in curves.items()}
