"""Build: start from a trained model. A run's layers are read, listed and brought in with their
weights (asking before they replace the stack, undoable); a layer can be unfrozen or trained
from scratch; a base that does not fit the data is explained on the page; an uploaded file that
is not a model is refused with a message."""
import pytest

from tests.app.test_pages import goto, no_crash, texts, with_sample
from testutil import tiny_spec


def _iris_run():
    from kwk.data.samples import SAMPLES
    from kwk.runs.service import DataSource, save_run
    from kwk.runs.store import Store
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    spec = tiny_spec("species", epochs=2)
    spec["layers"] = [{"type": "Dense", "units": 8, "activation": "relu"},
                      {"type": "Dense", "units": 6, "activation": "relu"}]
    r = Job(prepare(SAMPLES["iris"].load(), spec)).run()
    return save_run(r, DataSource(name="iris.csv", fmt="csv", fingerprint="fp", path="iris.csv"),
                    store=Store())


@pytest.mark.slow
def test_a_run_becomes_the_frozen_base_of_a_new_network():
    run_id = _iris_run()
    at = with_sample("iris")
    goto(at, "3_build")
    n_before = len(at.session_state.spec["layers"])
    at.selectbox(key="base_run").set_value(run_id).run()
    at.button(key="base_read").click().run()
    no_crash(at)
    table = at.dataframe[0].value
    assert table["layer"].tolist() == ["1_dense", "2_dense"]
    assert at.number_input(key=next(w.key for w in at.number_input
                                    if w.key.startswith("base_count_"))).value == 1
    at.button(key="base_use").click().run()
    assert "replaces your" in texts(at)  # asked first
    at.button(key="confirm_base").click().run()
    no_crash(at)
    layers = at.session_state.spec["layers"]
    assert layers[0]["weights"]["run"] == run_id and layers[0]["trainable"] is False
    assert "weights" not in layers[1] and layers[1]["units"] == 6  # the rest learns anew
    assert at.session_state.build_ok
    code = at.code[0].value
    assert "keras.saving.load_model(" in code and "trainable=False" in code
    assert "started from run" in at.session_state.history.entries[-1].label
    assert "♻️ Starts from layer '1_dense'" in texts(at)
    at.button(key="reuse_freeze").click().run()  # unfreeze: fine-tune
    assert at.session_state.spec["layers"][0]["trainable"] is True
    at.button(key="undo").click().run()
    assert at.session_state.spec["layers"][0]["trainable"] is False
    # the same base on other columns: explained on the page, before anything trains
    at.session_state.roles = {"sepal length (cm)": "ignore"}
    at.run()
    assert not at.session_state.build_ok
    assert any("which read 4 values per row; here it receives 3" in e.value for e in at.error)
    at.button(key="reuse_drop").click().run()  # train that layer from scratch instead
    assert "weights" not in at.session_state.spec["layers"][0] and at.session_state.build_ok
    # everything undone: back to the stack before the base came in
    while not at.button(key="undo").disabled:
        at.button(key="undo").click().run()
    assert len(at.session_state.spec["layers"]) == n_before
    assert not any("weights" in layer for layer in at.session_state.spec["layers"])


def test_an_uploaded_file_that_is_not_a_model_is_refused():
    at = with_sample("iris")
    goto(at, "3_build")
    at.radio(key="base_from").set_value("A .keras file").run()
    at.file_uploader(key="base_file").set_value(("x.keras", b"PK not really", "application/zip")).run()
    at.button(key="base_read").click().run()
    no_crash(at)
    assert any("cannot be read as a Keras model" in e.value for e in at.error)
