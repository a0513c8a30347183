"""Every file of the hostile-input corpus, through the app: a clear message where the user
is, what they had is kept, and the app stays usable."""
import json

import pytest

from tests.app.test_pages import goto, no_crash, texts, with_sample
from tests.testutil import ROOT

BAD = ROOT / "tests" / "data" / "bad"
CASES = json.loads((BAD / "cases.json").read_text())


def _upload(at, name):
    at.file_uploader(key="upload").set_value((name, (BAD / name).read_bytes(), "application/octet-stream")).run()
    no_crash(at)


@pytest.mark.parametrize("case", [c for c in CASES if c["cmd"] == "profile" and c["exit"] == 2],
                         ids=lambda c: c["file"] + ("@" + c["sheet"] if c.get("sheet") else ""))
def test_bad_upload_is_explained_and_nothing_is_lost(case):
    at = with_sample("iris")
    _upload(at, case["file"])
    if case.get("sheet"):
        at.selectbox(key="sheet").set_value(case["sheet"]).run()
    assert at.error, texts(at)
    msg = at.error[0].value
    assert case["expect"] in msg and "What to do" in msg, msg
    assert "Traceback" not in msg
    assert at.session_state.data.name == "iris.csv"
    assert "Still using the data you had: iris.csv" in texts(at)
    goto(at, "3_build")
    assert at.session_state.build_ok


@pytest.mark.parametrize("case", [c for c in CASES if c["cmd"] == "train" and c["exit"] == 2],
                         ids=lambda c: c["file"])
def test_bad_target_data_is_explained_before_training(case):
    at = with_sample("iris")
    _upload(at, case["file"])
    at.session_state.target = "label"
    goto(at, "2_target")
    if case["file"] != "huge_numbers.csv":  # a property of the target itself: shown at once
        assert case["expect"] in at.error[0].value, texts(at)
    goto(at, "4_train")
    if at.error:  # the Train page repeats the problem instead of offering to train
        assert case["expect"] in at.error[0].value
    else:
        at.button(key="FormSubmitter:training_form-▶️ Start training").click().run()
        assert not at.exception and case["expect"] in at.error[0].value, texts(at)
        assert at.session_state.job is None


@pytest.mark.parametrize("case", [c for c in CASES if c["cmd"] == "spec"], ids=lambda c: c["file"])
def test_bad_spec_upload_is_explained_and_the_stack_kept(case):
    at = with_sample("iris")
    goto(at, "3_build")
    before = json.dumps(at.session_state.spec, sort_keys=True)
    at.file_uploader(key="spec_upload").set_value(
        (case["file"], (BAD / case["file"]).read_bytes(), "application/json")).run()
    assert not at.exception
    assert case["expect"] in at.error[0].value, texts(at)
    assert json.dumps(at.session_state.spec, sort_keys=True) == before
    assert at.session_state.build_ok


def test_handled_files_load_with_a_note():
    at = with_sample("iris")
    _upload(at, "utf16.csv")
    assert at.session_state.data.name == "utf16.csv" and list(at.session_state.data.df.columns) == ["x1", "x2", "label"]


def test_uploads_are_size_capped():
    import tomllib
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["maxUploadSize"] == 200  # MB, enforced by Streamlit for every uploader
    from tests.app.test_pages import app
    at = app()
    limit = at.file_uploader(key="upload").proto.max_upload_size_mb
    assert limit > 0 and f"up to {limit} MB" in at.file_uploader(key="upload").label
