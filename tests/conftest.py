import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # The test processes share the machine's cores: one thread each for TensorFlow's operations
    # and OpenMP (and for the scripts and servers they start) instead of each taking every core.
    # The numbers do not change: the golden metrics hold to 1e-5 either way. (TensorFlow's
    # scheduling threads stay as they are: collective operations need more than one.)
    for _var in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_var, "1")


@pytest.fixture(scope="session")
def iris_df():
    from kwk.data.samples import SAMPLES
    return SAMPLES["iris"].load()


@pytest.fixture(scope="session")
def churn_df():
    from kwk.data.samples import SAMPLES
    return SAMPLES["churn"].load()


@pytest.fixture(scope="session")
def samples_dir(tmp_path_factory, iris_df, churn_df):
    """CSV copies of four bundled datasets: multiclass, binary with categoricals and missing
    values, binary, regression."""
    from kwk.data.samples import SAMPLES
    d = tmp_path_factory.mktemp("samples")
    iris_df.to_csv(d / "iris.csv", index=False)
    churn_df.to_csv(d / "churn.csv", index=False)
    SAMPLES["breast_cancer"].load().to_csv(d / "breast_cancer.csv", index=False)
    SAMPLES["diabetes"].load().to_csv(d / "diabetes.csv", index=False)
    SAMPLES["tips"].load().to_csv(d / "tips.csv", index=False)
    return d


# The longest test files first (measured with --durations, 2026-12-01): with the suite on a few
# processes, one file per process at a time, a long file left for the end keeps one process
# busy while the others idle.
LONG_FIRST = ("test_scale.py", "test_export_matrix_layers.py", "test_export_matrix.py",
              "e2e/test_load.py", "e2e/test_explain_tune_browser.py",
              "test_tune.py", "test_series_text.py", "test_codegen.py", "test_train.py",
              "e2e/test_browser.py", "app/test_pages.py", "e2e/test_newcomer_browser.py",
              "e2e/test_playground_browser.py", "e2e/test_series_text_browser.py",
              "test_images.py", "test_golden.py", "test_mixed.py", "app/test_tune_page.py",
              "test_stream.py", "test_export.py", "test_distributed.py", "test_transfer.py",
              "e2e/test_builder_browser.py", "e2e/test_reload_browser.py",
              "e2e/test_learn_browser.py",
              "e2e/test_challenge_browser.py", "e2e/test_second_file_browser.py",
              "app/test_bad_corpus.py", "app/test_images_app.py",
              "app/test_series_text_app.py", "app/test_newcomer_app.py", "test_csv_property.py",
              "test_explain.py", "test_serve.py", "test_codegen_render.py", "e2e/", "app/")


def pytest_configure(config):
    # pytest-xdist hands out whole files ordered by how many tests each holds unless told not
    # to: that would put the one-test files that take minutes (the load test, the streaming
    # workers) last. Keep the order above instead.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        path = str(item.fspath).replace(os.sep, "/")
        return next((i for i, p in enumerate(LONG_FIRST) if f"tests/{p}" in path),
                    len(LONG_FIRST))
    items.sort(key=rank)  # stable: the order within a file is kept


@pytest.fixture(autouse=True)
def no_background_work_left_behind(request):
    """A test that leaves a background thread working (a Playground left playing, a training
    or tuning job, a SHAP or heat-map task) would slow every later test in its process: a thread
    holding the GIL in a tight NumPy loop starves a test's script thread. An AppTest script run
    of about 1 s exceeded its 60 s timeout once beside a busy suite (issue 34); no leak was
    found when this was written, and this guard keeps one from ever causing that. After each
    test, stop KwK's threads that the test started and wait for them, so each test starts on a
    quiet process. ``KWK_REPORT_LEFT_THREADS=1`` names the tests that left one."""
    import threading
    before = set(threading.enumerate())
    yield
    left = []
    for t in threading.enumerate():
        if t in before or not t.is_alive() or not t.name.startswith("kwk-"):
            continue
        owner = getattr(getattr(t, "_target", None), "__self__", None)
        stop = next((getattr(owner, n) for n in ("close", "stop")
                     if callable(getattr(owner, n, None))), None)
        if stop is None:  # a shared worker pool's idle thread: it does no work by itself
            continue
        try:
            stop()
        except Exception:  # a job already finishing: joining below is enough
            pass
        left.append(t)
    for t in left:
        t.join(timeout=120)
    if left and os.environ.get("KWK_REPORT_LEFT_THREADS"):
        print(f"\n{request.node.nodeid} left {[t.name for t in left]}", file=sys.stderr)
