"""Streaming and multi-worker training together (``train --stream --distributed``): each worker
reads its own share of a folder of Parquet files, the split and the statistics do not depend on
the number of workers, the scores are combined exactly, memory stays bounded per worker, and a
lost or late worker is reported instead of hanging."""
import json
import os
import pickle
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from kwk.data.chunks import ChunkReader
from kwk.errors import DataError
from kwk.data.sampling import Reservoir
from kwk.prep.streamed import merge_reservoirs, plan
from kwk.training.stream import batches
from testutil import ROOT

SPEC = {"data": {"target": "y", "features": ["x0", "x1", "x2", "x3", "seg", "when"]},
        "layers": [{"type": "Dense", "units": 16}],
        "training": {"epochs": 3, "batch_size": 128, "learning_rate": 0.01}}


def table(n, seed=1, note=0):
    """A binary task; ``note`` adds an unused text column of that many characters per row (to
    make rows heavy in memory without making training slower)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    seg = rng.choice(["a", "b", "c"], n)
    logit = 1.5 * X[:, 0] - X[:, 1] + (seg == "a")
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    df.loc[rng.random(n) < 0.05, "x2"] = np.nan
    df["seg"] = seg
    df["when"] = (pd.Timestamp("2024-01-01")
                  + pd.to_timedelta(rng.integers(0, 400, n), unit="D")).strftime("%Y-%m-%d")
    df["y"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    if note:
        letters = rng.integers(ord("a"), ord("z") + 1, (n, note), dtype=np.uint8)
        df["note"] = letters.view(f"S{note}").ravel().astype(str)
    return df


def write_folder(df, folder, files, fmt="parquet", row_group_size=300):
    folder.mkdir(parents=True, exist_ok=True)
    for i, part in enumerate(np.array_split(np.arange(len(df)), files)):
        rows = df.iloc[part]
        if fmt == "parquet":
            rows.to_parquet(folder / f"part-{i:03d}.parquet", row_group_size=row_group_size)
        else:
            rows.to_csv(folder / f"part-{i:03d}.csv", index=False)
    return folder


# ---------------------------------------------------------------------- shares and splits
def test_shares_cover_the_data_once(tmp_path):
    df = table(3000)
    df.to_parquet(tmp_path / "one.parquet", row_group_size=333)
    write_folder(df, tmp_path / "pq", 3)
    write_folder(df, tmp_path / "csv", 3, fmt="csv")
    (tmp_path / "pq" / "_SUCCESS").write_text("")  # a Spark marker is not data
    for path in (tmp_path / "one.parquet", tmp_path / "pq", str(tmp_path / "csv" / "*.csv")):
        reader = ChunkReader(path, 250)
        whole = {(f, c): tuple(d["x0"]) for f, c, d in reader.keyed_chunks()}
        assert sum(map(len, whole.values())) == len(df)
        for workers in (2, 3, 4):
            got = {}
            for i in range(workers):
                share = reader.shard(i, workers)
                if len(reader.files) >= workers:  # whole files
                    assert all(u[1:] == (0, None, 1, 0) for u in share.units)
                mine = {(f, c): tuple(d["x0"]) for f, c, d in share.keyed_chunks()}
                assert mine and not set(mine) & set(got)
                got.update(mine)
            assert got == whole, (path, workers)
    with pytest.raises(DataError, match="too few for 4 workers"):
        ChunkReader(tmp_path / "one.parquet", 1000).shard(0, 4)
    with pytest.raises(DataError, match="no Parquet files"):
        (tmp_path / "empty").mkdir()
        ChunkReader(tmp_path / "empty")
    with pytest.raises(DataError, match="No file matches"):
        ChunkReader(str(tmp_path / "nothing-*.parquet"))


class FakeCluster:
    """Workers as threads whose exchange is an all-gather through a barrier; each worker gets
    copies of the others' objects, as over the network."""

    def __init__(self, n):
        self.n, self.slots, self.barrier = n, [None] * n, threading.Barrier(n)

    def exchange(self, i):
        def allgather(obj):
            self.slots[i] = pickle.dumps(obj)
            self.barrier.wait()
            out = [obj if w == i else pickle.loads(b) for w, b in enumerate(self.slots)]
            self.barrier.wait()
            return out
        return allgather

    def run(self, fn):
        out, errors = [None] * self.n, []

        def work(i):
            try:
                out[i] = fn(i, self.exchange(i))
            except BaseException as e:  # noqa: BLE001 (re-raised below)
                errors.append(e)
                self.barrier.abort()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(self.n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return out


def _plans(reader, workers):
    """The plan each of ``workers`` workers makes (their exchange simulated in-process)."""
    if workers == 1:
        return [plan(reader, SPEC)]
    return FakeCluster(workers).run(lambda i, ex: plan(reader.shard(i, workers), SPEC, ex))


def _rows_by_role(plans):
    return {role: sorted(np.concatenate([r for p in plans for _, _, r in
                                         batches(p, role, 10_000, with_rows=True)]).tolist())
            for role in (0, 1, 2)}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_split_and_statistics_do_not_depend_on_the_number_of_workers(tmp_path, fmt, monkeypatch):
    monkeypatch.setattr("kwk.prep.streamed.RESERVOIR", 500)  # the simple model's first rows
    df = table(3000)
    write_folder(df, tmp_path / "d", 3, fmt=fmt)
    reader = ChunkReader(tmp_path / "d" if fmt == "parquet" else str(tmp_path / "d" / "*.csv"), 250)
    one = _plans(reader, 1)
    ref_rows = _rows_by_role(one)
    assert sum(map(len, ref_rows.values())) == len(df)  # global row numbers, each row once
    for workers in (2, 4):
        plans = _plans(reader, workers)
        for p in plans:
            assert p.counts == one[0].counts
            assert p.class_counts == one[0].class_counts
            assert p.extra["shard_counts"] and len(p.extra["shard_counts"]) == workers
            pd.testing.assert_frame_equal(p.disk.sample_rows, one[0].disk.sample_rows)
            for got, want in zip(p.pre.state["columns"], one[0].pre.state["columns"]):
                assert got.keys() == want.keys() and got["name"] == want["name"]
                for k, v in want.items():
                    if isinstance(v, float):  # sums added in another order: rounding only
                        assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-12), (got, want)
                    elif k == "parts":
                        for part, st in v.items():
                            assert got[k][part] == pytest.approx(st, rel=1e-12)
                    else:
                        assert got[k] == v
            assert p.pre.state["target"] == one[0].pre.state["target"]
        assert _rows_by_role(plans) == ref_rows  # the same rows in train, validation, test
    # the same split as one machine streaming the folder (no --distributed at all)
    assert plan(reader, SPEC).counts == one[0].counts


def test_merged_samples_are_exact_when_small_and_uniform_when_not():
    a, b = Reservoir(1000, 1), Reservoir(1000, 2)
    a.add(np.arange(300.0))
    b.add(np.arange(300.0, 500.0))
    small = merge_reservoirs([a, b], 0)
    assert sorted(small.sample) == list(np.arange(500.0)) and not small.full
    a, b = Reservoir(1000, 1), Reservoir(1000, 2)
    a.add(np.zeros(30_000))  # three quarters of the values are 0, one quarter 1
    b.add(np.ones(10_000))
    big = merge_reservoirs([a, b], 0)
    assert len(big.sample) == 1000 and big.seen == 40_000 and big.full
    assert 0.2 < big.sample.mean() < 0.3


@pytest.mark.parametrize("task,k", [("binary", 2), ("multiclass", 3), ("regression", 0)])
def test_exact_test_sums_give_the_same_metrics(task, k):
    from kwk.evaluation.metrics import metrics_for
    from kwk.training.distributed import _ExactKeep, exact_metrics
    rng = np.random.default_rng(0)
    classes = [f"c{i}" for i in range(k)]
    keeps = [_ExactKeep(Reservoir(10_000, i), task, k) for i in range(3)]
    ys, outs = [], []
    for keep in keeps:  # three workers' test rows
        n = int(rng.integers(100, 400))
        y = rng.normal(size=n) if task == "regression" else rng.integers(0, k, n)
        out = y + rng.normal(size=n) if task == "regression" else rng.dirichlet(np.ones(k), n)
        keep.add(y=y, out=out, rows=np.arange(n))
        ys.append(y)
        outs.append(out)
    sums = sum(keep.sums for keep in keeps)
    want = metrics_for(task, np.concatenate(ys), np.concatenate(outs), classes)
    got = exact_metrics(task, sums, classes)
    for key, v in got.items():
        if isinstance(v, float):
            assert v == pytest.approx(want[key], rel=1e-9), key
        elif key == "per_class":
            for c in classes:
                assert v[c] == pytest.approx(want[key][c], rel=1e-9)
        else:
            assert v == want[key], key


# ---------------------------------------------------------------------- a folder as data path
def test_a_folder_or_a_glob_is_a_data_path(tmp_path, capsys):
    from kwk.cli import main
    df = table(2400)
    write_folder(df, tmp_path / "d", 4)
    (tmp_path / "s.json").write_text(json.dumps(SPEC))
    assert main(["profile", str(tmp_path / "d"), "--target", "y"]) == 0
    prof = json.loads(capsys.readouterr().out)
    assert prof["rows"] == len(df) and "4 files" in prof["name"]
    assert main(["profile", str(tmp_path / "d" / "*.parquet"), "--stream",
                 "--chunk-rows", "500"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == len(df)
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "d"), "--spec", str(tmp_path / "s.json"), "--out",
                 str(out), "--stream", "--chunk-rows", "300", "--quiet"]) == 0
    assert main(["predict", str(out), str(tmp_path / "d" / "part-00[01].parquet"), "--out",
                 str(tmp_path / "p.csv")]) == 0
    pred = pd.read_csv(tmp_path / "p.csv")
    assert len(pred) == 1200
    assert main(["profile", str(tmp_path / "d" / "*.xlsx")]) == 2
    assert "No file matches" in capsys.readouterr().err


# ---------------------------------------------------------------------- real workers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")


def _env(**extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
           "KWK_STREAM_EVAL_ROWS": "5000"}
    env.pop("TF_CONFIG", None)
    return {**env, **extra}


def start_workers(n, args, cwd, peak=True, only=None, **extra):
    """``n`` workers on 127.0.0.1 running ``python -m kwk ARGS`` (``{i}`` in an argument is
    the worker's index), each under a wrapper that prints its peak memory (KB) last (unless
    ``peak`` is False). ``only``: start only these workers."""
    ports = [_free_port() for _ in range(n)]
    procs = []
    for i in (range(n) if only is None else only):
        cfg = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
               "task": {"type": "worker", "index": i}}
        procs.append(subprocess.Popen(
            [sys.executable, *(["-c", _PEAK, sys.executable] if peak else []), "-m", "kwk",
             *[str(a).replace("{i}", str(i)) for a in args]],
            cwd=cwd, env=_env(TF_CONFIG=json.dumps(cfg), **extra), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    return procs, ports


def finish(procs, timeout=400):
    outs = []
    try:
        for p in procs:
            outs.append(p.communicate(timeout=timeout))
    finally:
        for p in procs:
            p.kill()
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    return [int(out.strip().splitlines()[-1]) for out, _ in outs], [err for _, err in outs]


def _train_args(data, out, chunk=2000, spec="s.json"):
    return ["train", data, "--spec", spec, "--out", out, "--stream", "--distributed",
            "--chunk-rows", str(chunk), "--quiet"]


WORKER_NOISE_KB = 30_000  # a worker's peak from run to run, same data (docs/scaling.md)


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    """Two folders of the same kind of rows, one 4x larger, with a heavy unused text column
    (6,400 characters a row: the larger folder holds about 620 MB more in pandas, a worker's
    share of it 200-300 MB against a run-to-run noise of 20-30 MB): what grows with the data
    is easy to see in memory, training stays quick. The smaller one
    already fills the fixed-size samples (the simple model's first 20,000 training rows, the
    median samples), so only what depends on the data's size could differ."""
    root = tmp_path_factory.mktemp("scale")
    spec = {**SPEC, "training": {**SPEC["training"], "epochs": 2, "batch_size": 512}}
    (root / "s.json").write_text(json.dumps(spec))
    sizes = {}
    for name, n in (("small", 32_000), ("large", 128_000)):
        df = table(n, note=6400)
        sizes[name] = df.memory_usage(deep=True).sum() / 1024
        write_folder(df, root / name, 6, row_group_size=2000)
    return root, sizes


@pytest.mark.slow
def test_two_and_three_workers_stream_their_shares_with_bounded_memory(heavy):
    """Each worker's peak memory does not grow with the data (a 4x larger folder: far less
    than its share of the extra rows), the chief's scores match one machine streaming the same
    folder, with the same split, and the bundle predicts."""
    root, sizes = heavy
    one = subprocess.run([sys.executable, "-m", "kwk", "train", "large", "--spec", "s.json",
                          "--out", "one", "--stream", "--chunk-rows", "2000", "--quiet"],
                         cwd=root, env=_env(), capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr[-3000:]
    small, peaks = {}, {}
    for n in (2, 3):  # the fixed cost of n workers: the same command on the smaller folder
        small[n], _ = finish(start_workers(n, _train_args("small", f"s{n}"), root)[0])
        peaks[n], errs = finish(start_workers(n, _train_args("large", f"w{n}"), root)[0])
        assert all("The chief saves the model" in e for e in errs[1:]), [e[-600:] for e in errs]
        assert not any((root / f"w{n}").glob("*/")) and (root / f"w{n}" / "model.keras").exists()
    extra = sizes["large"] - sizes["small"]  # KB the 4x larger folder adds in pandas
    print("peak KB: small", small, "large", peaks, "extra rows in pandas (KB):", round(extra))
    for n, got in peaks.items():
        # Holding its share of the extra rows would add at least extra / n to a worker's peak;
        # the peak varies by about 20-30 MB from run to run (TensorFlow, gRPC threads; more on
        # a busy machine: WORKER_NOISE_KB). Half the share is the allowance, several times the
        # noise, so a worker that held its rows fails by a wide margin and noise never does.
        allowed = 0.5 * extra / n
        assert allowed > 3 * WORKER_NOISE_KB, (n, extra, "the signal must dwarf the noise")
        for kb in got:
            assert kb - max(small[n]) < allowed, (n, got, small[n], extra)
    ref = json.loads((root / "one" / "metrics.json").read_text())
    pre = json.loads((root / "one" / "preprocess.json").read_text())
    for n in (2, 3):
        m = json.loads((root / f"w{n}" / "metrics.json").read_text())
        assert m["distributed"]["workers"] == n and m["distributed"]["streamed_shards"]
        assert m["n_test_total"] == ref["n_test_total"]  # the same split
        assert m["streamed"]["rows"] == ref["streamed"]["rows"]
        assert abs(m["test"]["accuracy"] - ref["test"]["accuracy"]) <= 0.03
        assert m["test"]["accuracy"] > m["baseline"]["accuracy"] + 0.1
        got = json.loads((root / f"w{n}" / "preprocess.json").read_text())
        for a, b in zip(got["columns"], pre["columns"]):
            if a["kind"] == "numeric":  # exact means and spreads; medians from samples
                assert a["fill"] == pytest.approx(b["fill"], abs=0.05)
                near = 0.01 if a["name"] == "x2" else 1e-12  # x2's missing values: filled
                assert a["mean"] == pytest.approx(b["mean"], rel=1e-9, abs=near)
                assert a["std"] == pytest.approx(b["std"], rel=1e-9, abs=near)
            elif a["kind"] == "categorical":
                assert a["categories"] == b["categories"]
    from kwk.runs.bundle import load_bundle
    b = load_bundle(root / "w3")
    rows = pd.read_parquet(root / "large" / "part-005.parquet").head(500)
    pred = b.predict(rows)
    assert len(pred) == 500 and (pred["prediction"] == rows["y"].values).mean() > 0.65


@pytest.mark.slow
def test_a_killed_worker_is_reported_not_a_hang(heavy, tmp_path):
    root, _ = heavy
    spec = {**SPEC, "training": {**SPEC["training"], "epochs": 50, "batch_size": 64}}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    procs, ports = start_workers(2, ["train", str(root / "small"), "--spec", "s.json", "--out",
                                     "out", "--stream", "--distributed", "--chunk-rows", "2000"],
                                 tmp_path, peak=False)
    seen = []

    def watch():  # the chief's notes come after the shared pass: then training starts
        for line in procs[0].stderr:
            seen.append(line)
    threading.Thread(target=watch, daemon=True).start()
    t0 = time.monotonic()
    while not any("note: Statistics were computed" in line for line in seen):
        assert time.monotonic() - t0 < 300 and procs[0].poll() is None, "".join(seen)[-2000:]
        time.sleep(0.2)
    time.sleep(2)
    procs[1].kill()
    t1 = time.monotonic()
    try:
        procs[0].wait(timeout=120)
    finally:
        for p in procs:
            p.kill()
    time.sleep(0.5)
    text = "".join(seen)
    assert procs[0].returncode == 2, text[-2000:]
    assert f"worker 1 (127.0.0.1:{ports[1]}) stopped responding" in text
    print("reported after", round(time.monotonic() - t1), "s")
    assert not (tmp_path / "out" / "model.keras").exists()


@pytest.mark.slow
def test_a_worker_that_does_not_start_is_refused_after_the_wait(heavy, tmp_path):
    root, _ = heavy
    procs, ports = start_workers(2, _train_args(str(root / "small"), "out",
                                                spec=str(root / "s.json")), tmp_path,
                                 peak=False, only=[0], KWK_WORKER_WAIT="5")  # 1 never starts
    _, err = procs[0].communicate(timeout=120)
    assert procs[0].returncode != 0
    assert "Not every worker started within 5 s" in err
    assert f"worker 1 (127.0.0.1:{ports[1]}) did not join" in err  # refused, not left hanging
    # (the communicate timeout above is the hang guard; no assertion on the seconds it took)
