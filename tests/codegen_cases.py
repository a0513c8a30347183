"""Resolved specs for every kind of script the generator writes: one small frame per modality
(table, series, text, images), split by holdout or by a column, with any training settings.
Shared by the template tests (tests/test_codegen_render.py)."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

MODALITIES = ("table", "table_regression", "series", "series_change", "text", "images")
SPLITS = ("holdout", "column")

_LAYERS = {
    "table": [{"type": "Dense", "units": 8, "activation": "relu"}, {"type": "Dropout", "rate": 0.1}],
    "table_regression": [{"type": "Dense", "units": 8, "activation": "relu"}],
    "series": [{"type": "GRU", "units": 4}],
    "series_change": [{"type": "GRU", "units": 4}],
    "text": [{"type": "Embedding", "input_dim": 50, "output_dim": 4},
             {"type": "GlobalAveragePooling1D"}],
    "images": [{"type": "Conv2D", "filters": 2, "kernel_size": 3}, {"type": "Flatten"}],
}


@functools.lru_cache(maxsize=None)
def frame(modality: str) -> pd.DataFrame:
    """A small frame of one modality, with a ``role`` column (train / validation / test)."""
    rng = np.random.default_rng(0)
    n = 60
    if modality.startswith("table"):
        df = pd.DataFrame({"x": rng.normal(size=n), "colour": rng.choice(["red", "blue"], n),
                           "when": pd.date_range("2024-01-01", periods=n).astype(str),
                           "flag": rng.choice([True, False], n),
                           "y": rng.choice(["a", "b", "c"], n) if modality == "table"
                           else rng.normal(size=n)})
    elif modality.startswith("series"):
        df = pd.DataFrame({"t": np.tile(np.arange(n // 2), 2), "shop": np.repeat(["A", "B"], n // 2),
                           "temp": rng.normal(size=n), "y": rng.normal(size=n)})
    elif modality == "text":
        df = pd.DataFrame({"words": [f"word{i % 7} other{i % 3}" for i in range(n)],
                           "y": rng.choice(["sport", "news"], n)})
    else:
        df = pd.DataFrame(rng.integers(0, 255, (n, 64)), columns=[f"px_{i}" for i in range(64)])
        df["y"] = rng.choice(["0", "1", "2"], n)
    df["role"] = np.resize(["train", "train", "validation", "test"], n)
    return df


def spec_for(modality: str, split: str = "holdout", **training) -> dict:
    """A resolved spec (``kwk.spec.resolve``) for ``modality`` and ``split``."""
    from kwk.spec import resolve
    data: dict = {"target": "y"}
    if modality.startswith("series"):
        data["sequence"] = {"time": "t", "group": "shop", "window": 3, "horizon": 1,
                            "predict": "change" if modality == "series_change" else "value"}
        data["features"] = ["y", "temp"]
    elif modality == "text":
        data["text"] = {"max_tokens": 50, "sequence_length": 4}
    elif modality == "images":
        data["image_shape"] = [8, 8, 1]
    if split == "column":
        data["validation_column"] = "role"
    spec = {"data": data, "layers": _LAYERS[modality],
            "training": {"epochs": 3, "validation": split, **training}}
    df = frame(modality)
    return resolve(spec, df if split == "column" else df.drop(columns="role"))[0]
