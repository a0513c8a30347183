"""Headless multi-worker training (TensorFlow's MultiWorkerMirroredStrategy): two worker
processes on 127.0.0.1 both finish, the chief writes the model, and its scores match a
single-worker run within tolerance."""
import json
import os
import socket
import subprocess
import sys

import pytest

from testutil import ROOT, tiny_spec
from kwk.training.distributed import cluster
from kwk.errors import TrainError


def test_cluster_from_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert cluster() == {"workers": 1, "index": 0, "chief": True}
    two = {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(two))
    assert cluster() == {"workers": 2, "index": 1, "chief": False}
    two["task"]["index"] = 0
    monkeypatch.setenv("TF_CONFIG", json.dumps(two))
    assert cluster()["chief"]
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(TrainError, match="TF_CONFIG is not valid"):
        cluster()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_loopback_workers_match_one(tmp_path, samples_dir):
    data = samples_dir / "breast_cancer.csv"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(tiny_spec("diagnosis", epochs=12, batch_size=16)))
    base = {**os.environ, "PYTHONPATH": str(ROOT)}
    base.pop("TF_CONFIG", None)
    single = subprocess.run([sys.executable, "-m", "kwk", "train", str(data), "--spec", str(spec),
                             "--out", str(tmp_path / "one"), "--quiet", "--distributed"],
                            capture_output=True, text=True, timeout=600, env=base)
    assert single.returncode == 0, single.stderr[-3000:]
    ports = [_free_port(), _free_port()]
    procs = []
    for i in range(2):
        cfg = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
               "task": {"type": "worker", "index": i}}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "kwk", "train", str(data), "--spec", str(spec),
             "--out", str(tmp_path / f"w{i}"), "--quiet", "--distributed"],
            env={**base, "TF_CONFIG": json.dumps(cfg)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    outs = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=600))
    finally:
        for p in procs:
            p.kill()
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    assert (tmp_path / "w0" / "model.keras").exists()  # the chief writes the bundle
    assert not (tmp_path / "w1").exists()  # the other worker writes nothing
    assert "The chief saves the model" in outs[1][1]
    two = json.loads((tmp_path / "w0" / "metrics.json").read_text())
    one = json.loads((tmp_path / "one" / "metrics.json").read_text())
    assert two["distributed"]["workers"] == 2 and one["distributed"]["workers"] == 1
    assert abs(two["test"]["accuracy"] - one["test"]["accuracy"]) <= 0.05
    assert two["test"]["accuracy"] > two["baseline"]["accuracy"] + 0.2
