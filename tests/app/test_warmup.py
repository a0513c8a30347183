"""TensorFlow is loaded in the background once a page that trains is open (issue 30, item 2),
never by the data pages. Checked in a fresh interpreter: the test process may hold TensorFlow."""
import subprocess
import sys

from tests.app.test_pages import APP, FRESH, ROOT, T


def _run(code: str, **env) -> str:
    import os
    p = subprocess.run([sys.executable, "-c", FRESH + code], capture_output=True, text=True,
                       cwd=ROOT, timeout=600, env={**os.environ, **env})
    assert p.returncode == 0, p.stdout + p.stderr[-3000:]
    return p.stdout


PATH = f"""
import threading
at = AppTest.from_file({APP!r}, default_timeout={T}); at.run()
at.selectbox(key='sample_choice').set_value('churn').run(); at.button(key='use_sample').click().run()
for p in ('2_target', '3_build'):
    at.switch_page(f'pages/{{p}}.py').run()
    assert not at.exception, at.exception
names = lambda: [t.name for t in threading.enumerate()]
print('before train:', 'kwk-warmup' in names(), 'tensorflow' in sys.modules)
at.switch_page('pages/4_train.py').run()
assert not at.exception, at.exception
warm = [t for t in threading.enumerate() if t.name == 'kwk-warmup']
print('started:', bool(warm))
for t in warm:
    t.join(300)
print('loaded:', 'tensorflow' in sys.modules and 'keras' in sys.modules)
at.switch_page('pages/9_tune.py').run()
print('once:', sum(t.name == 'kwk-warmup' for t in threading.enumerate()) == 0)
"""


def test_the_train_page_loads_tensorflow_in_the_background_and_the_data_pages_do_not():
    out = _run(PATH)
    assert "before train: False False" in out, out
    assert "started: True" in out and "loaded: True" in out and "once: True" in out, out


def test_the_warm_up_can_be_turned_off():
    out = _run(PATH, KWK_WARMUP="0")
    assert "started: False" in out and "loaded: False" in out, out
