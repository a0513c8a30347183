"""Faults: a full disk or an unwritable workspace gives a clear error and never a corrupt store;
finished runs survive a restart; a trained model whose save failed can be saved again."""
import errno
import sqlite3

import pytest

from testutil import tiny_spec
from kwk.errors import KwkError
from kwk.runs.store import Store
from kwk.prep.prepare import prepare
from kwk.training import Job

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(iris_df):
    return Job(prepare(iris_df, tiny_spec("species", epochs=2))).run()


def _disk_full(*a, **k):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_unwritable_or_broken_workspace_is_explained(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the workspace should be")
    with pytest.raises(KwkError, match="cannot be used") as e:
        Store(blocker / "ws")
    assert "KWK_WORKSPACE" in e.value.hint
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "runs.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(KwkError, match="cannot be used"):
        Store(ws)


def test_disk_full_while_saving_leaves_no_half_run(tmp_path, result, monkeypatch):
    store = Store(tmp_path / "ws")
    first = store.save(result, "iris.csv", "fp", "script")
    monkeypatch.setattr("kwk.runs.bundle.np.savez", _disk_full)
    with pytest.raises(KwkError, match="No space left on device") as e:
        store.save(result, "iris.csv", "fp", "script")
    assert "disk space" in e.value.hint
    assert [r["id"] for r in store.list()] == [first]
    assert sorted(p.name for p in (tmp_path / "ws" / "runs").iterdir()) == [first]
    monkeypatch.undo()  # space freed: saving works again and the store is intact
    second = store.save(result, "iris.csv", "fp", "script")
    restarted = Store(tmp_path / "ws")  # a server restart: every finished run is still there
    assert {r["id"] for r in restarted.list()} == {first, second}
    assert restarted.evaluation(second)["y"].shape[0] == len(result.prepared.y["test"])
    with sqlite3.connect(tmp_path / "ws" / "runs.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_save_failure_keeps_the_trained_model_for_a_retry(tmp_path, iris_df, monkeypatch):
    store = Store(tmp_path / "ws")
    monkeypatch.setattr("kwk.runs.bundle.save_model", _disk_full)
    job = Job(prepare(iris_df, tiny_spec("species", epochs=2)),
              on_finish=lambda r: store.save(r, "iris.csv", "fp", None)).start()
    assert job.wait(120)
    assert job.snapshot()["status"] == "finished" and job.result.model is not None
    assert "No space left" in job.finish_error.message and job.finish_value is None
    assert store.list() == []
    monkeypatch.undo()
    assert job.retry_finish() and job.finish_error is None
    assert [r["id"] for r in store.list()] == [job.finish_value]


def test_cli_reports_an_unwritable_output_folder(tmp_path):
    from testutil import run_cli
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = run_cli("train", "missing.csv", "--spec", "s.json", "--out", blocker / "out")
    assert p.returncode == 2 and "Cannot write to the output folder" in p.stderr
