"""Issue 31: a spec becomes the session's choices one way on every page (``apply_spec``), and
replacing what the user built is asked one way (``ask_to_replace``). A page that writes its
own version of either fails here, naming the file."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "kwk" / "ui").glob("*.py"))]


def _calls(path: Path, name: str) -> list[int]:
    tree = ast.parse(path.read_text())
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call)
            and getattr(n.func, "id", getattr(n.func, "attr", None)) == name]


def test_no_page_applies_a_spec_but_through_apply_spec():
    direct = {f"{p.relative_to(ROOT)}:{line}" for p in SOURCES if p.name != "state.py"
              for name in ("use_model", "restore_modality") for line in _calls(p, name)}
    assert not direct, f"call kwk.ui.state.apply_spec instead: {sorted(direct)}"
    users = {p.name for p in SOURCES if _calls(p, "apply_spec")}
    assert {"3_build.py", "7_runs.py", "8_playground.py", "tune.py"} <= users


def test_replacing_the_stack_is_asked_one_way():
    """The question's buttons are only made by kwk/ui/confirm.py."""
    own = []
    for p in SOURCES:
        if p.name == "confirm.py":
            continue
        for n in ast.walk(ast.parse(p.read_text())):
            if (isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "button"
                    and any(isinstance(a, ast.Constant) and str(a.value).startswith(
                        ("Replace my", "Keep my")) for a in n.args)):
                own.append(f"{p.relative_to(ROOT)}:{n.lineno}")
    assert not own, f"use kwk.ui.confirm.ask_to_replace: {own}"
    assert {p.name for p in SOURCES if _calls(p, "ask_to_replace")} >= {"3_build.py",
                                                                         "transfer.py"}
