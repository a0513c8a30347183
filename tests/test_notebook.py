"""The training notebook (python -m kwk notebook): built from the run's script, it runs under
a real Jupyter kernel (nbclient) and reproduces the run's test metrics."""
import ast
import json
import shutil

import nbformat
import pytest

from testutil import run_cli, tiny_spec


@pytest.fixture(scope="module")
def run(tmp_path_factory, churn_df):
    """A tiny binary run with categories, missing numbers and a date, trained by the CLI."""
    from kwk.cli import main
    d = tmp_path_factory.mktemp("notebook")
    churn_df.head(300).to_csv(d / "churn.csv", index=False)
    (d / "spec.json").write_text(json.dumps(tiny_spec("churned", epochs=3)))
    assert main(["train", str(d / "churn.csv"), "--spec", str(d / "spec.json"),
                 "--out", str(d / "run"), "--quiet"]) == 0
    return d


def _code_without_prose_and_argv(script: str) -> str:
    """The script's statements as the notebook should hold them: prose blocks dropped, settings
    read from the command line replaced by their defaults."""
    tree = ast.parse(script)
    body = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            continue
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.IfExp) \
                and "sys.argv" in ast.unparse(node.value.test):
            node = ast.Assign(targets=node.targets, value=node.value.orelse, lineno=0)
        body.append(node)
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def test_cells_follow_the_scripts_sections_and_hold_all_its_code(run):
    from kwk.runs.notebook import notebook_bytes
    nb = nbformat.reads(notebook_bytes(run / "run").decode(), as_version=4)
    nbformat.validate(nb)
    script = (run / "run" / "train_script.py").read_text()
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# Predict churned")
    assert "**Description:**" in first.source and "python train_script.py" not in first.source
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"][1:]
    in_script = [ln for ln in script.splitlines() if ln.startswith("## ")]
    assert headings == in_script and "## Train" in headings
    code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "sys.argv" not in code
    assert ast.dump(ast.parse(code)) == _code_without_prose_and_argv(script)
    # each function is a cell of its own, so the steps read in short cells
    defs = [ast.parse(c.source).body for c in nb.cells if c.cell_type == "code"
            and "\ndef " in "\n" + c.source]
    assert len(defs) >= 5 and all(len(body) == 1 for body in defs)
    assert any(isinstance(b[0], ast.FunctionDef) and b[0].name == "split_indices" for b in defs)
    assert max(len(c.source.splitlines()) for c in nb.cells if c.cell_type == "code") < 120


@pytest.mark.slow  # a Jupyter kernel that imports TensorFlow and trains: ~20 s
def test_notebook_runs_and_reproduces_the_runs_metrics(run, tmp_path):
    from nbclient import NotebookClient
    out = tmp_path / "train.ipynb"
    r = run_cli("notebook", run / "run", "--out", out, "--data", run / "churn.csv")
    assert r.returncode == 0, r.stderr
    nb = nbformat.read(out, as_version=4)
    work = tmp_path / "work"
    work.mkdir()
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(work)}}).execute()
    mine = json.loads((work / "script_metrics.json").read_text())
    app = json.loads((run / "run" / "metrics.json").read_text())["test"]
    assert mine and set(mine) <= set(app)
    for k, v in mine.items():
        assert v == pytest.approx(app[k], rel=1e-3, abs=1e-3), k
    assert (work / "model.keras").exists()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "Saved model.keras" in printed


def test_a_run_without_a_script_says_why(run, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(run / "run", bare)
    (bare / "train_script.py").unlink()
    r = run_cli("notebook", bare, "--out", tmp_path / "x.ipynb")
    assert r.returncode == 2 and "has no training script" in r.stderr
    assert not (tmp_path / "x.ipynb").exists()
    r = run_cli("notebook", tmp_path / "missing", "--out", tmp_path / "x.ipynb")
    assert r.returncode == 2 and "is not a run folder" in r.stderr
