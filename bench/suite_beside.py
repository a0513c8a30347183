"""Run the README's test command on this checkout, alone or beside a noisy neighbour, and print
one line for bench/RESULTS.md: the commit, the neighbour, wall time and pytest's summary.

    python bench/suite_beside.py idle
    python bench/suite_beside.py cpu      # beside `while True: pass` (one core kept busy)
    python bench/suite_beside.py memory   # beside a process that allocates and frees 400 MB
                                          # in a loop (touching every page), then sleeps a bit
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEIGHBOURS = {
    "idle": None,
    "cpu": "while True: pass",
    "memory": ("import time\n"
               "while True:\n"
               "    b = bytearray(400 << 20)\n"
               "    for i in range(0, len(b), 4096):\n"
               "        b[i] = 1\n"
               "    del b\n"
               "    time.sleep(0.2)\n"),
}


def main(kind: str) -> int:
    code = NEIGHBOURS[kind]
    side = subprocess.Popen([sys.executable, "-c", code]) if code else None
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    t0 = time.monotonic()
    try:
        r = subprocess.run([sys.executable, "-m", "pytest", "-n", "3", "--dist", "loadfile",
                            "-q", "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True,
                           text=True)
    finally:
        if side:
            side.kill()
    secs = time.monotonic() - t0
    summary = [ln for ln in r.stdout.splitlines() if " passed" in ln or " failed" in ln]
    log = ROOT / "test-artifacts" / f"suite_{kind}_{commit}.log"  # the whole output: a
    log.parent.mkdir(exist_ok=True)                                 # failure's details too
    log.write_text(r.stdout + r.stderr)
    print(r.stdout[-6000:])
    print(f"(the whole output: {log})")
    print(f"RESULT commit={commit} beside={kind} wall={int(secs // 60)}:{int(secs % 60):02d} "
          f"rc={r.returncode} {summary[-1] if summary else '(no summary)'}")
    return r.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "idle"))
