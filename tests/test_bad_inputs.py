"""The hostile-input corpus (tests/data/bad/, listed in cases.json): every file gets a clear
message and exit status 2 on the CLI (the files KwK can handle get a note and exit 0)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kwk.cli import main
from tests.testutil import ROOT

BAD = ROOT / "tests" / "data" / "bad"
CASES = json.loads((BAD / "cases.json").read_text())
SPEC = {"kwk_spec": 1, "data": {"target": "label"},
        "layers": [{"type": "Dense", "units": 4}],
        "training": {"epochs": 1, "early_stopping_patience": 0}}


def test_corpus_is_large_and_complete():
    refused = [c for c in CASES if c["exit"] == 2]
    assert len({c["file"] for c in refused}) >= 25
    listed = {c["file"] for c in CASES}
    on_disk = {p.name for p in BAD.iterdir() if p.name not in ("cases.json", "make_corpus.py")}
    assert on_disk - {"ok_table.csv"} == listed, on_disk ^ listed


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("spec") / "spec.json"
    p.write_text(json.dumps(SPEC))
    return p


@pytest.fixture(scope="module")
def ok_bundle(tmp_path_factory, spec_file):
    out = tmp_path_factory.mktemp("bundle") / "model"
    assert main(["train", str(BAD / "ok_table.csv"), "--spec", str(spec_file), "--out", str(out),
                 "--quiet"]) == 0
    return out


def _argv(case, spec_file, tmp_path, ok_bundle=None):
    f = str(BAD / case["file"])
    out = str(tmp_path / "out")
    if case["cmd"] == "profile":
        return ["profile", f] + (["--sheet", case["sheet"]] if case.get("sheet") else [])
    if case["cmd"] == "train":
        return ["train", f, "--spec", str(spec_file), "--out", out, "--quiet"]
    if case["cmd"] == "spec":
        return ["train", str(BAD / "ok_table.csv"), "--spec", f, "--out", out, "--quiet"]
    return ["predict", str(ok_bundle), f, "--out", str(tmp_path / "pred.csv")]


@pytest.mark.parametrize("case", [c for c in CASES if c["cmd"] != "predict" and c["exit"] == 2],
                         ids=lambda c: c["file"] + ("@" + c["sheet"] if c.get("sheet") else ""))
def test_bad_file_is_refused_with_a_message(case, spec_file, tmp_path, capsys):
    code = main(_argv(case, spec_file, tmp_path))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and case["expect"] in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing half-written


@pytest.mark.slow
def test_predict_with_missing_columns(ok_bundle, spec_file, tmp_path, capsys):
    case = next(c for c in CASES if c["cmd"] == "predict")
    assert main(_argv(case, spec_file, tmp_path, ok_bundle)) == 2
    err = capsys.readouterr().err
    assert "lacks 1 column(s) the model needs: x2" in err
    assert not (tmp_path / "pred.csv").exists()


def test_utf16_with_byte_order_mark_is_read(capsys):
    assert main(["profile", str(BAD / "utf16.csv")]) == 0
    p = json.loads(capsys.readouterr().out)
    assert p["rows"] == 120 and [c["name"] for c in p["columns_info"]] == ["x1", "x2", "label"]


@pytest.mark.slow
def test_infinities_become_missing_with_a_note(spec_file, tmp_path, capsys):
    assert main(["train", str(BAD / "infinities.csv"), "--spec", str(spec_file),
                 "--out", str(tmp_path / "m"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "Column 'x1' has 18 infinite value(s)" in err and "treated as missing" in err


def test_exit_status_of_the_real_process(spec_file, tmp_path):
    """The in-process calls above return 2; the process does too, with no traceback."""
    for f in ("zip_bomb.zip", "ragged_rows.csv"):
        p = subprocess.run([sys.executable, "-m", "kwk", "profile", str(BAD / f)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and p.stderr.startswith("error: ") and "Traceback" not in p.stderr


def test_zip_is_never_extracted(tmp_path, monkeypatch):
    """The traversal archive must not create files anywhere, even in the working folder."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(BAD / "zip_traversal.zip", tmp_path)
    assert main(["profile", "zip_traversal.zip"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zip_traversal.zip"]
    assert not Path("/tmp/kwk_pwned").exists()
