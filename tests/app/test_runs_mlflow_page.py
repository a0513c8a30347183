"""The Runs page sends a saved run to MLflow (issue 33, item 4): a real local SQLite tracking
store, read back with MLflow's own client; a tracker that cannot be reached is an error."""
import pytest

from tests.app.test_pages import goto, no_crash, with_sample
from tests.testutil import tiny_spec

mlflow = pytest.importorskip("mlflow")


@pytest.fixture
def saved_run(workspace, iris_df):
    from kwk.runs.store import Store
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    result = Job(prepare(iris_df, tiny_spec("species", epochs=2))).run()
    return Store(workspace).save(result, "iris.csv", "fp", "script")


@pytest.mark.slow
def test_send_a_run_to_mlflow_and_a_wrong_uri(saved_run, tmp_path):
    at = with_sample("iris")
    goto(at, "7_runs")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    at.text_input(key="mlflow_uri").set_value(uri)
    at.text_input(key="mlflow_exp").set_value("from-app")
    at.text_input(key="mlflow_reg").set_value("iris_app")
    at.button(key="mlflow_send").click().run(timeout=180)
    no_crash(at)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("from-app").experiment_id])
    assert len(runs) == 1 and runs[0].info.status == "FINISHED"
    assert runs[0].info.run_id in at.success[0].value
    assert runs[0].data.params["data.target"] == "species"
    assert [v.run_id for v in client.search_model_versions("name='iris_app'")] == \
        [runs[0].info.run_id]
    at.text_input(key="mlflow_uri").set_value("ftp://tracker/x")
    at.button(key="mlflow_send").click().run(timeout=60)
    no_crash(at)
    assert "Sending the run to MLflow failed" in at.error[0].value
    assert "ftp://" in at.error[0].value
