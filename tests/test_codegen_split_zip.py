"""The generated script of a run trained on a zip split into train/ and test/ folders reads the
same split (issue 35, item 4, and 'every file handed to a user is verified'): it ran into a
KeyError on the split column before."""
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest


def _zip(path):
    from PIL import Image
    rng = np.random.default_rng(3)
    with zipfile.ZipFile(path, "w") as z:
        for split, n in (("train", 24), ("test", 8)):
            for cls, level in (("dark", 50), ("light", 200)):
                for i in range(n if cls == "dark" else n - 2):
                    b = io.BytesIO()
                    Image.fromarray(np.clip(rng.normal(level, 25, (10, 10)), 0, 255)
                                    .astype(np.uint8)).save(b, "PNG")
                    z.writestr(f"pics/{split}/{cls}/{i}.png", b.getvalue())


@pytest.mark.slow
def test_the_script_of_a_folder_split_zip_reproduces_the_run(tmp_path):
    from kwk.data import load
    from kwk.runs.service import DataSource, save_run
    from kwk.spec.resolving import resolve  # noqa: F401  (the CLI's path: with_folder_split)
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    data = tmp_path / "pics.zip"
    _zip(data)
    ld = load(str(data))
    assert "split" in ld.df.columns
    from kwk.data.images import with_folder_split
    spec = with_folder_split({"kwk_spec": 1, "data": {"target": "label", "image_shape": [10, 10, 1]},
                              "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 8, "activation": "relu"}],
                              "training": {"epochs": 5, "early_stopping_patience": 0}}, ld.df)
    assert spec["data"]["validation_column"] == "split"
    res = Job(prepare(ld.df, spec)).run()
    run = save_run(res, DataSource.of(ld, path=str(data)), out_dir=tmp_path / "run")
    assert res.prepared.counts["test"] == 8 + 6  # the test folder's pictures
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, str(run / "train_script.py"), str(data), str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    got = json.loads((out / "script_metrics.json").read_text())
    want = json.loads((run / "metrics.json").read_text())["test"]
    for k in ("accuracy", "balanced_accuracy", "log_loss"):
        assert got[k] == pytest.approx(want[k], abs=1e-4), k
