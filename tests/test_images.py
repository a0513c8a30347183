"""Pictures: pixel-column tables with data.image_shape and zips of class folders train CNNs on
the CLI, and the generated script reproduces them."""
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from testutil import run_cli
from kwk.errors import SpecError
from kwk.data.samples import SAMPLES
from kwk.spec import normalize, resolve
from kwk.catalog.presets import TEMPLATES

CNN = TEMPLATES["Small CNN (images)"]["layers"]


def test_image_shape_is_validated():
    with pytest.raises(SpecError, match=r"data.image_shape must be \[height, width, channels\]"):
        normalize({"data": {"target": "y", "image_shape": [8, 8]}})
    with pytest.raises(SpecError, match="the limit is 1,000,000"):
        normalize({"data": {"target": "y", "image_shape": [2000, 2000, 3]}})
    df = SAMPLES["digits"].load()
    with pytest.raises(SpecError, match="needs 100 pixel columns but 64 are given"):
        resolve({"data": {"target": "digit", "image_shape": [10, 10, 1]}}, df)
    spec, notes = resolve({"data": {"target": "digit", "image_shape": [8, 8, 1]}}, df)
    assert spec["data"]["features"] == [f"px_{i}" for i in range(64)]  # constant borders kept
    assert "8×8 grayscale images" in notes[-1]


def _check_script(out, data, tmp_path):
    p = subprocess.run([sys.executable, str(out / "train_script.py"), str(data), str(tmp_path / "s")],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    ours = json.loads((out / "metrics.json").read_text())["test"]
    theirs = json.loads((tmp_path / "s" / "script_metrics.json").read_text())
    theirs = theirs.get("test", theirs)
    assert abs(ours["balanced_accuracy"] - theirs["balanced_accuracy"]) < 1e-6
    return ours


@pytest.mark.slow
def test_digits_cnn_reaches_095_and_the_script_reproduces_it(tmp_path):
    data = tmp_path / "digits.csv"
    SAMPLES["digits"].load().to_csv(data, index=False)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"kwk_spec": 1, "data": {"target": "digit", "image_shape": [8, 8, 1]},
                                "layers": CNN, "training": {"epochs": 40, "learning_rate": 0.003}}))
    p = run_cli("train", data, "--spec", spec, "--out", tmp_path / "m", "--quiet", timeout=900)
    assert p.returncode == 0, p.stderr
    ours = _check_script(tmp_path / "m", data, tmp_path)
    assert ours["accuracy"] >= 0.95
    # The saved Keras model scales the pictures itself: raw pixel values in, classes out,
    # the same as KwK's own prediction (which adds nothing for pictures).
    import keras
    from kwk.runs.bundle import load_bundle
    model = keras.saving.load_model(tmp_path / "m" / "model.keras")
    assert type(model.get_layer("0_rescale")).__name__ == "Rescaling"
    rows = SAMPLES["digits"].load().iloc[:200]
    raw = rows[[f"px_{i}" for i in range(64)]].to_numpy(dtype="float32")
    direct = model.predict(raw, verbose=0).argmax(axis=1)
    b = load_bundle(tmp_path / "m")
    assert [b.pre.classes[i] for i in direct] == b.predict(rows)["prediction"].tolist()
    assert (np.array(b.pre.classes)[direct] == rows["digit"].astype(str).to_numpy()).mean() > 0.9


@pytest.mark.slow
def test_zip_of_class_folders_trains_and_the_script_reads_it_the_same_way(tmp_path):
    from PIL import Image
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for cls, pattern in (("stripes", 0), ("dots", 1)):
            for i in range(30):
                a = np.zeros((14, 14), np.uint8)
                if pattern == 0:
                    a[::3, :] = 220
                else:
                    a[rng.integers(0, 14, 20), rng.integers(0, 14, 20)] = 220
                a = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
                b = io.BytesIO()
                Image.fromarray(a).resize((16 if i % 5 == 0 else 14, 14)).save(b, "PNG")
                z.writestr(f"set/{cls}/{i:02d}.png", b.getvalue())
        z.writestr("__MACOSX/set/._x.png", b"junk")
    data = tmp_path / "pictures.zip"
    data.write_bytes(buf.getvalue())
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"kwk_spec": 1, "data": {"target": "label"}, "layers": CNN,
                                "training": {"epochs": 15, "learning_rate": 0.003}}))
    p = run_cli("train", data, "--spec", spec, "--out", tmp_path / "m", "--quiet", timeout=900)
    assert p.returncode == 0, p.stderr
    assert "resized to 14×14" in p.stderr
    saved = json.loads((tmp_path / "m" / "spec.json").read_text())
    assert saved["data"]["image_shape"] == [14, 14, 1]
    ours = _check_script(tmp_path / "m", data, tmp_path)
    assert ours["accuracy"] >= 0.8
    pred = tmp_path / "pred.csv"
    p = run_cli("predict", tmp_path / "m", data, "--out", pred)
    assert p.returncode == 0, p.stderr
    assert len(pd.read_csv(pred)) == 60
