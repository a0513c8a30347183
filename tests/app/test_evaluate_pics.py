"""Evaluate for a picture model never waits for its heat-maps (issue 35, item 1): the page is
drawn with a placeholder and progress while a background task computes them, they fill in when
it is done, Stop keeps what was drawn, and another run never shows this run's maps."""
import threading

import numpy as np
import pandas as pd
import pytest

from tests.app.test_explain_pages import _open, _train
from tests.app.test_pages import goto, no_crash, texts


@pytest.fixture(scope="module")
def picture_run():
    rng = np.random.default_rng(1)
    n = 160
    px = rng.uniform(0, 60, size=(n, 6, 6))
    lab = rng.integers(0, 2, n)
    px[lab == 1, :, :2] += 150
    px[:12, :, :2] = 100  # ambiguous pictures, so some are misclassified
    pics = pd.DataFrame(px.reshape(n, -1), columns=[f"px_{i}" for i in range(36)])
    pics["label"] = np.where(lab == 1, "bright", "dark")
    spec = {"kwk_spec": 1, "data": {"target": "label", "image_shape": [6, 6, 1]},
            "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 4, "activation": "relu"}],
            "training": {"epochs": 3, "learning_rate": 0.01, "early_stopping_patience": 0}}
    return pics, _train(pics, spec)


@pytest.fixture
def gate(monkeypatch):
    """Holds the background heat-map work until the test opens the gate."""
    import kwk.evaluation.saliency as sal
    real, opened = sal.heatmaps, threading.Event()

    def held(*args, **kwargs):
        opened.wait(120)
        return real(*args, **kwargs)
    monkeypatch.setattr(sal, "heatmaps", held)
    yield opened
    opened.set()


def _open_evaluate(picture_run):
    pics, result = picture_run
    at, run_id = _open(pics, result, "label", image_shape=(6, 6, 1))
    at.session_state.modality = "images"
    goto(at, "5_evaluate")
    return at, run_id


@pytest.mark.slow
def test_evaluate_draws_at_once_then_fills_in_the_heatmaps(picture_run, gate, monkeypatch):
    from streamlit.delta_generator import DeltaGenerator
    drawn, image = [], DeltaGenerator.image

    def record(self, img, *args, **kwargs):
        drawn.append((kwargs.get("width"), np.asarray(img).shape))
        return image(self, img, *args, **kwargs)
    monkeypatch.setattr(DeltaGenerator, "image", record)
    at, run_id = _open_evaluate(picture_run)
    # The page finished its run while the maps are still being computed.
    assert "Where the model looked" in texts(at)
    assert "Profiler" not in [t.label for t in at.tabs]  # no sweep of every pixel either
    entry = at.session_state.explanations[(run_id, "saliency")]
    assert entry["task"] is not None and not entry["task"].done and not entry["maps"]
    n = len(entry["positions"])
    assert texts(at).count("heat-map to come") == n
    assert any("Following the gradients" in p.proto.text for p in at.get("progress"))
    assert at.button(key="sal_stop")
    gate.set()
    assert entry["task"].wait(120)
    at.run()
    no_crash(at)
    assert "heat-map to come" not in texts(at)
    assert sorted(entry["maps"]) == sorted(entry["positions"])
    assert entry["task"].result["done"] == n
    from kwk.evaluation.saliency import heatmaps
    from kwk.runs.store import Store
    pics, _ = picture_run
    positions, direct = list(entry["positions"]), {}
    train = np.setdiff1d(np.arange(len(pics)), _test_rows(run_id))[:200]
    from kwk.runs.bundle import load_bundle
    heatmaps(Store().run_dir(run_id), pics.iloc[positions], positions, pics.iloc[train], direct,
             load=load_bundle)
    for p in positions:  # the page's maps are the engine's, for the same rows
        np.testing.assert_allclose(entry["maps"][p][0], direct[p][0], atol=1e-5)
        assert entry["maps"][p][1] == direct[p][1]
    # Thumbnails big enough to read: each heat-map at least 120 px wide, on screen and in
    # pixels (a 6-pixel picture repeated pixel by pixel, not blurred by the browser).
    big = [(w, shape) for w, shape in drawn if w and w >= 120 and shape[1] >= 120]
    assert len(big) >= 2 * n  # the placeholders first, then the maps
    # Another test picture: only that one is computed.
    at.number_input(key="sal_pick").set_value(3).run()
    no_crash(at)
    e2 = at.session_state.explanations[(run_id, "saliency")]
    if e2["task"] is not entry["task"]:
        assert e2["task"].wait(120)
        assert e2["task"].result["total"] <= 1


def _test_rows(run_id):
    from kwk.runs.store import Store
    return np.asarray(Store().evaluation(run_id)["test_rows"])


@pytest.mark.slow
def test_stop_keeps_the_page_and_another_run_never_shows_these_maps(picture_run, gate):
    at, run_id = _open_evaluate(picture_run)
    entry = at.session_state.explanations[(run_id, "saliency")]
    at.button(key="sal_stop").click().run()
    no_crash(at)
    gate.set()
    assert entry["task"].wait(120)
    at.run()
    no_crash(at)
    assert entry["task"].result["stopped"] and not entry["maps"]
    assert "not drawn: stopped" in texts(at)
    assert at.button(key="sal_go")  # drawn again only when asked
    assert entry["task"].done and at.session_state.explanations[(run_id, "saliency")] is entry
    at.button(key="sal_go").click().run()
    no_crash(at)
    assert entry["task"].wait(120)
    at.run()
    assert sorted(entry["maps"]) == sorted(entry["positions"])
    # Other data loaded with the same run: the maps belong to the old rows and are dropped.
    from kwk.data.loader import LoadedData
    pics, _ = picture_run
    at.session_state.data = LoadedData(df=pics, name="d.csv", fmt="csv", fingerprint="fp",
                                       image_shape=(6, 6, 1))
    from kwk.ui.explain import _saliency_entry  # noqa: F401  (the rule under test)
    ex = at.session_state.explanations
    ex[("another-run", "saliency")] = {"fingerprint": "fp", "maps": {0: "stale"}, "task": None,
                                       "positions": None, "seen": True}
    at.run()
    no_crash(at)
    assert ("another-run", "saliency") not in at.session_state.explanations
