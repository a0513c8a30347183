"""Issue 30 (clicks): with a server, the landing page starts importing what the first file
needs in the background, so the first upload does not pay pandas', SciPy's and plotly's
imports; never under AppTest (the landing page still draws without pandas there)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CODE = """
import sys
from kwk.ui import runtime
print('before:', 'pandas' in sys.modules, 'scipy.stats' in sys.modules)
print('apptest:', runtime.warm_data_stack())
runtime.served = lambda: True   # as under a Streamlit server
t = runtime.warm_data_stack()
t.join()
print('again:', runtime.warm_data_stack())
print('after:', all(m in sys.modules for m in runtime.DATA_STACK))
"""


def test_the_data_stack_is_imported_in_the_background_once():
    p = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, cwd=ROOT,
                       timeout=600, env={**__import__("os").environ, "KWK_WARMUP": "1"})
    out = p.stdout
    assert "before: False False" in out, out + p.stderr[-2000:]
    assert "apptest: None" in out and "again: None" in out, out + p.stderr[-2000:]
    assert "after: True" in out, out + p.stderr[-2000:]


def test_the_warm_up_thread_keeps_the_process_priority(monkeypatch):
    """The warm-up holds the import lock of each module it imports and a page importing the
    same module waits for it: a lowered priority (nice 19) starved the Data page beside a busy
    loop (a sample never drew within 2 minutes). It must not lower its own priority."""
    import os

    from kwk.ui import runtime
    calls = []
    monkeypatch.setattr(os, "setpriority", lambda *a: calls.append(a), raising=False)
    monkeypatch.setattr(os, "nice", lambda *a: calls.append(a) or 0, raising=False)
    monkeypatch.setattr(runtime, "DATA_STACK", ("json",))
    monkeypatch.setattr(runtime, "WARM_UP_AFTER_S", 0)
    runtime._import_data_stack()
    assert calls == []
