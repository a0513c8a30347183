"""What each neuron of the Playground's network computes: its incoming weights with the names of
what feeds it, and one plain sentence on what it has learned, derived from those weights. Pure
numpy: weights in, words out (the page draws them; ``plots.neuron_figure`` draws the map).

A first-layer neuron adds up the input features, each times its weight, plus its bias, and its
activation turns that sum into its output: it is "on" (blue in the pictures) where the sum is
large. On the raw inputs X₁ and X₂ the sum is zero along a straight line, the neuron's boundary
``w₁·x1 + w₂·x2 + b = 0``, i.e. ``x2 = -(w₁/w₂)·x1 - b/w₂``. A deeper neuron does the same with the
outputs of the layer before it, so it combines their pictures.

A weight's *influence* is its size times how much its input varies over the plane (its standard
deviation there): X₁² spans 0-36 where sin(X₁) spans -1-1, so equal weights do not matter
equally. Only the inputs with at least ``SIGNIFICANT`` of the largest influence are named.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
import numpy as np

from kwk.playground.engine import FEATURES, Axis, feature_matrix, grid

SIGNIFICANT = 0.3  # an input is named when its influence is at least this share of the largest
MOSTLY = 1.5       # "mostly k" when the largest influence is at least this many times the next
NOTHING = 0.05     # every influence below this: the neuron is about the same everywhere
LIST_AT_MOST = 4   # neurons named one by one in a sentence; more are counted
LINEAR = ("x1", "x2")
_PLANE = grid(41)[1]  # the points of the plane the spreads and signs are measured on


@dataclass(frozen=True)
class Line:
    """The straight boundary of a first-layer neuron: ``x2 = slope·x1 + intercept``, or the
    vertical ``x1 = at`` (slope None), or the horizontal ``x2 = intercept`` (slope 0). In the
    columns' units when the data are the user's, on the plane otherwise."""
    slope: float | None
    intercept: float = 0.0
    at: float = 0.0
    x1: str = "x1"
    x2: str = "x2"

    def text(self) -> str:
        if self.slope is None:
            return f"{self.x1} = {_minus(self.at)}"
        if num(self.slope) == "0":
            return f"{self.x2} = {_minus(self.intercept)}"
        rest = "" if num(self.intercept) == "0" else \
            f" {'−' if self.intercept < 0 else '+'} {num(abs(self.intercept))}"
        return f"{self.x2} = {_minus(self.slope)}·{self.x1}{rest}"

    def points(self, x_range, y_range) -> tuple[list[float], list[float]]:
        """Two points of the line spanning the given ranges (for drawing)."""
        if self.slope is None:
            return [self.at, self.at], list(y_range)
        xs = list(x_range)
        return xs, [self.slope * x + self.intercept for x in xs]


@dataclass
class Neuron:
    """One neuron explained. ``layer`` counts the hidden layers from 1; the output neuron's
    layer is the number of hidden layers + 1. ``index`` is 0-based; titles count from 1."""
    layer: int
    index: int
    title: str
    inputs: list[str]
    weights: list[float]
    bias: float
    sentence: str
    line: Line | None = None
    named: list[str] = field(default_factory=list)  # the inputs the sentence names, strongest first


def num(v: float) -> str:
    """A number to two significant digits for a sentence: 0.8, 0.12, 35, 1200, -0.05."""
    v = float(v)
    if not np.isfinite(v):
        return str(v)
    r = float(f"{v:.2g}")
    if r == 0:
        return "0"
    if abs(r) >= 1e5:
        return f"{r:,.0f}"
    return f"{r:g}" if abs(r) >= 1e-4 else f"{r:.1e}"


def _minus(v: float) -> str:
    return num(v).replace("-", "−")  # a true minus sign in an equation


def input_names(features: list[str], axes: tuple[Axis, Axis] | None = None) -> list[str]:
    """The names of the network's inputs: the Playground's (X₁, X₁², sin(X₂)…), or with the
    user's data the columns' own names (income, income², income·age…)."""
    if axes is None:
        return [FEATURES.get(f, f) for f in features]
    a, b = axes[0].name, axes[1].name
    names = {"x1": a, "x2": b, "x1_sq": f"{a}²", "x2_sq": f"{b}²", "x1_x2": f"{a}·{b}",
             "sin_x1": f"sin({a})", "sin_x2": f"sin({b})"}
    return [names.get(f, f) for f in features]


def neuron_title(layer: int, index: int, n_hidden: int) -> str:
    return "Output" if layer > n_hidden else f"Layer {layer} · neuron {index + 1}"


def neurons(weights: list) -> list[tuple[int, int]]:
    """Every neuron as ``(layer, index)``, layer by layer, the output last."""
    return [(li + 1, j) for li, w in enumerate(weights) for j in range(np.shape(w)[1])]


def feature_spread(features: list[str]) -> np.ndarray:
    """How much each input feature varies over the plane (its standard deviation on a grid)."""
    return _spread(tuple(features)).copy()


@lru_cache(maxsize=64)
def _spread(features: tuple) -> np.ndarray:
    return feature_matrix(_PLANE, list(features)).astype(float).std(axis=0)


def explain(weights: list, biases: list, layer: int, index: int, features: list[str],
            axes: tuple[Axis, Axis] | None = None, spreads: list | None = None) -> Neuron:
    """What neuron ``index`` of ``layer`` computes.

    ``weights[k]`` is the kernel (inputs × neurons) into layer k + 1 and ``biases[k]`` its bias,
    the last being the output's. ``features`` are the inputs' feature keys (``x1``, ``x1_sq``…);
    ``axes`` the user's columns (names and how they were scaled), None on the Playground's data;
    ``spreads[k]`` how much each neuron of hidden layer k + 1 varies over the plane (weights on
    a busy neuron matter more), used for the layers after the first."""
    n_hidden = len(weights) - 1
    if not 1 <= layer <= len(weights):
        raise ValueError(f"layer {layer} is not in the network (1–{len(weights)})")
    w_all = np.asarray(weights[layer - 1], float)
    if not 0 <= index < w_all.shape[1]:
        raise ValueError(f"layer {layer} has {w_all.shape[1]} neurons, not {index + 1}")
    w = w_all[:, index]
    b = float(np.asarray(biases[layer - 1], float).reshape(-1)[index]) if biases else 0.0
    title = neuron_title(layer, index, n_hidden)
    subject = "blue" if layer > n_hidden else "on"
    if layer == 1:
        names = input_names(features, axes)
        spread = feature_spread(features)
        sentence, line, named = _first_layer(w, b, features, names, spread, axes, subject)
    else:
        prev = layer - 1
        names = [f"neuron {k + 1} of layer {prev}" for k in range(len(w))]
        spread = (np.asarray(spreads[prev - 1], float) if spreads is not None
                  and len(spreads) >= prev else np.ones(len(w)))
        sentence, named = _deeper(w, prev, spread, subject)
        line = None
    return Neuron(layer, index, title, names, [float(v) for v in w], b, sentence, line, named)


def explain_snapshot(snap: dict, layer: int, index: int, features: list[str],
                     axes: tuple[Axis, Axis] | None = None) -> Neuron:
    """:func:`explain` on a live network's snapshot (its weights, biases and each neuron's
    output over the plane)."""
    spreads = [np.asarray(n, float).reshape(len(n), -1).std(axis=1) for n in snap["neurons"][:-1]]
    return explain(snap["weights"], snap.get("biases") or [np.zeros(np.shape(w)[1])
                                                            for w in snap["weights"]],
                   layer, index, features, axes, spreads)


# --------------------------------------------------------------------------- the sentences
def _significant(influence: np.ndarray) -> list[int]:
    top = float(influence.max()) if influence.size else 0.0
    if top <= 0:
        return []
    keep = [i for i in np.argsort(-influence, kind="stable") if influence[i] >= SIGNIFICANT * top]
    return [int(i) for i in keep]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _first_layer(w, b, features, names, spread, axes, subject):
    influence = np.abs(w) * spread
    if not influence.size or influence.max() < NOTHING:
        return ("Has not learned anything yet: every incoming weight is almost zero, so its "
                "output is about the same everywhere on the plane."), None, []
    sig = _significant(influence)
    named = [names[i] for i in sig]
    when = _and([f"{names[i]} is {'large' if w[i] > 0 else 'small'}" for i in sig])
    head = f"Turns {subject} when {when}" if subject == "on" else f"Blue when {when}"
    used = {features[i] for i in sig}
    if used <= set(LINEAR):
        line = _line(w, b, features, sig, axes)
        side = _side(w, b, features)
        if side is None:
            return f"{head}: a line across the plane, roughly {line.text()}.", line, named
        state = ("blue" if side > 0 else "orange") if subject == "blue" else \
            ("on" if side > 0 else "off")
        return (f"{head}; its line, roughly {line.text()}, lies outside the plane shown, so it "
                f"is {state} everywhere here."), line, named
    squares = {"x1_sq", "x2_sq"}
    if used == squares and np.sign(w[features.index("x1_sq")]) == np.sign(w[features.index("x2_sq")]):
        far = w[features.index("x1_sq")] > 0
        shape = ("far from the centre: a ring around the middle of the plane" if far else
                 "near the centre: a patch around the middle of the plane")
        return f"{'Turns on' if subject == 'on' else 'Blue'} {shape} (it uses {_and(named)}).", \
            None, named
    curved = [names[i] for i in sig if features[i] not in LINEAR]
    return (f"{head}: a boundary that is not a straight line, since it uses {_and(curved)}.",
            None, named)


def _line(w, b, features, sig, axes) -> Line:
    """The boundary where the weighted sum is zero, keeping only the named raw inputs (an
    input too weak to be named is left out: 'roughly'). In the columns' units with ``axes``."""
    wx = {f: float(w[i]) for i, f in enumerate(features) if f in LINEAR and i in sig}
    w1, w2 = wx.get("x1", 0.0), wx.get("x2", 0.0)
    n1, n2 = input_names(["x1", "x2"], axes)
    if axes is None:
        a1 = a2 = 1.0
        c1 = c2 = 0.0
    else:  # plane = a·value + c for each column
        (a1, c1), (a2, c2) = axes[0].scale(), axes[1].scale()
    W1, W2, B = w1 * a1, w2 * a2, w1 * c1 + w2 * c2 + b
    if W2 == 0:
        return Line(None, at=-B / W1, x1=n1, x2=n2)
    return Line(-W1 / W2, -B / W2, x1=n1, x2=n2)


def _side(w, b, features) -> int | None:
    """+1 / -1 when the weighted sum has one sign over the whole plane shown (the line lies
    outside it), None when the line crosses it."""
    s = feature_matrix(_PLANE, features).astype(float) @ np.asarray(w, float) + b
    if (s > 0).all():
        return 1
    if (s < 0).all():
        return -1
    return None


def _deeper(w, prev: int, spread, subject):
    influence = np.abs(w) * np.asarray(spread, float)
    if not influence.size or influence.max() < NOTHING:
        return ("Has not learned anything yet: every incoming weight is almost zero, so its "
                "output is about the same everywhere on the plane."), []
    sig = _significant(influence)
    named = [f"neuron {i + 1} of layer {prev}" for i in sig]
    on = "on" if subject == "on" else "blue"
    if len(sig) == 1:
        i = sig[0]
        verb = "Follows" if w[i] > 0 else "Reverses"
        return (f"{verb} neuron {i + 1} of layer {prev}: {on} where it is "
                f"{'on' if w[i] > 0 else 'off'}."), named
    nums = [str(i + 1) for i in sig]
    mostly = influence[sig[0]] >= MOSTLY * influence[sig[1]]
    if len(sig) <= LIST_AT_MOST:
        which = f"neurons {_and(nums)} of layer {prev}"
        where = _and([f"{k} is {'on' if w[i] > 0 else 'off'}" for k, i in zip(nums, sig)])
        tail = f": {on} where {where}."
    else:
        which = f"{len(sig)} neurons of layer {prev}"
        tail = "."
    lead = f", mostly {nums[0]}" if mostly else ""
    return f"Combines {which}{lead}{tail}", named


# --------------------------------------------------------------------------- for the page
def explain_all(snap: dict, features: list[str], axes=None, per_layer: int | None = None) -> dict:
    """``(layer, index) -> sentence`` for every neuron (the first ``per_layer`` of each layer:
    those the diagram draws), for the diagram's hover."""
    return {(ly, i): explain_snapshot(snap, ly, i, features, axes).sentence
            for ly, i in neurons(snap["weights"]) if per_layer is None or i < per_layer}


def is_probability(layer: int, n_layers: int, problem: str) -> bool:
    """The output neuron of a classification gives the probability of blue (0–1)."""
    return layer == n_layers and problem == "classification"


def how_it_computes(layer: int, n_layers: int, activation: str, problem: str,
                    has_line: bool) -> str:
    """The plain words under a neuron's weights: the sum, the activation, the colours."""
    out = layer == n_layers
    prob = is_probability(layer, n_layers, problem)
    act = ("a sigmoid (the probability of blue)" if prob else "nothing (the number itself)") \
        if out else activation
    colours = ("blue is a probability above 0.5, orange below" if prob else
               "blue is a positive output, orange a negative one, pale about zero")
    return ("It adds up each input times its weight, plus the bias, and passes the sum through "
            f"{act}. In its picture {colours}."
            + (" The dashed line is where the sum is zero." if has_line else ""))

