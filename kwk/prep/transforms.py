"""Transforms of skewed number columns, a log target, and informative-missing flags.

A transform is scikit-learn's own, fitted on the training rows only and stored as plain data
(the few numbers it learned), so the bundle, the generated script and the raw-input export
apply the same thing:

- ``"log"``: ``FunctionTransformer(np.log)`` (values must be above 0);
- ``"yeo-johnson"``: ``PowerTransformer(method="yeo-johnson", standardize=False)`` (any values;
  the column is standardised afterwards like every number column);
- ``"quantile"``: ``QuantileTransformer(output_distribution="normal")`` (ranks mapped onto a
  bell curve: outliers lose their pull).

The transform comes first; missing values are then filled with the median of the transformed
training values and the result standardised (:func:`kwk.prep.preprocess.scale`). A value the
transform cannot take (0 or less under a log) counts as missing. An informative-missing flag is
one more 0/1 input beside the filled value: 1 where the original value was missing.

The functions here are self-contained (NumPy and scikit-learn imported inside) because the
generated script copies them (:func:`kwk.codegen.render.copy_source`).
"""
from __future__ import annotations

import numpy as np

TRANSFORMS = ("log", "yeo-johnson", "quantile")
TARGET_TRANSFORMS = ("log",)
# What each transform does for a learner, in one sentence (the Data page shows it).
EXPLAIN = {
    "none": "The numbers as they are (then filled and standardised).",
    "log": "Takes the logarithm: a long right tail (incomes, prices, counts) is pulled in, so a "
           "few huge values no longer dominate the weights. Needs values above 0.",
    "yeo-johnson": "A power transform scikit-learn fits to make the column as bell-shaped as "
                   "it can; works with zero and negative values too.",
    "quantile": "Replaces each value by its rank, mapped onto a bell curve: outliers lose all "
                "their pull, but distances between values are not kept.",
}
MISSING_EXPLAIN = ("Informative missing: one more 0/1 input says the value was missing, so the "
                   "network can learn that a blank itself means something (a test never "
                   "taken, an answer refused) instead of only seeing the filled median.")


def flag_columns(indicators) -> list:
    """The columns that get an informative-missing flag, from ``data.missing_indicators`` as a
    resolved spec holds it (a list) or as normalised ({column: true | false})."""
    if isinstance(indicators, dict):
        return [c for c, on in indicators.items() if on]
    return list(indicators or [])


def fit_transform(x, name, seed=0):
    """Fit the scikit-learn transformer ``name`` on training values ``x`` (float array, NaN for
    missing; the missing ones are ignored) -> its state as plain data: ``{"name": ...}`` plus
    what it learned (``lambda`` for Yeo-Johnson; ``quantiles`` and ``references`` for the
    quantile transform)."""
    import numpy as np
    v = np.asarray(x, dtype=float)
    v = v[np.isfinite(v)].reshape(-1, 1)
    if name == "log":
        return {"name": "log"}
    if name == "yeo-johnson":
        from sklearn.preprocessing import PowerTransformer
        pt = PowerTransformer(method="yeo-johnson", standardize=False).fit(v)
        return {"name": name, "lambda": float(pt.lambdas_[0])}
    if name == "quantile":
        from sklearn.preprocessing import QuantileTransformer
        qt = QuantileTransformer(output_distribution="normal", n_quantiles=min(1000, len(v)),
                                 random_state=seed).fit(v)
        return {"name": name, "quantiles": [float(q) for q in qt.quantiles_[:, 0]],
                "references": [float(r) for r in qt.references_]}
    raise ValueError(f"unknown transform {name!r}")


def transformer(t):
    """The fitted scikit-learn transformer that a transform's state describes."""
    import numpy as np
    if t["name"] == "log":
        from sklearn.preprocessing import FunctionTransformer
        return FunctionTransformer(np.log, inverse_func=np.exp, validate=False,
                                   check_inverse=False)
    if t["name"] == "yeo-johnson":
        from sklearn.preprocessing import PowerTransformer
        pt = PowerTransformer(method="yeo-johnson", standardize=False)
        pt.lambdas_, pt.n_features_in_ = np.array([t["lambda"]]), 1
        return pt
    from sklearn.preprocessing import QuantileTransformer
    q = np.asarray(t["quantiles"], dtype=float)
    qt = QuantileTransformer(output_distribution="normal", n_quantiles=len(q))
    qt.quantiles_, qt.references_, qt.n_features_in_ = q[:, None], np.asarray(t["references"]), 1
    return qt


def apply_transform(x, t):
    """Values ``x`` (float array, NaN for missing) through a fitted transform -> float array;
    NaN where the value was missing or the transform cannot take it (0 or less under a log)."""
    import numpy as np
    v = np.asarray(x, dtype=float).reshape(-1)
    out = np.full(len(v), np.nan)
    ok = np.isfinite(v) & ((v > 0) if t["name"] == "log" else True)
    if ok.any():
        with np.errstate(all="ignore"):
            out[ok] = np.asarray(transformer(t).transform(v[ok].reshape(-1, 1)),
                                 dtype=float).reshape(-1)
    out[~np.isfinite(out)] = np.nan
    return out


TARGET_FUNCTIONS = {"log": np.log}  # the target as the network learns it ...
TARGET_INVERSES = {"log": np.exp}   # ... and back in its own units


def inverse_target(z, name):
    """A transformed target back in its own units (``"log"``: ``exp``)."""
    import numpy as np
    return np.exp(np.asarray(z, dtype=float)) if name == "log" else np.asarray(z, dtype=float)
