"""The profile of pictures (issue 35, item 2): classes, sizes, duplicates, blanks and unreadable
files of a zip of class folders or a pixel CSV, not one card and warning per pixel column."""
import io
import zipfile
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from kwk.data import load
from kwk.data.image_profile import picture_columns, picture_label, pixel_columns
from kwk.data.profile import profile, profile_table
from kwk.data.samples import SAMPLES


def _png(a: np.ndarray) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(a.astype(np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def _shape(cls: str, rng, side: int = 28) -> np.ndarray:
    """A grey picture of a drawn shape on a dark background."""
    from PIL import Image, ImageDraw
    im = Image.new("L", (side, side), int(rng.integers(0, 30)))
    d = ImageDraw.Draw(im)
    a, b = int(rng.integers(2, 7)), side - int(rng.integers(2, 7))
    ink = int(rng.integers(150, 256))
    if cls == "circle":
        d.ellipse([a, a, b, b], outline=ink, width=2)
    elif cls == "square":
        d.rectangle([a, a, b, b], outline=ink, width=2)
    else:
        d.polygon([(side // 2, a), (a, b), (b, b)], outline=ink)
    return np.asarray(im)


def make_zip(counts=None, across=True, within=True, blank=True, broken=True, seed=0):
    """A zip of class folders with known flaws. Returns (bytes, {member: picture or None})."""
    rng = np.random.default_rng(seed)
    counts = counts or {"circle": 40, "square": 30, "triangle": 20}
    members = {}
    for cls, n in counts.items():
        for i in range(n):
            members[f"shapes/{cls}/{i:03d}.png"] = _shape(cls, rng)
    if across:  # the same picture filed as a circle and as a square
        members["shapes/square/dup_of_circle.png"] = members["shapes/circle/000.png"]
    if within:
        members["shapes/triangle/copy.png"] = members["shapes/triangle/001.png"]
    if blank:
        members["shapes/circle/blank.png"] = np.full((28, 28), 7, dtype=np.uint8)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, a in members.items():
            zf.writestr(name, _png(a))
        if broken:
            zf.writestr("shapes/square/broken.png", b"\x89PNG\r\n\x1a\n not really a picture")
            members["shapes/square/broken.png"] = None
    return buf.getvalue(), members


@pytest.fixture(scope="module")
def flawed():
    data, members = make_zip()
    ld = load(data, name="shapes.zip")
    return ld, members, profile(ld.df, image_shape=ld.image_shape, notes=ld.notes,
                                name=ld.name)


def test_classes_counted_from_the_folders(flawed):
    ld, members, prof = flawed
    want = Counter(n.split("/")[1] for n, a in members.items() if a is not None)
    got = {c["label"]: c["pictures"] for c in prof["images"]["classes"]}
    assert got == dict(want)
    assert sum(got.values()) == prof["rows"] == len(ld.df)
    assert prof["images"]["shape"] == [28, 28, 1] and prof["images"]["colour"] == "grey"
    shares = {c["label"]: c["share"] for c in prof["images"]["classes"]}
    assert shares["triangle"] == pytest.approx(want["triangle"] / sum(want.values()))


def test_brightness_and_contrast_per_class_match_pandas(flawed):
    ld, _, prof = flawed
    px = [c for c in ld.df.columns if c.startswith("px_")]
    x = ld.df[px].to_numpy(dtype=float)
    frame = pd.DataFrame({"label": ld.df["label"], "b": x.mean(axis=1), "k": x.std(axis=1)})
    by = frame.groupby("label")
    for c in prof["images"]["classes"]:
        assert c["brightness_mean"] == pytest.approx(by["b"].mean()[c["label"]], rel=1e-5)
        assert c["brightness_sd"] == pytest.approx(by["b"].std()[c["label"]], rel=1e-4)
        assert c["contrast_mean"] == pytest.approx(by["k"].mean()[c["label"]], rel=1e-4)


def test_duplicates_within_and_across_classes_found(flawed):
    ld, _, prof = flawed
    px = [c for c in ld.df.columns if c.startswith("px_")]
    x, lab = ld.df[px].to_numpy(), ld.df["label"].to_numpy()
    pairs = [(i, j) for i in range(len(x)) for j in range(i + 1, len(x))
             if np.array_equal(x[i], x[j])]  # brute force, independent of the hashing
    dups = prof["images"]["duplicates"]
    assert dups["across"] == sum(lab[i] != lab[j] for i, j in pairs) == 1
    assert dups["within"] == sum(lab[i] == lab[j] for i, j in pairs) == 1
    assert prof["duplicate_rows"] == len(pairs) == 2
    g = next(g for g in dups["groups"] if g["across"])
    assert sorted(g["labels"]) == ["circle", "square"]
    i, j = g["rows"]
    assert np.array_equal(x[i], x[j])
    msgs = " ".join(w["message"] for w in prof["warnings"])
    assert "1 picture(s) appear in more than one class" in msgs and "labelling mistake" in msgs
    assert "1 exact duplicate picture(s) within a class" in msgs


def test_blank_and_unreadable_pictures_found(flawed):
    ld, _, prof = flawed
    px = [c for c in ld.df.columns if c.startswith("px_")]
    x = ld.df[px].to_numpy(dtype=float)
    blank = np.flatnonzero(np.ptp(x, axis=1) == 0)  # the one flat picture we made
    assert prof["images"]["blank"]["count"] == len(blank) == 1
    assert prof["images"]["blank"]["rows"] == blank.tolist()
    assert prof["images"]["unreadable"] == 1
    msgs = [w["message"] for w in prof["warnings"]]
    assert any(m.startswith(f"1 near-blank picture(s) (almost a single colour, e.g. row {blank[0]})")
               for m in msgs)
    assert any("1 file(s) in the zip could not be read" in m for m in msgs)


def test_no_per_pixel_warnings_and_few_of_them(flawed):
    ld, _, prof = flawed
    assert len(profile_table(ld.df)["warnings"]) > 100  # what the page showed before
    assert 1 <= len(prof["warnings"]) <= 6
    assert not any("px_" in w["message"] for w in prof["warnings"])
    assert prof["correlations"]["columns"] == []
    label = prof["columns_info"][0]
    assert label["name"] == "label" and label["kind"] == "categorical"
    assert all(c["kind"] == "numeric" for c in prof["columns_info"][1:])  # as the model reads them


def test_clean_zip_has_no_warnings_and_a_rare_class_is_named():
    data, _ = make_zip({"a": 30, "b": 30, "c": 30}, across=False, within=False, blank=False,
                       broken=False)
    ld = load(data, name="clean.zip")
    assert profile(ld.df, image_shape=ld.image_shape, notes=ld.notes)["warnings"] == []
    data, _ = make_zip({"a": 60, "b": 60, "c": 5}, across=False, within=False, blank=False,
                       broken=False)
    ld = load(data, name="rare.zip")
    msgs = [w["message"] for w in profile(ld.df, image_shape=ld.image_shape)["warnings"]]
    assert len(msgs) == 1 and "the rarest class 'c' is only 4.0% of rows" in msgs[0]  # 5/125


def test_pixel_csv_profiled_as_pictures_and_its_label_found():
    df = SAMPLES["digits"].load()
    assert picture_label(df) == "digit" and picture_label(df, (8, 8, 1)) == "digit"
    prof = profile(df, image_shape=(8, 8, 1))
    got = {c["label"]: c["pictures"] for c in prof["images"]["classes"]}
    assert got == {str(k): int(v) for k, v in df["digit"].value_counts().items()}
    assert [c["label"] for c in prof["images"]["classes"]] == [str(d) for d in range(10)]
    px = df.drop(columns="digit").to_numpy()
    assert prof["images"]["value_range"] == [float(px.min()), float(px.max())]
    # without the shape: px_ columns are pictures, the shape guessed from their number
    assert profile(df)["images"]["shape"] == [8, 8, 1]
    # numbered pixels under other names, the shape known: the numeric label found by its name
    other = df.rename(columns={f"px_{i}": f"pixel{i}" for i in range(64)})
    assert picture_columns(other, (8, 8, 1)) == ([f"pixel{i}" for i in range(64)], "digit")
    assert picture_columns(other) is None  # a table of numbers is not taken for pictures


def test_tables_keep_the_table_profile():
    df = SAMPLES["digits"].load()
    df["age"] = np.arange(len(df))  # a table with pictures: two non-pixel columns
    assert "images" not in profile(df)
    assert picture_columns(pd.DataFrame({"a": [1, 2], "b": [3, 4]})) is None
    # another target than the label: the table profile (its target warnings)
    assert "images" not in profile(SAMPLES["digits"].load(), target="px_10")


def test_one_pixel_rule_shared_with_the_spec():
    from kwk.spec import choices
    assert choices.pixel_columns is pixel_columns


def test_cli_profile_of_a_picture_zip_profiles_the_pictures(tmp_path):
    """`kwk profile shapes.zip --target label` gives the pictures' profile with the shape the
    reader found (not a square guessed from the pixel count) and no per-pixel screening."""
    import json

    from tests.testutil import run_cli
    data, _ = make_zip(broken=False)
    (tmp_path / "shapes.zip").write_bytes(data)
    r = run_cli("profile", tmp_path / "shapes.zip", "--target", "label", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    p = json.loads(r.stdout)
    assert "images" in p and "screening" not in p
    assert not any("px_" in w["message"] for w in p["warnings"])
