"""The background jobs (issue 31): training's ``Job`` and tuning's ``TuneJob`` share one
lifecycle: they wait in the queue (not counted in their elapsed time), read and write their
state under one lock, keep an unexpected error as the cause of the error they report, and
``wait``/``done`` say when they ended. Every path trains through one ``train_and_assess``; the
in-memory ``--distributed`` path included, so its runs carry bootstrap intervals."""
import json
import threading
import time
import types

import numpy as np
import pandas as pd
import pytest

from tests.testutil import run_cli, tiny_spec


class FakeClock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _regression_frame(n=120, seed=0):
    """y = 3 x1 - 2 x2 + small noise: a line a network learns in a few epochs."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": 3 * x1 - 2 * x2 + rng.normal(0, 0.1, n)})


@pytest.fixture
def tune_job(tmp_path, monkeypatch):
    """``make(gate=None)``: a TuneJob over a small prepared table, on a fake clock that both
    the job and its module's ``time.monotonic`` read."""
    from kwk.runs.service import DataSource
    from kwk.prep.prepare import prepare
    from kwk.tune import job as tj
    clock = FakeClock()
    monkeypatch.setattr(tj, "time", types.SimpleNamespace(monotonic=clock,
                                                          strftime=time.strftime))
    p = prepare(_regression_frame(), tiny_spec("y", epochs=2))
    src = DataSource(name="line.csv", fmt="csv", fingerprint="f" * 16)

    def make(gate=None):
        return tj.TuneJob(p, src, tmp_path, trials=1, minutes=None, gate=gate, clock=clock)
    make.clock = clock
    return make


def _wait_until(cond, what):
    """Wait for a condition another thread makes true (a signal, with a generous cap)."""
    for _ in range(3000):
        if cond():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


class _Holder:
    """Another session's job holding the only slot."""


def test_tunejob_elapsed_counts_from_the_start_of_the_work_not_the_queue(tune_job, monkeypatch):
    from kwk.runs.jobs import Gate
    from kwk.tune.job import TuneJob
    gate, holder = Gate(1), _Holder()
    assert gate.acquire(holder, threading.Event())
    working, finish = threading.Event(), threading.Event()

    def work(self):
        working.set()
        finish.wait(60)
        self._set(status="finished")
    monkeypatch.setattr(TuneJob, "_work", work)
    job = tune_job(gate).start()
    _wait_until(lambda: gate.position(job) == 1, "the job waits in the queue")
    assert job.snapshot()["status"] == "queued" and not job.done
    tune_job.clock.t += 100.0  # 100 s in the queue
    gate.release(holder)
    assert working.wait(60)
    assert job.snapshot()["elapsed"] == pytest.approx(0.0)  # the queue wait is not counted
    tune_job.clock.t += 7.0
    assert job.snapshot()["elapsed"] == pytest.approx(7.0)
    finish.set()
    assert job.wait(60) and job.done
    tune_job.clock.t += 50.0  # an ended job's time stands still
    assert job.snapshot()["elapsed"] == pytest.approx(7.0)


class _GuardedState(dict):
    """A job's state that records every read made without the job's lock held."""

    def __init__(self, data, lock):
        super().__init__(data)
        self.lock, self.unlocked_reads = lock, []

    def __getitem__(self, key):
        if not self.lock.locked():
            self.unlocked_reads.append(key)
        return super().__getitem__(key)


def test_tunejob_stop_reads_its_state_under_the_lock(tune_job):
    job = tune_job()
    job._state = guarded = _GuardedState(job._state, job._lock)
    job.stop()
    assert guarded.unlocked_reads == []
    job.stop()  # the second stop (also the final trainings)
    assert guarded.unlocked_reads == []


def test_tunejob_keeps_the_unexpected_error_as_its_cause(tune_job, monkeypatch):
    from kwk.errors import TrainError
    from kwk.tune.job import TuneJob
    boom = ValueError("a broken trial")

    def work(self):
        raise boom
    monkeypatch.setattr(TuneJob, "_work", work)
    job = tune_job().start()
    assert job.wait(60) and job.done
    s = job.snapshot()
    assert s["status"] == "failed" and "ValueError: a broken trial" in s["message"]
    assert isinstance(job.error, TrainError) and job.error.__cause__ is boom


def test_tunejob_wait_and_done_follow_the_work(tune_job, monkeypatch):
    from kwk.tune.job import TuneJob
    started, finish = threading.Event(), threading.Event()

    def work(self):
        started.set()
        finish.wait(60)
        self._set(status="finished", message="done")
    monkeypatch.setattr(TuneJob, "_work", work)
    job = tune_job()
    assert not job.done and job.snapshot()["status"] == "queued"
    job.start()
    assert started.wait(60)
    assert job.wait(0) is False and not job.done
    finish.set()
    assert job.wait(60) is True and job.done and job.snapshot()["message"] == "done"


def test_a_tunejob_stopped_in_the_queue_never_runs(tune_job, monkeypatch):
    from kwk.runs.jobs import Gate
    from kwk.tune.job import TuneJob
    gate, holder = Gate(1), _Holder()
    assert gate.acquire(holder, threading.Event())
    ran = []
    monkeypatch.setattr(TuneJob, "_work", lambda self: ran.append(1))
    job = tune_job(gate).start()
    _wait_until(lambda: gate.position(job) == 1, "the job waits in the queue")
    job.stop()
    assert job.wait(60) and job.done and ran == []
    s = job.snapshot()
    assert s["status"] == "stopped" and "queue" in s["message"]
    assert gate.position(job) == 0 and gate.running == 1  # only the holder
    gate.release(holder)


def test_training_job_and_tunejob_share_one_base():
    from kwk.background import BackgroundJob
    from kwk.training.job import Job
    from kwk.tune.job import TuneJob
    assert issubclass(Job, BackgroundJob) and issubclass(TuneJob, BackgroundJob)
    for name in ("start", "wait", "done", "snapshot", "_set", "_run"):  # written once
        assert name not in vars(Job) and name not in vars(TuneJob), name


def test_train_and_assess_adds_the_bootstrap_intervals(monkeypatch):
    """One call trains and assesses; its interval of the test R² is the percentile bootstrap of
    the test rows computed here independently with scikit-learn's r2_score."""
    from sklearn.metrics import r2_score

    from kwk.prep.prepare import prepare
    from kwk.training.assess import train_and_assess
    p = prepare(_regression_frame(200), tiny_spec("y", epochs=3, seed=3))
    r = train_and_assess(p)
    y, out = np.asarray(r.details["y"], float), np.asarray(r.details["out"], float).reshape(-1)
    assert r.metrics["test"]["r2"] == pytest.approx(r2_score(y, out), abs=1e-6)
    lo, hi = r.metrics["test_ci"]["r2"]
    assert lo <= r.metrics["test"]["r2"] <= hi
    rng = np.random.default_rng(3)
    n = len(y)
    draws = [r2_score(y[i], out[i]) for i in (rng.choice(n, n) for _ in range(2000))]
    ref = np.quantile(draws, [0.025, 0.975])  # another resampling: agree within its noise
    assert lo == pytest.approx(ref[0], abs=0.05) and hi == pytest.approx(ref[1], abs=0.05)


@pytest.mark.slow
def test_distributed_in_memory_runs_have_bootstrap_intervals(tmp_path):
    """Issue 31: ``kwk train --distributed`` on data in memory never called ``assess``, so its
    run had no ``test_ci``. One local worker (no TF_CONFIG) trains through the multi-worker step.
    (The intervals themselves are checked against scikit-learn in the test above.)"""
    import os
    df = _regression_frame(200, seed=1)
    df.to_csv(tmp_path / "line.csv", index=False)
    (tmp_path / "spec.json").write_text(json.dumps(tiny_spec("y", epochs=3)))
    os.environ.pop("TF_CONFIG", None)
    r = run_cli("train", tmp_path / "line.csv", "--spec", tmp_path / "spec.json", "--out",
                tmp_path / "run", "--quiet", "--distributed")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    ci = m.get("test_ci")
    assert ci and {"rmse", "r2", "mae"} <= set(ci), m.keys()
    for k in ("rmse", "r2", "mae"):
        lo, hi = ci[k]
        assert lo <= m["test"][k] <= hi, (k, lo, m["test"][k], hi)
