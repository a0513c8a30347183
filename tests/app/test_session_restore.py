"""A kept session (kwk/ui/persist.py): a fresh browser session with ?s=<key> gets the work back
(data, target, spec, undo history, the sidebar's marks); no key, another user's key or a
damaged snapshot start cleanly with a word, never a traceback."""
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import APP, T, goto, no_crash, texts, with_sample


def reload(key: str | None, page: str | None = None) -> AppTest:
    """A new browser session opening the app's address (with ``?s=key`` when given), as a
    reload or a new tab does."""
    at = AppTest.from_file(APP, default_timeout=T)
    if key:
        at.query_params["s"] = key
    at.run()
    no_crash(at)
    if page:
        goto(at, page)
    return at


def worked_session() -> AppTest:
    """tips: another target chosen, a layer's units changed on Build (one history step)."""
    at = with_sample("tips")
    goto(at, "2_target")
    at.selectbox(key="target_select").set_value("size").run()
    no_crash(at)
    goto(at, "3_build")
    units = next(n for n in at.number_input if n.label == "units")
    assert units.value == 32
    units.set_value(48).run()
    no_crash(at)
    goto(at, "3_build")  # the page records the edit in its history when it runs
    assert at.session_state.history.entries[-1].label == "changed units of Dense 1 from 32 to 48"
    return at


def test_a_reload_brings_back_data_target_spec_history_and_marks():
    at = worked_session()
    key = at.session_state.kept_key
    assert key and at.query_params["s"] in (key, [key])
    first = at.session_state
    # a page switch drops the address's parameters: the key is put back on every run
    goto(at, "2_target")
    assert at.query_params["s"] in (key, [key])
    at.session_state.evaluated = True  # as the Evaluate page leaves it (a sidebar mark)
    at.run()

    again = reload(key)
    ss = again.session_state
    assert ss.data.name == "tips.csv" and ss.data.fingerprint == first.data.fingerprint
    assert ss.data.df.equals(first.data.df)
    assert ss.target == "size" and ss.task == first.task
    assert ss.spec["layers"][0]["units"] == 48 and ss.spec == first.spec
    assert ss.history.rows() == first.history.rows()
    assert ss.history.next_undo == "changed units of Dense 1 from 32 to 48"
    assert ss.build_ok and ss.evaluated and not ss.predicted and ss.kept_key == key
    assert "Your work was restored" in texts(again)
    goto(again, "3_build")
    assert next(n for n in again.number_input if n.label == "units").value == 48
    # the restored history is a working one: undo goes back to 32 units
    again.button(key="undo").click().run()
    no_crash(again)
    assert again.session_state.spec["layers"][0]["units"] == 32
    assert next(n for n in again.number_input if n.label == "units").value == 32
    goto(again, "2_target")
    assert again.selectbox(key="target_select").value == "size"


def test_an_unchanged_rerun_writes_nothing(workspace):
    at = with_sample("iris")
    key = at.session_state.kept_key
    snap = workspace / "sessions" / key / "snapshot.json"
    before = snap.stat().st_mtime_ns
    at.run()
    goto(at, "1_data")
    assert snap.stat().st_mtime_ns == before
    at.session_state.build_ok = True  # a kept value changes: written at the end of the run
    at.run()
    assert snap.stat().st_mtime_ns != before


def test_without_the_key_another_session_sees_nothing():
    worked_session()
    other = reload(None)
    assert other.session_state.data is None and other.session_state.target is None
    assert other.session_state.kept_key is None
    assert "Upload a file or pick a sample" in texts(other)
    assert not other.query_params.get("s")


def test_another_signed_in_user_is_refused(monkeypatch):
    at = worked_session()
    key = at.session_state.kept_key
    import kwk.ui.state as state
    monkeypatch.setattr(state, "owner", lambda: "bob@example.org")
    bob = reload(key)
    assert bob.session_state.data is None and bob.session_state.target is None
    assert any("kept for another user" in w.value for w in bob.warning)
    assert "tips" not in texts(bob)
    assert not bob.query_params.get("s")
    # bob's own work gets its own key; alice's is untouched
    bob.selectbox(key="sample_choice").set_value("iris").run()
    bob.button(key="use_sample").click().run()
    assert bob.session_state.kept_key not in (None, key)
    monkeypatch.setattr(state, "owner", lambda: "")  # the first user, without authentication
    assert reload(key).session_state.target == "size"


def test_a_damaged_or_unknown_snapshot_starts_cleanly(workspace):
    at = with_sample("iris")
    key = at.session_state.kept_key
    (workspace / "sessions" / key / "snapshot.json").write_text("{half a snapsh")
    fresh = reload(key)
    assert fresh.session_state.data is None
    assert any("damaged" in w.value for w in fresh.warning)
    assert "Upload a file or pick a sample" in texts(fresh)
    gone = reload("x" * 32)
    assert any("No kept work was found" in w.value for w in gone.warning)
    bad = reload("../../etc/passwd")
    assert any("not valid" in w.value for w in bad.warning) and not bad.exception


def test_data_too_large_to_keep_comes_back_with_its_choices_when_loaded_again(monkeypatch):
    """Data kept as a table (not a sample, not an upload) over the cap: the choices are kept,
    the data is said to be missing, and loading the same data again brings back its target."""
    monkeypatch.setenv("KWK_SESSION_MAX_MB", "0.001")
    from kwk.data.loader import LoadedData
    from kwk.ui.state import sample
    iris = sample("iris")  # the same rows as the iris sample, read from a parquet file
    at = AppTest.from_file(APP, default_timeout=T)
    at.run()
    at.session_state.data = LoadedData(df=iris.df, name="flowers.parquet", fmt="parquet",
                                       fingerprint=iris.fingerprint)
    at.session_state.target = "petal_width"
    at.run()  # kept at the end of this run; said at the top of the next one
    at.run()
    no_crash(at)
    assert any("too large to keep" in w.value for w in at.warning)
    key = at.session_state.kept_key
    at.session_state.task = "regression"  # a later edit is kept too, the data still left out
    at.run()
    again = reload(key)
    assert again.session_state.data is None and again.session_state.target is None
    assert any("not the data" in w.value and "too large" in w.value
               and "flowers.parquet" in w.value for w in again.warning)
    again.selectbox(key="sample_choice").set_value("iris").run()
    again.button(key="use_sample").click().run()
    no_crash(again)
    assert again.session_state.target == "petal_width"  # not the sample's own 'species'
    assert again.session_state.task == "regression"


def test_the_data_page_sentence_says_what_is_kept_and_for_how_long(monkeypatch):
    from kwk.ui.persist import kept_note
    text = kept_note()
    assert "7 days" in text and "undo history" in text and "anyone with the address" in text
    monkeypatch.setenv("KWK_SESSION_TTL_HOURS", "36")
    assert "36 hours" in kept_note()
