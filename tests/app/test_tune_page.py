"""The Tune page: the proposed space as a table, a search in the background, the best network
beside the user's own on the test rows, Use in Build and Save as a run."""
from tests.app.test_pages import goto, no_crash, texts, with_sample


def test_tune_page_finds_compares_and_saves():
    at = with_sample("iris")
    goto(at, "2_target")
    goto(at, "9_tune")
    assert "What to search" in texts(at)
    rows = at.session_state.tune_space[1]
    keys = [r["key"] for r in rows]
    assert "training.learning_rate" in keys and "hidden_blocks" in keys
    at.number_input(key="tune_trials").set_value(3)
    spec_epochs = at.session_state.spec["training"]
    at.session_state.spec["training"]["epochs"] = 4
    at.run()
    at.button(key="tune_start").click().run()
    no_crash(at)
    job = at.session_state.tune_job
    assert job is not None and job.wait(300), job.snapshot()
    at.run()
    at.run()
    no_crash(at)
    assert job.snapshot()["status"] == "finished", job.snapshot()
    assert job.search.counts()["complete"] + job.search.counts()["pruned"] >= 3
    shown = texts(at)
    assert "Chosen by a search of" in shown and "never seen" in shown
    table = at.dataframe[-1].value
    assert {"your network", "best found", "best vs yours"} <= set(table.columns)
    at.button(key="tune_save").click().run()
    no_crash(at)
    run_id = at.session_state.run_id
    assert run_id
    import json
    from pathlib import Path

    from kwk.ui.state import store
    run = store().get(run_id, "")
    record = json.loads((Path(run["dir"]) / "run.json").read_text())
    assert "Chosen by a search of" in json.dumps(record)
    assert run["spec"]["layers"] == job.best_result.prepared.spec["layers"]
    del spec_epochs
    # the Runs page lists the search as one study, with the saved run
    goto(at, "7_runs")
    studies = at.dataframe[0].value
    assert list(studies["trials"]) == [3] and studies["saved as run"][0] == run_id[:6]
