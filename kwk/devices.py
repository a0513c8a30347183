"""The hardware a model trains on: the GPUs TensorFlow sees, the device that trains, and whether
mixed precision can be used (and the note when it cannot). Asked by the preparation (the note),
the builder (the layers' dtype policy) and the training core (the device it reports); below
them all. TensorFlow is imported inside the functions."""
from __future__ import annotations


def gpus() -> list[dict]:
    """The GPUs TensorFlow sees: ``[{"name", "compute_capability"}]`` (empty on a CPU-only
    machine or a CPU-only TensorFlow)."""
    import tensorflow as tf
    out = []
    for g in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(g) or {}
        except (RuntimeError, ValueError):  # a device TensorFlow cannot describe
            details = {}
        out.append({"name": details.get("device_name") or g.name,
                    "compute_capability": tuple(details.get("compute_capability") or (0, 0))})
    return out


def training_device() -> str:
    """Which device trains: "CPU", or "GPU: <name>" (TensorFlow places the model on the first
    GPU; "(+N more)" when there are others)."""
    found = gpus()
    if not found:
        return "CPU"
    more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
    return f"GPU: {found[0]['name']}{more}"


def mixed_precision_policy(training: dict) -> str | None:
    """"mixed_float16" when the spec asks for mixed precision and the GPU supports it
    (compute capability 7.0 or newer: tensor cores), else None (float32 everywhere)."""
    if not training.get("mixed_precision"):
        return None
    found = gpus()
    return "mixed_float16" if found and found[0]["compute_capability"] >= (7, 0) else None


MIXED_PRECISION_NOTE = ("Mixed precision needs a GPU with compute capability 7.0 or newer; "
                        "none was found, so the model trained in float32.")
