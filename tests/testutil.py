"""Helpers shared by the engine tests."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tiny_spec(target, task="auto", epochs=3, **training):
    return {"kwk_spec": 1, "data": {"target": target, "task": task},
            "layers": [{"type": "Dense", "units": 8, "activation": "relu"}],
            "training": {"epochs": epochs, "batch_size": 32, "learning_rate": 0.01,
                         "early_stopping_patience": 0, **training}}


def run_cli(*args, cwd=None, timeout=300):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kwk", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)
