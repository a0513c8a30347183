"""The run service (kwk/runs/service.py): train -> script -> save, shared by the CLI and the
Train page."""
import json

import pytest

from testutil import tiny_spec


@pytest.fixture(scope="module")
def trained(iris_df):
    from kwk.data import load
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    ld = load(iris_df.to_csv(index=False).encode(), name="iris.csv")
    prep = prepare(ld.df, tiny_spec("species", epochs=2))
    return ld, Job(prep, label="t").run()


def test_data_source_names_what_the_script_reads(trained):
    from kwk.runs.service import DataSource
    ld, _ = trained
    src = DataSource.of(ld, path="/data/iris.csv")
    assert (src.name, src.fmt, src.path) == ("iris.csv", "csv", "/data/iris.csv")
    assert src.fingerprint == ld.fingerprint and src.read_options["sep"] == ","
    assert DataSource.of(ld).path == "iris.csv"


def test_save_run_to_a_folder_writes_the_bundle_and_its_script(trained, tmp_path):
    from kwk.runs.service import DataSource, save_run
    ld, res = trained
    out = save_run(res, DataSource.of(ld, path="iris.csv"), out_dir=tmp_path / "run")
    script = (out / "train_script.py").read_text()
    assert any(line.startswith("DATA_PATH") and "'iris.csv'" in line.replace('"', "'")
               for line in script.splitlines())
    assert json.loads((out / "run.json").read_text())["data"]["fingerprint"] == ld.fingerprint


def test_save_run_into_the_store_indexes_it_for_its_owner(trained, tmp_path):
    from kwk.runs.service import DataSource, save_run
    from kwk.runs.store import Store
    ld, res = trained
    store = Store(tmp_path / "ws")
    run_id = save_run(res, DataSource.of(ld), store=store, owner="ann@example.org")
    assert [r["id"] for r in store.list("ann@example.org")] == [run_id]
    assert store.list("bob@example.org") == []


def test_a_run_without_script_says_why(trained, tmp_path):
    from kwk.runs.service import DataSource, save_run
    ld, res = trained
    out = save_run(res, DataSource.of(ld), out_dir=tmp_path / "run", script=False)
    assert not (out / "train_script.py").exists()
    assert any("No training script" in n for n in res.prepared.notes)


def test_exactly_one_destination(trained):
    from kwk.runs.service import DataSource, save_run
    ld, res = trained
    with pytest.raises(ValueError):
        save_run(res, DataSource.of(ld))
