"""A zip of pictures split into train/ and test/ folders (issue 35, item 4): the class folders are
the label, a ``split`` column says which folder each picture came from, and training uses that
split (the test rows are exactly the test folder's pictures); the split column is no model input.
A zip of class folders alone reads as before."""
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from testutil import run_cli
from kwk.data import load
from kwk.data.image_profile import picture_columns
from kwk.data.images import HELD_OUT, folder_split, split_layout, with_folder_split
from kwk.data.profile import profile
from kwk.prep.prepare import prepare

BASE = {"cat": 40, "dog": 200, "bird": 120}  # each class its own brightness


def make_zip(counts: dict, root: str = "", seed: int = 0, size: int = 8) -> tuple[bytes, dict]:
    """``counts``: {split folder: {class: pictures}} (an empty split folder name: class folders
    at the top). Returns the zip's bytes and {member name: the picture's pixels}."""
    rng = np.random.default_rng(seed)
    buf, pics = io.BytesIO(), {}
    with zipfile.ZipFile(buf, "w") as zf:
        for split, classes in counts.items():
            for cls, n in classes.items():
                for i in range(n):
                    a = np.clip(BASE[cls] + rng.normal(0, 20, (size, size)), 0, 255).astype(np.uint8)
                    b = io.BytesIO()
                    Image.fromarray(a, "L").save(b, "PNG")
                    name = f"{root}{split + '/' if split else ''}{cls}/{i:03d}.png"
                    zf.writestr(name, b.getvalue())
                    pics[name] = a
    return buf.getvalue(), pics


COUNTS = {"train": {"cat": 30, "dog": 20}, "test": {"cat": 10, "dog": 6}}


def _held_out(n: int) -> int:
    """Train pictures of a class held out for validation (no validation folder): by hand."""
    return max(1, int(round(HELD_OUT * n)))


@pytest.mark.parametrize("root", ["", "pets/"])
def test_train_and_test_folders_are_the_split_and_the_class_folders_the_label(root):
    data, _ = make_zip(COUNTS, root=root)
    ld = load(data, name="pets.zip")
    df = ld.df
    assert sorted(df["label"].unique()) == ["cat", "dog"]  # not "train" / "test"
    assert df["label"].value_counts().to_dict() == {"cat": 40, "dog": 26}
    roles = df["split"].value_counts().to_dict()
    assert roles["test"] == 16  # the test folder's 10 + 6 pictures
    held = _held_out(30) + _held_out(20)
    assert roles == {"train": 50 - held, "validation": held, "test": 16}
    test = df[df["split"] == "test"]["label"].value_counts().to_dict()
    assert test == {"cat": 10, "dog": 6}
    split = folder_split(df)
    assert split["folders"] == {"train": 50, "test": 16}
    assert split["held_out"] == {"validation": held} and split["unseen"] == []
    px, label = picture_columns(df, ld.image_shape)
    assert label == "label" and len(px) == 64 and "split" not in px
    p = profile(df, name=ld.name, image_shape=ld.image_shape, notes=tuple(ld.notes))
    assert [c["label"] for c in p["images"]["classes"]] == ["cat", "dog"]
    assert p["images"]["split"]["text"].startswith(
        "This zip is split into train (50 pictures) and test (16 pictures) folders: KwK uses "
        "that split")


def test_training_tests_on_exactly_the_test_folder():
    data, pics = make_zip(COUNTS)
    ld = load(data, name="pets.zip")
    spec = {"kwk_spec": 1, "data": {"target": "label"}, "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 4}]}
    prep = prepare(ld.df, spec)
    assert prep.spec["data"]["validation_column"] == "split"
    assert prep.spec["training"]["validation"] == "column"
    assert "split" not in prep.spec["data"]["features"]
    assert prep.counts["test"] == 16
    # the test rows' pixels are the test folder's pictures, one for one
    got = sorted(r.tobytes() for r in ld.df.iloc[prep.rows["test"]].filter(like="px_")
                 .to_numpy(dtype=np.uint8))
    want = sorted(a.reshape(-1).tobytes() for n, a in pics.items() if n.startswith("test/"))
    assert got == want


def test_a_spec_of_its_own_is_kept():
    data, _ = make_zip(COUNTS)
    df = load(data, name="pets.zip").df
    kfold = {"data": {"target": "label"}, "training": {"validation": "kfold"}}
    assert with_folder_split(kfold, df) == kfold
    other = {"data": {"target": "label", "validation_column": "x"},
             "training": {"validation": "column"}}
    assert with_folder_split(other, df) == other
    plain = pd.DataFrame({"px_0": [1, 2], "label": ["a", "b"]})
    assert with_folder_split({"data": {"target": "label"}}, plain) == {"data": {"target": "label"}}


def test_a_zip_of_class_folders_only_reads_as_before():
    data, _ = make_zip({"": {"cat": 12, "dog": 9}}, root="set/")
    ld = load(data, name="pets.zip")
    assert "split" not in ld.df.columns and folder_split(ld.df) is None
    assert list(ld.df.columns) == [f"px_{i}" for i in range(64)] + ["label"]
    assert ld.df["label"].value_counts().to_dict() == {"cat": 12, "dog": 9}
    p = profile(ld.df, name=ld.name, image_shape=ld.image_shape)
    assert p["images"]["split"] is None
    assert split_layout(["set/cat/1.png", "set/dog/2.png"]) is None
    # a class called "train" beside other classes is a class, not a split
    assert split_layout(["train/1.png", "test/2.png"]) is None


def test_validation_folder_and_names_in_any_case():
    roles = split_layout(["data/Training/cat/1.png", "data/VAL/cat/2.png", "data/Testing/dog/3.png"])
    assert roles == {"data/Training/cat/1.png": "train", "data/VAL/cat/2.png": "validation",
                     "data/Testing/dog/3.png": "test"}
    data, _ = make_zip({"training": {"cat": 9, "dog": 7}, "valid": {"cat": 3, "dog": 2},
                        "Testing": {"cat": 4, "dog": 5}})
    df = load(data, name="pets.zip").df
    assert df["split"].value_counts().to_dict() == {"train": 16, "test": 9, "validation": 5}
    assert folder_split(df)["held_out"] == {}


def test_classes_only_in_test_are_named_in_a_warning():
    data, _ = make_zip({"train": {"cat": 10, "dog": 8}, "test": {"cat": 3, "dog": 2, "bird": 4}})
    ld = load(data, name="pets.zip")
    assert folder_split(ld.df)["unseen"] == ["bird"]
    p = profile(ld.df, name=ld.name, image_shape=ld.image_shape)
    said = [w["message"] for w in p["warnings"] if "none in the train folder" in w["message"]]
    assert len(said) == 1 and "'bird' (4)" in said[0]


@pytest.mark.slow
def test_cli_profile_and_train_use_the_folders(tmp_path):
    data, _ = make_zip(COUNTS)
    z = tmp_path / "pets.zip"
    z.write_bytes(data)
    p = run_cli("profile", z)
    assert p.returncode == 0, p.stderr
    prof = json.loads(p.stdout)
    assert prof["images"]["split"]["folders"] == {"train": 50, "test": 16}
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"kwk_spec": 1, "data": {"target": "label"},
                                "layers": [{"type": "Flatten"}, {"type": "Dense", "units": 4}],
                                "training": {"epochs": 2}}))
    p = run_cli("train", z, "--spec", spec, "--out", tmp_path / "m", "--quiet", timeout=600)
    assert p.returncode == 0, p.stderr
    assert "Split taken from the column 'split'" in p.stderr
    m = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert m["n_test"] == 16  # the test folder's pictures, not 15% of all
    support = {c: v["support"] for c, v in m["test"]["per_class"].items()}
    assert support == {"cat": 10, "dog": 6}
