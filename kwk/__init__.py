"""Keras Without Keras: the engine (pure Python; TensorFlow is imported only where needed)."""
import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow C++ chatter off stderr
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # quieter, and bit-for-bit repeatable on CPU
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"
