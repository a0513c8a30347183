"""Load TensorFlow before the first training needs it.

Importing TensorFlow costs 6-9 s on a small machine, and the first training of a server
process paid it between "Start training" and the first epoch. :func:`warm_up` starts that
import in a background thread once, when the user opens a page that trains (Train, Tune): the
import runs while they read the settings, and a job started meanwhile waits for the same
import (Python's import lock) instead of doing it again. The data pages never start it.
``KWK_WARMUP=0`` turns it off (the benchmark's baseline).
"""
from __future__ import annotations

import os
import sys
import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None


def enabled() -> bool:
    return os.environ.get("KWK_WARMUP", "1").strip().lower() not in ("0", "false", "no")


def warm_up() -> threading.Thread | None:
    """Start importing TensorFlow and Keras in a background thread (once per process); None
    when it is off, already loaded or already started."""
    global _thread
    if not enabled() or "keras" in sys.modules and "tensorflow" in sys.modules:
        return None
    with _lock:
        if _thread is not None:
            return None
        _thread = threading.Thread(target=_load, name="kwk-warmup", daemon=True)
        _thread.start()
        return _thread


def _load() -> None:
    try:
        import keras  # noqa: F401
        import tensorflow as tf
        tf.constant(0.0) + 1.0  # the runtime and its CPU kernels, once
    except Exception:  # the training that needs it reports any problem itself
        pass
