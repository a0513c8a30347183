import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two test processes share the two cores: one thread each for TensorFlow's operations and
    # OpenMP (and for the scripts and servers they start) instead of each taking every core.
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


# The longest test files first: with the suite on two processes (one file per process at a
# time), a long file left for the end would keep one process busy while the other idles.
LONG_FIRST = ("test_codegen.py", "test_golden.py", "e2e/test_load.py", "test_series_text.py",
              "test_scale.py", "e2e/test_explain_tune_browser.py", "test_mixed.py",
              "e2e/test_browser.py", "test_transfer.py", "test_images.py", "test_tune.py",
              "test_decisions.py", "app/test_tune_page.py", "e2e/test_series_text_browser.py",
              "app/test_pages.py", "test_distributed.py", "test_stream.py", "e2e/", "app/")


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        path = str(item.fspath).replace(os.sep, "/")
        return next((i for i, p in enumerate(LONG_FIRST) if f"tests/{p}" in path),
                    len(LONG_FIRST))
    items.sort(key=rank)  # stable: the order within a file is kept
