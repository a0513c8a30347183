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
    # the comparison comes first (the verdict leads), the leaderboard after it
    table = next(d.value for d in at.dataframe if "best found" in d.value.columns)
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
    # Use in Build: the best network and the data choices it was trained with (issue 31)
    at.button(key="tune_use").click().run()
    no_crash(at)
    best, ss = job.best_result.prepared.spec, at.session_state
    assert ss.spec["layers"] == best["layers"] and ss.spec["training"] == best["training"]
    assert ss.target == best["data"]["target"] == "species"
    assert (ss.transforms.get("columns") or {}) == (best["data"].get("transforms") or {})
    # the Runs page lists the search as one study, with the saved run
    goto(at, "7_runs")
    studies = at.dataframe[0].value
    assert list(studies["trials"]) == [3] and studies["saved as run"][0] == run_id[:6]


def test_a_search_worse_than_your_network_says_so_first_and_keeps_yours(monkeypatch):
    """Issue 28: after a search whose best was worse than the user's network on the test
    rows, the page showed a green ✅ and made "Save as a run" the primary button. The best
    network here is made unable to learn (learning rate 1e-7), so it is truly worse: the
    verdict leads, not green, and "Keep yours" is the primary action. "Your network" is
    explained, naming the run the user has open (whose network differs)."""
    import dataclasses
    import json
    import sqlite3

    from kwk.tune import best

    chosen = best.best_prepared

    def crippled(search):
        p = chosen(search)
        spec = json.loads(json.dumps(p.spec))
        spec["training"]["learning_rate"] = 1e-7
        return dataclasses.replace(p, spec=spec)
    monkeypatch.setattr(best, "best_prepared", crippled)
    at = with_sample("iris")
    goto(at, "2_target")
    # a run the user opened on Evaluate, with another network than the one on Build
    from kwk.ui.state import store
    with sqlite3.connect(store().root / "runs.sqlite") as db:
        db.execute("INSERT INTO runs (id, created, owner, name, data_name, fingerprint, task, "
                   "status, metric, value, seconds, epochs, parameters, metrics, spec) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   ("abcdefabcdef", "2024-01-01T10:00:00", "", "first try", "iris.csv", "f",
                    "multiclass", "finished", "accuracy", 0.9, 1.0, 1, 10,
                    json.dumps({"task": "multiclass", "test": {}}),
                    json.dumps({"data": {"target": "species"}, "layers": [], "training": {}})))
    at.session_state.run_id = "abcdefabcdef"
    goto(at, "9_tune")
    at.session_state.spec["training"].update(epochs=40, early_stopping_patience=0)
    at.run()
    at.number_input(key="tune_trials").set_value(2).run()
    at.button(key="tune_start").click().run()
    no_crash(at)
    job = at.session_state.tune_job
    assert job is not None and job.wait(300), job.snapshot()
    at.run()
    at.run()
    no_crash(at)
    assert job.verdict["outcome"] == "kept yours" and job.verdict["reason"] == "worse", \
        job.verdict
    assert not at.success, [s.value for s in at.success]  # nothing green
    assert "✅" not in texts(at)
    assert "keep yours" in at.warning[0].value.lower()
    assert at.button(key="tune_keep").proto.type == "primary"
    assert at.button(key="tune_save").proto.type == "secondary"
    shown = texts(at)
    assert "stack now on the Build page, trained again" in shown
    assert "not** the run 'first try' you opened" in shown
    # keeping yours leaves the Build stack as it was
    layers = [dict(layer) for layer in at.session_state.spec["layers"]]
    at.button(key="tune_keep").click().run()
    no_crash(at)
    assert [dict(layer) for layer in at.session_state.spec["layers"]] == layers
