"""``python -m kwk notebook RUN --out train.ipynb``: a run's training script as a notebook.

The notebook (keras-io style: a title cell, a markdown cell per section, the code between) is
built by ``kwk.runs.notebook`` from the same template as the run's script, so running it
reproduces the run's metrics as the script does.
"""
from __future__ import annotations

import sys


def add(sub) -> None:
    s = sub.add_parser("notebook", help="write a run's training script as a Jupyter notebook")
    s.add_argument("run_dir", help="the run folder (written by 'train --out DIR')")
    s.add_argument("--out", required=True, help="the notebook to write (e.g. train.ipynb)")
    s.add_argument("--data", help="the data file the notebook reads (default: the one the run "
                                  "was trained on, as the run recorded it)")
    s.set_defaults(fn=run)


def run(a) -> int:
    from kwk.runs.notebook import write_notebook
    out = write_notebook(a.run_dir, a.out, data_path=a.data)
    print(f"Wrote the notebook to {out}", file=sys.stderr)
    return 0
