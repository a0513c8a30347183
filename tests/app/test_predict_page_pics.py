"""The Predict page for a picture run (issue 35, item 3): pictures dropped in as PNG/JPEG files
and zips (with or without class folders) are each shown with their file name, predicted class
and probability; the predictions table and its CSV start with the file name; unreadable files
are named with the reason in words and the rest scored."""
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from tests.app.test_pages import app, goto, no_crash, texts

T = 180


def _png(a, fmt="PNG") -> bytes:
    from PIL import Image
    b = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(b, fmt)
    return b.getvalue()


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, raw in members.items():
            z.writestr(n, raw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def picture_result():
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    rng = np.random.default_rng(0)
    n = 120
    lab = rng.integers(0, 2, n)
    px = rng.normal(np.where(lab == 1, 200, 50)[:, None], 20, (n, 36)).clip(0, 255)
    df = pd.DataFrame(px, columns=[f"px_{i}" for i in range(36)])
    df["label"] = np.where(lab == 1, "light", "dark")
    spec = {"kwk_spec": 1, "data": {"target": "label", "image_shape": [6, 6, 1]},
            "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 4, "activation": "relu"}],
            "training": {"epochs": 3, "learning_rate": 0.02, "early_stopping_patience": 0}}
    return Job(prepare(df, spec)).run()


def _open_predict(result):
    from kwk.runs.service import DataSource, save_run
    from kwk.runs.store import Store
    run_id = save_run(result, DataSource(name="shots.csv", fmt="csv", fingerprint="fp",
                                         path="shots.csv"), store=Store())
    at = app()
    at.session_state.run_id = run_id
    at.session_state.modality = "images"
    at.switch_page("pages/6_predict.py").run(timeout=T)
    no_crash(at)
    return at, run_id


@pytest.mark.slow
def test_predict_page_scores_pictures_with_their_names(picture_result):
    from PIL import Image

    from kwk.runs.bundle import load_bundle
    from kwk.runs.store import Store
    at, run_id = _open_predict(picture_result)
    rng = np.random.default_rng(5)
    one = _png(rng.normal(205, 10, (12, 12)))  # another size: resized to 6x6
    loose = {"deep/down/a.jpg": _png(rng.normal(45, 10, (6, 6, 3)), "JPEG"),
             "b.png": _png(rng.normal(210, 10, (6, 6))),
             "broken.png": b"\x89PNG\r\n\x1a\nthe rest is missing"}
    sorted_ = {"light/c.png": _png(rng.normal(200, 10, (6, 6))),
               "dark/d.png": _png(rng.normal(40, 10, (6, 6)))}
    at.file_uploader(key="pred_upload_pics").set_value([
        ("one.png", one, "image/png"), ("loose.zip", _zip(loose), "application/zip"),
        ("sorted.zip", _zip(sorted_), "application/zip")]).run(timeout=T)
    no_crash(at)
    pred = at.session_state.predictions
    assert list(pred.columns) == ["file", "prediction", "proba_dark", "proba_light"]
    assert pred["file"].tolist() == ["one.png", "loose.zip/b.png", "loose.zip/deep/down/a.jpg",
                                     "sorted.zip/dark/d.png", "sorted.zip/light/c.png"]
    assert pred["prediction"].tolist() == ["light", "light", "dark", "dark", "light"]
    # The model's own probabilities on the same pixels, read here with Pillow.
    raws = [one, loose["b.png"], loose["deep/down/a.jpg"], sorted_["dark/d.png"],
            sorted_["light/c.png"]]
    X = np.stack([np.asarray(Image.open(io.BytesIO(r)).convert("L").resize((6, 6),
                  Image.BILINEAR), dtype=np.float32).reshape(-1) for r in raws])
    p1 = load_bundle(Store().run_dir(run_id)).model.predict(X, verbose=0)[:, 0]
    np.testing.assert_allclose(pred["proba_light"], p1, atol=1e-5)
    # Each picture shown with its name, class and probability; the broken one named, in words.
    captions = [c.value for c in at.caption]
    for f, c, p in zip(pred["file"], pred["prediction"], pred[["proba_dark", "proba_light"]]
                       .max(axis=1)):
        assert any(f in cap and f"**{c}** ({p:.0%})" in cap for cap in captions), f
    warn = " ".join(w.value for w in at.warning)
    assert "loose.zip/broken.png" in warn and "(OSError)" not in warn
    assert "not a picture" in warn or "damaged" in warn or "cut off" in warn
    assert len(at.get("image")) >= 5
    assert "dl_pred" in [b.key for b in at.get("download_button")] or any(
        "Download predictions" in b.proto.label for b in at.get("download_button"))


@pytest.mark.slow
def test_predict_page_refuses_a_file_that_is_not_a_picture(picture_result):
    at, _ = _open_predict(picture_result)
    at.file_uploader(key="pred_upload_pics").set_value(
        ("notes.png", b"just some text", "image/png")).run(timeout=T)
    no_crash(at)
    err = " ".join(e.value for e in at.error)
    assert "notes.png" in err and "not a picture" in err
    assert at.session_state.predictions is None
