"""`python -m kwk predict RUN PICTURES --out P.csv` for a picture run (issue 35, item 3): one PNG,
one JPEG, a zip with class folders, a zip of loose pictures at any depth, a broken file among
them and a file that is not a picture. The probabilities are the model's own on the same
pixels, read here with Pillow independently of KwK."""
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from kwk.cli import main

SIZE = (8, 10)  # height, width the run is trained at


def _png(a: np.ndarray, fmt="PNG") -> bytes:
    from PIL import Image
    b = io.BytesIO()
    Image.fromarray(a.astype(np.uint8)).save(b, fmt)
    return b.getvalue()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from kwk.data.loader import load
    from kwk.runs.service import DataSource, save_run
    from kwk.prep.prepare import prepare
    from kwk.training import Job
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for cls, level in (("dark", 40), ("light", 200)):
            for i in range(30):
                z.writestr(f"{cls}/{i}.png", _png(np.clip(rng.normal(level, 25, SIZE), 0, 255)))
    d = tmp_path_factory.mktemp("pics_run")
    (d / "train.zip").write_bytes(buf.getvalue())
    ld = load(str(d / "train.zip"))
    spec = {"kwk_spec": 1, "data": {"target": "label", "image_shape": list(ld.image_shape)},
            "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 4, "activation": "relu"}],
            "training": {"epochs": 3, "early_stopping_patience": 0}}
    res = Job(prepare(ld.df, spec)).run()
    return save_run(res, DataSource(name=ld.name, fmt=ld.fmt, fingerprint=ld.fingerprint,
                                    path=str(d / "train.zip")), out_dir=d / "run", script=False)


def _expected(run_dir, raws: list[bytes]) -> np.ndarray:
    """The model's own probabilities for pictures read by Pillow at the training size."""
    from PIL import Image

    from kwk.runs.bundle import load_bundle
    b = load_bundle(run_dir)
    X = np.stack([np.asarray(Image.open(io.BytesIO(r)).convert("L").resize(
        (SIZE[1], SIZE[0]), Image.BILINEAR), dtype=np.float32).reshape(-1) for r in raws])
    p = np.asarray(b.model.predict(X, verbose=0), dtype=float)
    return np.column_stack([1 - p[:, 0], p[:, 0]]) if p.shape[1] == 1 else p


def _predict(run_dir, path, tmp_path, capsys):
    out = tmp_path / "p.csv"
    rc = main(["predict", str(run_dir), str(path), "--out", str(out)])
    err = capsys.readouterr().err
    return rc, (pd.read_csv(out) if out.exists() else None), err


def test_one_png_and_one_jpeg(run_dir, tmp_path, capsys):
    rng = np.random.default_rng(1)
    light = _png(np.clip(rng.normal(205, 10, (20, 16)), 0, 255))  # another size: resized
    dark = _png(np.clip(rng.normal(35, 10, (8, 10, 3)), 0, 255), "JPEG")  # colour: to grey
    for name, raw, cls in (("new light.png", light, "light"), ("dark.jpg", dark, "dark")):
        (tmp_path / name).write_bytes(raw)
        rc, df, err = _predict(run_dir, tmp_path / name, tmp_path, capsys)
        assert rc == 0, err
        assert list(df.columns) == ["file", "prediction", "proba_dark", "proba_light"]
        assert df["file"].tolist() == [name] and df["prediction"].tolist() == [cls]
        np.testing.assert_allclose(df[["proba_dark", "proba_light"]].to_numpy(),
                                   _expected(run_dir, [raw]), atol=1e-5)


@pytest.mark.parametrize("folders", [True, False])
def test_zip_with_and_without_class_folders(run_dir, tmp_path, capsys, folders):
    rng = np.random.default_rng(2)
    members = {}
    for i in range(3):
        members[("light/" if folders else "deep/er/") + f"l{i}.png"] = \
            _png(np.clip(rng.normal(200, 20, SIZE), 0, 255))
        members[("dark/" if folders else "") + f"d{i}.jpg"] = \
            _png(np.clip(rng.normal(40, 20, SIZE), 0, 255), "JPEG")
    members["__MACOSX/._d0.jpg"] = b"metadata"  # skipped, as in training
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, raw in members.items():
            z.writestr(n, raw)
        z.writestr("broken.png", b"\x89PNG\r\n\x1a\nnot the rest of a png")
        z.writestr("readme.txt", "not a picture, not scored")
    (tmp_path / "new.zip").write_bytes(buf.getvalue())
    rc, df, err = _predict(run_dir, tmp_path / "new.zip", tmp_path, capsys)
    assert rc == 0, err
    pictures = sorted(n for n in members if not n.startswith("__"))
    assert sorted(df["file"]) == pictures
    assert list(df.columns[:2]) == ["file", "prediction"]
    base = df["file"].str.split("/").str[-1]
    assert df.loc[base.str.startswith("l"), "prediction"].eq("light").all()
    assert df.loc[base.str.startswith("d"), "prediction"].eq("dark").all()
    raws = [members[n] for n in df["file"]]
    np.testing.assert_allclose(df[["proba_dark", "proba_light"]].to_numpy(),
                               _expected(run_dir, raws), atol=1e-5)
    assert "broken.png" in err and "OSError" not in err and "could not be read" in err
    assert "damaged" in err or "not a picture" in err


def test_a_file_that_is_not_a_picture(run_dir, tmp_path, capsys):
    (tmp_path / "notes.png").write_bytes(b"hello, I am text")
    rc, df, err = _predict(run_dir, tmp_path / "notes.png", tmp_path, capsys)
    assert rc == 2 and df is None
    assert err.startswith("error: ") and "notes.png" in err and "not a picture" in err
    assert "Traceback" not in err
    (tmp_path / "empty.zip").write_bytes(_zip({"a.txt": b"no pictures"}))
    rc, _, err = _predict(run_dir, tmp_path / "empty.zip", tmp_path, capsys)
    assert rc == 2 and err.startswith("error: ") and "Traceback" not in err


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, raw in members.items():
            z.writestr(n, raw)
    return buf.getvalue()


def test_unreadable_training_pictures_are_named_with_a_reason():
    """item 9's note: every skipped file named, with a reason in words, never '(OSError)'."""
    from kwk.data.images import read_image_zip
    rng = np.random.default_rng(3)
    members = {f"{c}/{i}.png": _png(np.clip(rng.normal(m, 20, SIZE), 0, 255))
               for c, m in (("a", 50), ("b", 200)) for i in range(3)}
    members["a/bad1.png"] = b"\x89PNG\r\n\x1a\ngarbage"
    members["b/bad2.jpg"] = _png(np.zeros(SIZE), "JPEG")[:40]  # cut off
    ld = read_image_zip(_zip(members), "x.zip", "fp")
    note = " ".join(ld.notes)
    assert "a/bad1.png" in note and "b/bad2.jpg" in note and "(OSError)" not in note
    assert len(ld.df) == 6
