"""Helpers shared by the engine tests."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tiny_spec(target, task="auto", epochs=3, **training):
    return {"kwk_spec": 1, "data": {"target": target, "task": task},
            "layers": [{"type": "Dense", "units": 8, "activation": "relu"}],
            "training": {"epochs": epochs, "batch_size": 32, "learning_rate": 0.01,
                         "early_stopping_patience": 0, **training}}


# Commands a test may run inside its own process: each fresh `python -m kwk` pays
# TensorFlow's import (6-8 s on 2 cores) before any work, and the suite runs it ~100 times.
# In process, `kwk.cli.main` gets the same arguments and its stdout, stderr and exit status
# are captured as a subprocess's would be. A real process where the test needs one
# (``process=True``: the process boundary itself, `serve`, `--distributed`) or when
# KWK_TEST_CLI_PROCESS=1 asks for every command to run as users run it.
IN_PROCESS = {"train", "predict", "profile", "report", "codegen", "explain", "notebook",
              "tune", "export", "sample"}


def _real_process(process: bool) -> bool:
    return process or os.environ.get("KWK_TEST_CLI_PROCESS") == "1"


def run_cli(*args, cwd=None, timeout=300, process=False):
    args = [str(a) for a in args]
    if _real_process(process) or not args or args[0] not in IN_PROCESS \
            or "--distributed" in args:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run([sys.executable, "-m", "kwk", *args], capture_output=True,
                              text=True, cwd=cwd, env=env, timeout=timeout)
    from kwk.cli import main
    return _in_process(["python", "-m", "kwk", *args], lambda: main(args), cwd)


def run_script(script, *args, cwd=None, env=None, timeout=600, process=False):
    """Run a generated training script as ``python SCRIPT ARGS...`` would: in this process
    (a fresh module namespace, so a missing import still fails; ``sys.argv``, the working
    folder and ``env`` as given), or in a real process with ``process=True`` (kept for one
    script per kind of data, so a script is still proven to run on its own) or when
    KWK_TEST_CLI_PROCESS=1."""
    args = [str(a) for a in args]
    if _real_process(process):
        return subprocess.run([sys.executable, str(script), *args], capture_output=True,
                              text=True, cwd=cwd, env={**os.environ, **(env or {})},
                              timeout=timeout)
    import runpy
    old_argv, old_env = sys.argv, {k: os.environ.get(k) for k in (env or {})}
    try:
        os.environ.update(env or {})
        sys.argv = [str(script), *args]
        return _in_process(list(sys.argv), lambda: runpy.run_path(str(script),
                                                                   run_name="__main__"), cwd)
    finally:
        sys.argv = old_argv
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _in_process(argv: list[str], call, cwd) -> subprocess.CompletedProcess:
    """Run ``call()`` in ``cwd`` with stdout and stderr captured; its exit status as a process
    would give it (a returned int, ``SystemExit``'s code, 1 with the traceback on an error)."""
    import contextlib
    import io
    import traceback
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd or os.getcwd()), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        try:
            code = call()
            code = code if isinstance(code, int) else 0
        except SystemExit as e:  # argparse's own errors (usage, exit 2), sys.exit in a script
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except Exception:
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())
