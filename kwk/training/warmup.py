"""Load TensorFlow before the first training needs it.

Importing TensorFlow costs 6-9 s on a small machine, and the first training of a server
process paid it between "Start training" and the first epoch. :func:`warm_up` starts that
import in a background thread once, when the user opens a page that trains (Train, Tune): the
import runs while they read the settings, and a job started meanwhile waits for the same
import (:func:`kwk.preload.wait`) instead of importing beside it. The data pages never start it.
``KWK_WARMUP=0`` turns it off (the benchmark's baseline).
"""
from __future__ import annotations

import os
import sys
import threading

from kwk import preload


def enabled() -> bool:
    return os.environ.get("KWK_WARMUP", "1").strip().lower() not in ("0", "false", "no")


def warm_up() -> threading.Thread | None:
    """Start importing TensorFlow and Keras in a background thread (once per process, after
    the preloads already under way: :mod:`kwk.preload`); None when it is off, already loaded or
    already started."""
    if not enabled() or "keras" in sys.modules and "tensorflow" in sys.modules:
        return None
    return preload.start(_load, "kwk-warmup", once="tensorflow")


def _load() -> None:  # a failure is left to the training that needs it, which reports it
    import keras  # noqa: F401
    import tensorflow as tf
    tf.constant(0.0) + 1.0  # the runtime and its CPU kernels, once
