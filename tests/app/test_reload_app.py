"""A kept session after a reload (issue 29): 'Keep looking at …' on a run trained on other
data is kept with the session, so the reloaded Evaluate page shows the one-line note, not the
warning again; a snapshot whose values are damaged (valid JSON, wrong kinds of value) starts
cleanly with a word instead of failing the pages."""
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import APP, T, goto, no_crash, texts, with_sample
from tests.app.test_second_file_stale import _iris_run, _warnings

REASON = ("This run was trained on iris.csv (target species), not on tips.csv, the data now "
          "loaded.")


def reload(key: str) -> AppTest:
    """A new browser session opening the address with ``?s=key`` (a reload, a new tab)."""
    at = AppTest.from_file(APP, default_timeout=T)
    at.query_params["s"] = key
    at.run()
    no_crash(at)
    return at


@pytest.mark.slow
def test_keep_looking_at_the_old_run_survives_a_reload():
    rid = _iris_run()
    at = with_sample("iris")
    at.session_state.run_id = rid
    goto(at, "1_data")
    at.selectbox(key="sample_choice").set_value("tips").run()
    at.button(key="use_sample").click().run()
    goto(at, "2_target")
    at.selectbox(key="target_select").set_value("total_bill").run()
    no_crash(at)
    goto(at, "5_evaluate")
    assert at.session_state.run_id == rid and REASON in _warnings(at)
    at.button(key="stale_keep_evaluate").click().run()
    no_crash(at)
    assert REASON not in _warnings(at) and REASON in texts(at)
    key = at.session_state.kept_key

    again = reload(key)
    assert again.session_state.stale_ok == [rid]
    goto(again, "5_evaluate")
    assert again.session_state.run_id == rid  # the run shown is the run kept
    assert again.session_state.data.name == "tips.csv"
    assert REASON not in _warnings(again) and REASON in texts(again)  # a line, not a warning
    assert "stale_keep_evaluate" not in [b.key for b in again.button]
    assert not again.session_state.evaluated  # still no ✓ for a run of other data


@pytest.mark.parametrize("damage", [
    {"spec": "garbage"}, {"kinds": [1, 2]}, {"history": 5}, {"target": 3},
    {"build_ok": "yes"}, {"spec": {"layers": ["Dense"]}}, {"stale_ok": [None]},
    {"spec_version": True}])
def test_damaged_kept_values_start_cleanly_with_a_word(workspace, damage):
    at = with_sample("iris")
    key = at.session_state.kept_key
    path = workspace / "sessions" / key / "snapshot.json"
    snap = json.loads(path.read_text())
    snap["state"].update(damage)
    path.write_text(json.dumps(snap))
    fresh = reload(key)
    ss = fresh.session_state
    assert ss.data is None and ss.target is None and ss.kinds == {}
    assert any("damaged" in w.value for w in fresh.warning), [w.value for w in fresh.warning]
    assert "Upload a file or pick a sample" in texts(fresh)
    assert not fresh.query_params.get("s")
    for page in ("1_data", "3_build", "5_evaluate"):  # every page draws from a clean start
        goto(fresh, page)
    assert isinstance(fresh.session_state.spec, dict)



def test_a_playground_upload_over_the_cap_is_left_out_and_said(monkeypatch, workspace):
    """The Playground's upload is kept inside the session's values (its bytes as base64), out
    of reach of the cap on the data file: one past the cap is left out of what is written,
    the rest is kept, and the page says so once."""
    monkeypatch.setenv("KWK_SESSION_MAX_MB", "0.02")  # 20,971 bytes
    at = with_sample("iris")
    key = at.session_state.kept_key
    snap = workspace / "sessions" / key / "snapshot.json"
    at.session_state.pg_data = {"upload": {"name": "big.csv", "b64": "QUJD" * 10_000,
                                           "id": "big"}, "columns": {"upload": ["a", "b", "c"]}}
    at.session_state.target = "petal_width"
    at.run()  # kept at the end of this run; said at the top of the next one
    at.run()
    no_crash(at)
    said = [w.value for w in at.warning if "too large to keep" in w.value]
    assert said == ["The Playground's file (big.csv, 30 kB) is too large to keep with your "
                    "work (at most 21 kB per session): the rest is kept, but after a reload "
                    "that file must be uploaded again."], said  # 40,000 base64 = 30,000 bytes
    kept = json.loads(snap.read_text())["state"]
    assert kept["pg_data"]["upload"] is None and kept["target"] == "petal_width"
    assert kept["pg_data"]["columns"] == {"upload": ["a", "b", "c"]}
    assert snap.stat().st_size < 20_971
    assert at.session_state.pg_data["upload"]["name"] == "big.csv"  # this tab still has it
    at.run()
    assert not [w for w in at.warning if "too large to keep" in w.value]  # said once
    again = reload(key)
    assert again.session_state.target == "petal_width"
    assert again.session_state.pg_data["upload"] is None
