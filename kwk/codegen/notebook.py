"""A run's training script as a Jupyter notebook, in the keras-io style.

The script is the one the run keeps (``templates/train_script.py.jinja``, rendered again from
the run's spec and recorded data source when it has one, else its ``train_script.py``). Its
literate structure gives the cells: the script is parsed (``ast``), the title docstring becomes
the title cell, every top-level ``\"\"\"## Section ...\"\"\"`` block a markdown cell, and the code
between them code cells, with each copied helper function in a cell of its own. The only code
that changes: settings read from the command line (``sys.argv``) take their default, as a
notebook has no command line of its own.

    notebook_from_script(script) -> nbformat notebook

A run folder's notebook (its script found, the file written) is :mod:`kwk.runs.notebook`.
"""
from __future__ import annotations

import ast
import re
import textwrap

from kwk.errors import KwkError


def notebook_from_script(script: str, data_path: str | None = None):
    """A keras-io style script (title docstring, ``## Section`` docstrings) -> an nbformat v4
    notebook. ``data_path``: the data file the notebook reads (default: the script's)."""
    try:
        import nbformat
        from nbformat import v4
    except ImportError:
        raise KwkError("Writing a notebook needs the nbformat package.", "pip install nbformat")
    tree = ast.parse(script)
    lines = script.splitlines()
    lines = _argv_defaults(tree, lines, data_path)
    cells, start = [], 1  # start: the first line (1-based) not yet in a cell
    body = tree.body
    for i, node in enumerate(body):
        if _is_prose(node):
            cells += _code_cells(lines, start, node.lineno - 1, body)
            text = textwrap.dedent(node.value.value).strip("\n")
            cells.append(v4.new_markdown_cell(_title(text) if i == 0 else text.strip()))
            start = node.end_lineno + 1
    cells += _code_cells(lines, start, len(lines), body)
    nb = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "kwk": {"generated_from": "the run's training script (kwk.codegen.notebook)"}})
    nbformat.validate(nb)
    return nb


def notebook_bytes(run_dir, data_path: str | None = None) -> bytes:
    """Kept until pages/6_predict.py imports :func:`kwk.runs.notebook.notebook_bytes`, its
    home (the one upward import .importlinter still ignores for codegen)."""
    from kwk.runs.notebook import notebook_bytes as run_notebook
    return run_notebook(run_dir, data_path)


# ------------------------------------------------------------------------------ the pieces
def _is_prose(node) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _argv_defaults(tree, lines: list[str], data_path: str | None) -> list[str]:
    """``NAME = sys.argv[k] if len(sys.argv) > k else DEFAULT`` -> ``NAME = DEFAULT`` (the
    kernel's own arguments are no data path). Lines stay one for one with the script's (the
    rest of a multi-line assignment becomes None)."""
    out = list(lines)
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.IfExp)
                and "sys.argv" in ast.unparse(node.value.test)):
            continue
        name = node.targets[0].id
        default = ast.get_source_segment("\n".join(lines), node.value.orelse)
        if name == "DATA_PATH":
            value = repr(str(data_path)) if data_path else default
            new = f"{name} = {value}  # the data file; change it to read another copy"
        else:
            new = f"{name} = {default}"
        out[node.lineno - 1] = new
        for k in range(node.lineno, node.end_lineno):
            out[k] = None  # a multi-line assignment becomes one line
    return out


def _code_cells(lines: list[str], first: int, last: int, body) -> list:
    """Code cells for lines ``first..last`` (1-based, inclusive): one per top-level function
    or class (with the comments just above it), one per stretch of code between them."""
    from nbformat import v4
    if first > last:
        return []
    cuts = {first, last + 1}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            while top - 1 >= first and (lines[top - 2] or "").lstrip().startswith("#"):
                top -= 1
            if first <= top <= last:
                cuts.update({top, node.end_lineno + 1})
    cuts = sorted(c for c in cuts if first <= c <= last + 1)
    cells = []
    for a, b in zip(cuts, cuts[1:]):
        src = "\n".join(ln for ln in lines[a - 1:b - 1] if ln is not None).strip("\n")
        if src.strip():
            cells.append(v4.new_code_cell(src))
    return cells


def _title(text: str) -> str:
    """The script's title docstring (``Title:``, ``Generated by:``, ``Description:`` and
    prose) -> the notebook's first cell, as keras-io writes it."""
    head, _, prose = text.partition("\n\n")
    fields = dict(re.findall(r"^(\w[\w ]*):\s*(.*)$", head, flags=re.M))
    title = fields.pop("Title", "A KwK training notebook")
    lines = [f"# {title}", ""] + [f"**{k}:** {v}<br>" for k, v in fields.items()]
    prose = prose.replace("This script is standalone", "This notebook is standalone")
    prose = re.sub(r"Run it with `python [^`]*`(\s*\(needs ([^)]*)\))?",
                   lambda m: "Run the cells in order" + (f"; it needs {m.group(2)}" if
                                                           m.group(2) else "") +
                   " (`DATA_PATH` under *Settings* names the data file)", prose)
    return "\n".join(lines).removesuffix("<br>") + ("\n\n" + prose.strip() if prose.strip() else "")
