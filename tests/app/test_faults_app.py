"""Faults seen from the app: a failed save keeps the trained model for a retry; an unusable
workspace is explained while the data pages keep working."""
import errno

import pytest

from tests.app.test_pages import goto, no_crash, texts, with_sample


@pytest.mark.slow
def test_disk_full_at_save_time_then_save_again(monkeypatch):
    def disk_full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("kwk.runs.bundle.save_model", disk_full)
    at = with_sample("iris")
    goto(at, "4_train")
    at.number_input(key="tr0_epochs").set_value(2)
    at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
    job = at.session_state.job
    assert job.wait(120)
    at.run()
    at.run()
    no_crash(at)
    assert "could not be saved" in texts(at) and "No space left on device" in at.error[0].value
    assert not at.session_state.run_id
    monkeypatch.undo()
    at.button(key="retry_save").click().run()
    no_crash(at)
    assert at.session_state.run_id
    goto(at, "7_runs")
    assert len(at.dataframe[0].value) == 1


def test_unusable_workspace_is_explained(tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    monkeypatch.setenv("KWK_WORKSPACE", str(blocker / "ws"))
    at = with_sample("iris")
    goto(at, "7_runs")
    assert "cannot be used" in at.error[0].value and "KWK_WORKSPACE" in at.error[0].value
    goto(at, "3_build")  # the rest of the app is unaffected
    assert at.session_state.build_ok


def test_reruns_leave_keras_state_alone():
    """Streamlit would call keras.backend.clear_session() after every run, resetting the state
    of models training in other threads; kwk_app.py turns that off."""
    import keras
    from keras.src.backend.common import global_state
    from streamlit.runtime.scriptrunner import script_runner
    at = with_sample("iris")
    assert getattr(script_runner._clean_problem_modules, "kwk_keeps_keras", False)
    keras.layers.Dense(1)  # touch Keras's global state
    tracker = global_state.GLOBAL_STATE_TRACKER
    at.run()
    goto(at, "2_target")
    assert global_state.GLOBAL_STATE_TRACKER is tracker
