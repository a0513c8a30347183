"""Speed work (issue 20) that must not change results: the vectorised label coercion, the
training phases reported after the last epoch, and the device a run trained on."""
from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from kwk.prep.preprocess import as_labels


def reference_labels(s: pd.Series) -> pd.Series:
    """``as_labels`` as it was before it was vectorised: one Python call per value."""
    def one(v):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v).strip()
    return s.map(one, na_action="ignore").astype(object)


def _mixed(rng, n):
    pool = [1, 2.0, 2.5, -0.0, " a ", "b", True, False, None, np.nan, pd.NA, np.float32(0.1),
            np.int64(7), 1e20, float("inf"), "", "  ", decimal.Decimal("1.50"), 3 + 0j,
            dt.date(2020, 1, 2), pd.Timestamp("2021-05-06 07:08"), b"x", 10 ** 30, "1.0"]
    return pd.Series([pool[i] for i in rng.integers(0, len(pool), n)], dtype=object)


def _series(seed: int) -> list[pd.Series]:
    rng = np.random.default_rng(seed)
    n = 300
    floats = rng.normal(0, 10 ** rng.integers(-6, 20), n)
    some = rng.random(n) < 0.3
    floats[some] = np.round(floats[some])
    whole = np.round(rng.normal(0, 1e6, n))
    nan_mask = rng.random(n) < 0.1
    with_nan = np.where(nan_mask, np.nan, np.concatenate([floats[: n // 2], whole[n // 2:]]))
    words = np.array([" yes", "no ", "Maybe", "1", "1.0", "", " "], dtype=object)
    text = words[rng.integers(0, len(words), n)]
    text_missing = np.where(rng.random(n) < 0.1, None, text)
    ints = rng.integers(-1000, 1000, n)
    return [
        pd.Series(with_nan),
        pd.Series(with_nan.astype(np.float32)),
        pd.Series(whole),
        pd.Series([np.inf, -np.inf, np.nan, 1e300, -1e19, 2.0 ** 62, 2.0 ** 63, 0.1, 1e-5, 5e-324]),
        pd.Series(ints),
        pd.Series(ints.astype(np.uint16)),
        pd.Series(pd.array(np.where(nan_mask, None, ints), dtype="Int64")),
        pd.Series(pd.array(np.where(nan_mask, None, with_nan), dtype="Float64")),
        pd.Series(rng.random(n) < 0.5),
        pd.Series(pd.array(np.where(nan_mask, None, rng.random(n) < 0.5), dtype="boolean")),
        pd.Series(text_missing),                       # str dtype (pandas 3) with missing
        pd.Series(text_missing, dtype=object),
        pd.Series(text_missing, dtype="string"),
        pd.Series(text_missing).astype("category"),
        pd.Series(with_nan).astype("category"),
        pd.Series(pd.to_datetime(["2020-01-01 00:00", None, "2021-02-03 04:05"])),
        pd.Series(pd.to_timedelta(["1 day", None])),
        _mixed(rng, n),
        _mixed(rng, n).astype("category"),
        pd.Series([1, " a", 2.0, None, "b "], dtype=object).astype("category"),
        pd.Series(pd.period_range("2020-01", periods=3, freq="M")),
        pd.Series(pd.to_datetime(["2020-01-01", None]).tz_localize("UTC")),
        pd.Series([1, 2.5, None], dtype=object),
        pd.Series([True, False, None], dtype=object),
        pd.Series([None, None], dtype=object),
        pd.Series([], dtype=float),
        pd.Series([], dtype=object),
        pd.Series(["a", "b"], index=[10, 3], name="target"),
    ]


@pytest.mark.parametrize("seed", range(5))
def test_as_labels_matches_the_per_value_reference(seed):
    for s in _series(seed):
        got, want = as_labels(s), reference_labels(s)
        assert got.dtype == object and want.dtype == object
        assert got.index.equals(s.index) and got.name == s.name
        assert got.isna().tolist() == want.isna().tolist(), s.dtype
        assert got[want.notna()].tolist() == want[want.notna()].tolist(), (s.dtype, s.tolist()[:20])
        if s.dtype != object:  # the same missing marker (NaN, NA or NaT) as before; an
            # object column keeps its own (the old map turned None into NaN only sometimes)
            gaps = want.isna()
            assert [type(v) for v in got[gaps]] == [type(v) for v in want[gaps]], s.dtype


def _python_calls(fn, *args) -> int:
    """How many Python-level calls (functions and builtins called from Python) ``fn`` makes:
    a count, not a time, so a busy machine cannot change it."""
    import sys
    calls = [0]

    def count(frame, event, arg):
        if event in ("call", "c_call"):
            calls[0] += 1
    sys.setprofile(count)
    try:
        fn(*args)
    finally:
        sys.setprofile(None)
    return calls[0]


def test_as_labels_is_vectorised_for_a_numeric_target():
    """200,000 float labels take a few array operations, not one Python call per value: the
    number of calls does not grow with the rows (the per-value reference makes one or more
    per row)."""
    rng = np.random.default_rng(0)
    small, big = (pd.Series(rng.integers(0, 5, n).astype(float)) for n in (2_000, 200_000))
    assert as_labels(big).equals(reference_labels(big))
    assert _python_calls(reference_labels, big) > 200_000  # the counter sees per-row calls
    few, many = _python_calls(as_labels, small), _python_calls(as_labels, big)
    assert many < 5_000 and many < few + 500, (few, many)


# ------------------------------------------------------------------ phases after the epochs
def _table(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 4))
    return pd.DataFrame({**{f"x{i}": X[:, i] for i in range(4)},
                         "y": np.where(X[:, 0] - X[:, 1] > 0, "yes", "no")})


@pytest.fixture(scope="module")
def finished_job():
    """A tiny job run as the Train page runs it (with a save at the end), its phases recorded."""
    from testutil import tiny_spec
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    prep = prepare(_table(), tiny_spec("y", epochs=2))
    phases = []

    class Recording(Job):
        def _set(self, **kw):
            if "phase" in kw:
                phases.append(kw["phase"])
            super()._set(**kw)

    def on_finish(result):
        from kwk.runs.bundle import run_record
        return run_record(result, "t.csv", "f")
    job = Recording(prep, label="t", on_finish=on_finish)
    job.run()
    return job, phases


def test_every_step_after_the_epochs_has_a_phase(finished_job):
    job, phases = finished_job
    named = [p for p in phases if p]
    for step in ("Scoring the test rows", "Fitting the comparison models",
                 "Bootstrap intervals", "Saving the run"):
        assert step in named, phases
    assert named.index("Scoring the test rows") < named.index("Fitting the comparison models") \
        < named.index("Bootstrap intervals") < named.index("Saving the run")
    assert job.snapshot()["phase"] == "" and job.snapshot()["status"] == "finished"


def test_the_cli_progress_line_says_what_runs_after_the_epochs():
    from kwk.cli import _bar
    s = {"epoch": 5, "epochs": 5, "batch": 0, "batches": 10, "history": {"loss": [0.5]},
         "elapsed": 12.0, "eta": 0.0, "phase": "Fitting the comparison models"}
    line = _bar(s)
    assert "epoch 5/5" in line and "Fitting the comparison models…" in line and "12s" in line
    assert "loss=" in _bar({**s, "phase": ""})


def test_the_run_records_the_device_that_trained(finished_job):
    from kwk.model.builder import training_device
    job, _ = finished_job
    device = training_device()
    assert device == "CPU" or device.startswith("GPU: ")
    assert job.result.device == device and job.finish_value["device"] == device


def test_mixed_precision_is_ignored_with_a_note_without_a_gpu_and_changes_nothing():
    from testutil import tiny_spec
    from kwk.model.builder import MIXED_PRECISION_NOTE, gpus, uses_mixed_precision
    from kwk.prep.prepare import prepare
    from kwk.training.arrays import ArrayFeeder
    if gpus():
        pytest.skip("this machine has a GPU")
    plain = prepare(_table(), tiny_spec("y", epochs=1))
    mixed = prepare(_table(), tiny_spec("y", epochs=1, mixed_precision=True))
    assert MIXED_PRECISION_NOTE in mixed.notes and MIXED_PRECISION_NOTE not in plain.notes
    assert plain.spec["training"]["mixed_precision"] is False  # the default
    model = ArrayFeeder(mixed).build(mixed)
    assert not uses_mixed_precision(model)


def test_mixed_precision_sets_each_layer_and_keeps_the_output_float32(monkeypatch):
    """Where a GPU supports it: float16 maths in the hidden layers only (no global policy,
    which would reach every model of the server), loss scaling in the optimizer."""
    import keras
    from testutil import tiny_spec
    from kwk.model import builder
    from kwk.prep.prepare import prepare
    from kwk.training.arrays import ArrayFeeder
    monkeypatch.setattr(builder, "mixed_precision_policy",
                        lambda training: "mixed_float16" if training.get("mixed_precision")
                        else None)
    p = prepare(_table(), tiny_spec("y", epochs=1, mixed_precision=True))
    model = ArrayFeeder(p).build(p)
    policies = {layer.name: layer.dtype_policy.name for layer in model.layers[1:]}
    assert policies == {"1_dense": "mixed_float16", "output": "float32"}
    assert model.output.dtype == "float32"
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert keras.config.dtype_policy().name == "float32"  # nothing process-wide changed


def test_the_gpu_requirements_are_the_runtime_ones_with_cuda_tensorflow():
    """requirements-gpu.txt replaces requirements.txt on a GPU server: the same lines, with
    TensorFlow's CUDA build instead of tensorflow-cpu (the two must not be installed
    together, so it cannot simply include requirements.txt)."""
    from pathlib import Path

    from packaging.requirements import Requirement
    root = Path(__file__).resolve().parents[1]

    def reqs(name):
        lines = (line.split("#")[0].strip() for line in (root / name).read_text().splitlines())
        return [Requirement(line) for line in lines if line]
    cpu, gpu = reqs("requirements.txt"), reqs("requirements-gpu.txt")
    tf_names = {"tensorflow", "tensorflow-cpu"}
    assert [str(r) for r in cpu if r.name not in tf_names] == \
        [str(r) for r in gpu if r.name not in tf_names]
    linux = {"sys_platform": "linux", "platform_machine": "x86_64"}
    on_linux = [r for r in gpu if r.name in tf_names and r.marker.evaluate(linux)]
    assert len(on_linux) == 1 and on_linux[0].name == "tensorflow" \
        and on_linux[0].extras == {"and-cuda"}
    cpu_tf = next(r for r in cpu if r.name == "tensorflow-cpu")
    assert on_linux[0].specifier == cpu_tf.specifier  # the same TensorFlow versions
    mac = {"sys_platform": "darwin", "platform_machine": "arm64"}
    assert [r.name for r in gpu if r.name in tf_names and r.marker.evaluate(mac)] == \
        ["tensorflow"]


@pytest.mark.parametrize("mixed", [False, True])
def test_the_script_asks_for_mixed_precision_only_when_the_spec_does(mixed):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from codegen_cases import spec_for
    from test_codegen_render import undefined_names
    from kwk.codegen import generate_script
    from kwk.codegen.script import model_code
    spec = spec_for("table", mixed_precision=mixed)
    script = generate_script(spec, "data.csv")
    compile(script, "train_script.py", "exec")
    assert undefined_names(script) == set()
    assert ('set_dtype_policy("mixed_float16")' in script) is mixed
    assert ('dtype="float32"))  # output layer' in script) is mixed
    assert "dtype" not in model_code(spec)  # the Build page's model lines are unchanged


def test_gradient_boosting_on_one_openmp_thread_gives_the_same_reference():
    """The reference model runs on one OpenMP thread (its spinning threads crawl beside a busy
    TensorFlow): the same predictions, and the process's limits are back afterwards."""
    from threadpoolctl import threadpool_info

    from kwk.evaluation.metrics import fit_reference_model, one_openmp_thread
    df = _table(400, seed=3)
    X, y = df.drop(columns="y").to_numpy(), (df["y"] == "yes").to_numpy(int)
    before = [(p["user_api"], p["num_threads"]) for p in threadpool_info()]
    free = fit_reference_model("binary", X[:300], y[:300], 2, 0)[0](X[300:])
    with one_openmp_thread():
        inside = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"]
        limited = fit_reference_model("binary", X[:300], y[:300], 2, 0)[0](X[300:])
    assert all(n == 1 for n in inside)
    assert np.array_equal(free, limited)
    assert [(p["user_api"], p["num_threads"]) for p in threadpool_info()] == before
