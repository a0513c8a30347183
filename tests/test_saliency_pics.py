"""Picture heat-maps in the background (issue 35, item 1): integrated gradients of a hand-made
model against their closed form, and the background function's caps, stop and cache."""
import threading

import numpy as np
import pandas as pd
import pytest


def _logistic(w: np.ndarray):
    """A 2x2 grey picture model by hand: P(class 1) = sigmoid(w . x), no bias."""
    import keras
    inp = keras.Input((len(w),))
    out = keras.layers.Dense(1, activation="sigmoid", use_bias=False)(inp)
    m = keras.Model(inp, out)
    m.layers[-1].set_weights([w.reshape(-1, 1).astype("float32")])
    return m


def test_integrated_gradients_match_the_closed_form_and_find_the_pixel():
    from kwk.evaluation.saliency import integrated_gradients, to_map
    w = np.array([0.1, 3.0, -0.2, 0.5])
    x = np.array([[1.0, 1.0, 1.0, 1.0]], dtype="float32")
    base = np.zeros(4, dtype="float32")
    a = integrated_gradients(_logistic(w), x, base, [1], binary=True, steps=64)[0]
    # By hand: along the path a*x the logit is a*s (s = w.x), the gradient of sigmoid(a*s)
    # is sigmoid'(a*s) w, and its integral over a in [0, 1] is (sigmoid(s) - 1/2) / s.
    s = float(w @ x[0])
    sig = 1 / (1 + np.exp(-s))
    expected = x[0] * w * (sig - 0.5) / s
    np.testing.assert_allclose(a, expected, rtol=2e-3)
    assert abs(a.sum() - (sig - 0.5)) < 1e-3  # completeness: p(x) - p(base)
    heat = to_map(a, (2, 2, 1))
    assert np.unravel_index(heat.argmax(), heat.shape) == (0, 1)  # pixel 1: weight 3
    assert heat.max() == 1.0 and heat.min() >= 0
    # The other class: the same pixel, the opposite sign.
    b = integrated_gradients(_logistic(w), x, base, [0], binary=True, steps=64)[0]
    np.testing.assert_allclose(b, -expected, rtol=2e-3)


class _Pre:
    task = "binary"

    def transform(self, df):
        return df.to_numpy(dtype="float32")


class _Bundle:
    def __init__(self, model):
        self.model, self.pre = model, _Pre()
        self.spec = {"data": {"image_shape": [2, 2, 1]}}

    def predict_output(self, df):
        p = np.asarray(self.model(df.to_numpy(dtype="float32")), dtype=float).reshape(-1)
        return np.column_stack([1 - p, p])


def test_heatmaps_fill_the_cache_skip_what_is_there_and_stop():
    from kwk.evaluation.saliency import MAX_PICTURES, heatmaps
    rng = np.random.default_rng(0)
    w = np.array([0.1, 3.0, -0.2, 0.5])
    bundle = _Bundle(_logistic(w))
    rows = pd.DataFrame(rng.uniform(0, 1, (20, 4)), columns=[f"px_{i}" for i in range(4)])
    ref = pd.DataFrame(np.zeros((3, 4)), columns=rows.columns)
    out, seen = {}, []
    s = heatmaps("run", rows, list(range(100, 120)), ref, out,
                 progress=lambda d, t: seen.append((d, t)), load=lambda _: bundle)
    assert s == {"done": MAX_PICTURES, "total": MAX_PICTURES, "stopped": False,
                 "timed_out": False}
    assert sorted(out) == list(range(100, 100 + MAX_PICTURES))  # capped
    assert seen[0] == (0, MAX_PICTURES) and seen[-1] == (MAX_PICTURES, MAX_PICTURES)
    for pos, (heat, k) in out.items():
        x = rows.iloc[pos - 100].to_numpy()
        assert k == int(x @ w > 0)
        # From a black reference the largest |w_i x_i| is the hottest pixel.
        assert heat.reshape(-1).argmax() == np.abs(w * x).argmax()
    again = heatmaps("run", rows, list(range(100, 120)), ref, out, load=lambda _: bundle)
    assert again["total"] == 20 - MAX_PICTURES  # the cached ones are not computed again
    stop = threading.Event()
    stop.set()
    fresh = {}
    s = heatmaps("run", rows, [1, 2], ref, fresh, stop=stop, load=lambda _: bundle)
    assert s["stopped"] and not fresh
    s = heatmaps("run", rows, [1, 2], ref, fresh, max_seconds=-1, load=lambda _: bundle)
    assert s["timed_out"] and not fresh


def test_heatmaps_refuse_pictures_too_large():
    from kwk.errors import KwkError
    from kwk.evaluation.saliency import heatmaps
    bundle = _Bundle(_logistic(np.ones(4)))
    bundle.spec = {"data": {"image_shape": [100, 100, 3]}}
    with pytest.raises(KwkError, match="up to"):
        heatmaps("run", pd.DataFrame(np.zeros((1, 4))), [0], None, {}, load=lambda _: bundle)
