"""Figures of the Playground: the output's decision surface with the points on top, the network
diagram with a thumbnail per neuron, and the loss curve. Data in, ``go.Figure`` out."""
from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go

from kwk.playground.engine import DOMAIN, FEATURES

ORANGE = "#F59322"
BLUE = "#0877BD"
SCALE = [[0.0, ORANGE], [0.5, "#E8EAEB"], [1.0, BLUE]]
MAX_DRAWN = 16  # neurons drawn per layer in the diagram


def _rgb(h: str) -> np.ndarray:
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


_O, _M, _B = _rgb(ORANGE), _rgb("#E8EAEB"), _rgb(BLUE)


def colorize(v: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] -> RGB uint8 (orange, grey, blue) as in the TensorFlow Playground."""
    v = np.clip(np.nan_to_num(v), -1, 1)[..., None]
    rgb = np.where(v < 0, _M + (_O - _M) * -v, _M + (_B - _M) * v)
    return rgb.astype(np.uint8)


def thumbnail_uri(values: np.ndarray) -> str:
    """A neuron's output over the plane as a small PNG data URI (scaled to [-1, 1])."""
    from PIL import Image
    m = float(np.nanmax(np.abs(values))) if values.size else 0.0
    scaled = values / m if m > 1 else values
    img = Image.fromarray(colorize(np.flipud(scaled)))  # row 0 is the top of the picture
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def surface_figure(snap: dict, xy: np.ndarray, y: np.ndarray, train_idx, test_idx,
                   problem: str, show_test: bool = False, discretize: bool = False,
                   height: int = 330, x_title: str = "X₁", y_title: str = "X₂") -> go.Figure:
    """The output over the plane (blue +1 / P = 1, orange −1 / P = 0; the colours are fixed
    to that range) with the points on top; the axes are the two inputs ``x_title`` and
    ``y_title`` (your columns, scaled into the plane, on your data)."""
    z = np.asarray(snap["surface"], dtype=float)
    if problem == "classification":
        z = z * 2 - 1  # probability of blue -> [-1, 1]
        if discretize:
            z = np.where(z >= 0, 1.0, -1.0)
    axis = np.linspace(-DOMAIN, DOMAIN, z.shape[0])
    f = go.Figure(go.Heatmap(x=axis, y=axis, z=z, zmin=-1, zmax=1, colorscale=SCALE,
                             showscale=False, hoverinfo="skip", zsmooth="best"))
    yv = y * 2 - 1 if problem == "classification" else y
    groups = [("train", train_idx, "white")] + ([("test", test_idx, "black")] if show_test else [])
    for name, idx, edge in groups:
        idx = np.asarray(idx)
        f.add_scatter(x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=name,
                      marker=dict(size=6, color=yv[idx], colorscale=SCALE, cmin=-1, cmax=1,
                                  line=dict(color=edge, width=1)),
                      hovertemplate=f"{name}: (%{{x:.2f}}, %{{y:.2f}})<extra></extra>")
    f.update_layout(height=height, margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
                    xaxis=dict(range=[-DOMAIN, DOMAIN], constrain="domain", showgrid=False,
                               zeroline=False, title=dict(text=x_title, font=dict(size=11))),
                    yaxis=dict(range=[-DOMAIN, DOMAIN], scaleanchor="x", showgrid=False,
                               zeroline=False, title=dict(text=y_title, font=dict(size=11))))
    return f


def network_figure(snap: dict, features: list[str], height: int = 470) -> go.Figure:
    """One column per layer: input features, hidden layers, the output. Each node shows its
    output over the plane; edges are blue (positive) or orange (negative), as thick as the
    weight is large. Hovering an edge's midpoint shows its weight."""
    columns = [np.asarray(snap["inputs"])] + [np.asarray(n) for n in snap["neurons"]]
    labels = [[FEATURES.get(f, f) for f in features]] + \
             [[f"L{i} · {j + 1}" for j in range(len(n))] for i, n in enumerate(snap["neurons"][:-1], 1)] + \
             [["output"]]
    pos = []
    for ci, col in enumerate(columns):
        n = min(len(col), MAX_DRAWN)
        ys = np.linspace(1, -1, n) * min(1.0, n / 6) if n > 1 else np.zeros(1)
        pos.append([(ci * 3.0, yy * 4) for yy in ys])
    f = go.Figure()
    weights = [np.asarray(w) for w in snap["weights"]]
    wmax = max((float(np.abs(w).max()) for w in weights if w.size), default=1.0) or 1.0
    mid_x, mid_y, mid_text = [], [], []
    for li, w in enumerate(weights):
        src, dst = pos[li], pos[li + 1]
        for sign, color in ((1, BLUE), (-1, ORANGE)):
            buckets: dict[int, tuple[list, list]] = {}
            for i in range(min(w.shape[0], len(src))):
                for j in range(min(w.shape[1], len(dst))):
                    v = float(w[i, j])
                    if (v >= 0) != (sign > 0):
                        continue
                    b = int(round(1 + 5 * abs(v) / wmax))
                    xs, ys = buckets.setdefault(b, ([], []))
                    xs += [src[i][0] + 0.45, dst[j][0] - 0.45, None]
                    ys += [src[i][1], dst[j][1], None]
            for b, (xs, ys) in sorted(buckets.items()):
                f.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                              line=dict(color=color, width=b * 0.7), opacity=0.75)
        for i in range(min(w.shape[0], len(src))):
            for j in range(min(w.shape[1], len(dst))):
                mid_x.append((src[i][0] + dst[j][0]) / 2)
                mid_y.append((src[i][1] + dst[j][1]) / 2)
                mid_text.append(f"{labels[li][i]} → {labels[li + 1][j]}: weight {w[i, j]:.3f}")
    f.add_scatter(x=mid_x, y=mid_y, mode="markers", text=mid_text, showlegend=False,
                  marker=dict(size=9, color="rgba(0,0,0,0)"), hovertemplate="%{text}<extra></extra>")
    images = []
    for ci, col in enumerate(columns):
        for k, (px, py) in enumerate(pos[ci]):
            images.append(dict(source=thumbnail_uri(col[k]), x=px, y=py, xref="x", yref="y",
                               sizex=0.9, sizey=0.9, xanchor="center", yanchor="middle",
                               sizing="stretch", layer="above"))
        extra = len(col) - len(pos[ci])
        title = "Inputs" if ci == 0 else ("Output" if ci == len(columns) - 1 else f"Layer {ci}")
        f.add_annotation(x=pos[ci][0][0], y=4.9, text=f"<b>{title}</b>" +
                         (f"<br>+{extra} more" if extra > 0 else ""), showarrow=False,
                         font=dict(size=11))
        if ci == 0:
            for (px, py), name in zip(pos[0], labels[0]):
                f.add_annotation(x=px - 0.55, y=py, text=name, showarrow=False, xanchor="right",
                                 font=dict(size=11))
    f.update_layout(images=images, height=height, margin=dict(l=0, r=0, t=10, b=0),
                    xaxis=dict(visible=False, range=[-1.8, 3.0 * (len(columns) - 1) + 0.8]),
                    yaxis=dict(visible=False, range=[-4.8, 5.4]), plot_bgcolor="white")
    return f


LOSS_POINTS = 1500  # the loss curve draws at most this many epochs (thousands train fast)


def loss_figure(history: dict, height: int = 140) -> go.Figure:
    f = go.Figure()
    for key, color in (("train", "#6B7280"), ("test", "#111827")):
        v = np.asarray(history.get(key) or [], dtype=float)
        x = np.arange(1, len(v) + 1)
        if len(v) > LOSS_POINTS:  # a long run: evenly spaced epochs, the last one kept
            keep = np.unique(np.linspace(0, len(v) - 1, LOSS_POINTS).astype(int))
            x, v = x[keep], v[keep]
        f.add_scatter(x=x, y=v, mode="lines", name=key, line=dict(color=color, width=1.5))
    small = dict(font=dict(size=10), standoff=2)
    f.update_layout(height=height, margin=dict(l=0, r=0, t=0, b=0),
                    legend=dict(orientation="h", y=1.15, x=0),
                    xaxis=dict(title=dict(text="epoch", **small)),
                    yaxis=dict(title=dict(text="loss", **small), rangemode="tozero"))
    return f
