"""JMP's Maximize Desirability for a run folder (``python -m kwk optimize``): the run's bundle,
the input ranges its record keeps and the models of its repeated seeds, handed to
:func:`kwk.evaluation.optimize.optimize` (which knows nothing of run folders)."""
from __future__ import annotations

import pandas as pd

from kwk.evaluation.optimize import DEFAULT_EVALUATIONS, input_space, optimize, read_summary


def optimize_run(run_dir, goal, fixed: dict | None = None, cls=None,
                 evaluations: int = DEFAULT_EVALUATIONS, seed: int = 0,
                 data: pd.DataFrame | None = None, bundle=None) -> dict:
    """:func:`kwk.evaluation.optimize.optimize` for a run folder: the ranges from its record
    (or ``data``, the training table), the interval from its repeated seeds. ``bundle``: the
    already loaded bundle."""
    from kwk.runs.bundle import load_bundle, repeat_dirs
    b = bundle if bundle is not None else load_bundle(run_dir)
    space = input_space(b, read_summary(run_dir), data)
    others = [load_bundle(r) for r in repeat_dirs(run_dir)]
    return optimize(b, goal, fixed=fixed, cls=cls, space=space, evaluations=evaluations,
                    seed=seed, others=others)
