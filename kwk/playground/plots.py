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


def _plane_axes(axes) -> tuple:
    """The functions taking a place on the plane to the values shown on each axis, and the
    axes' titles: the plane itself (X₁, X₂), or the user's columns in their own units."""
    if axes is None:
        return (lambda p: np.asarray(p, float)), (lambda p: np.asarray(p, float)), "X₁", "X₂"
    return axes[0].from_plane, axes[1].from_plane, axes[0].name, axes[1].name


def surface_figure(snap: dict, xy: np.ndarray, y: np.ndarray, train_idx, test_idx,
                   problem: str, show_test: bool = False, discretize: bool = False,
                   height: int = 330, axes=None) -> go.Figure:
    """The output over the plane (blue +1 / P = 1, orange −1 / P = 0; the colours are fixed
    to that range) with the points on top. The axes are X₁ and X₂, or with the user's data
    (``axes``: two ``engine.Axis``) the two columns, named and in their own units."""
    fx, fy, x_title, y_title = _plane_axes(axes)
    z = np.asarray(snap["surface"], dtype=float)
    if problem == "classification":
        z = z * 2 - 1  # probability of blue -> [-1, 1]
        if discretize:
            z = np.where(z >= 0, 1.0, -1.0)
    axis = np.linspace(-DOMAIN, DOMAIN, z.shape[0])
    f = go.Figure(go.Heatmap(x=fx(axis), y=fy(axis), z=z, zmin=-1, zmax=1, colorscale=SCALE,
                             showscale=False, hoverinfo="skip", zsmooth="best"))
    yv = y * 2 - 1 if problem == "classification" else y
    groups = [("train", train_idx, "white")] + ([("test", test_idx, "black")] if show_test else [])
    for name, idx, edge in groups:
        idx = np.asarray(idx)
        f.add_scatter(x=fx(xy[idx, 0]), y=fy(xy[idx, 1]), mode="markers", name=name,
                      marker=dict(size=6, color=yv[idx], colorscale=SCALE, cmin=-1, cmax=1,
                                  line=dict(color=edge, width=1)),
                      hovertemplate=f"{name}: ({x_title} %{{x:.3g}}, {y_title} %{{y:.3g}})"
                                    "<extra></extra>")
    xr, yr = sorted(fx([-DOMAIN, DOMAIN])), sorted(fy([-DOMAIN, DOMAIN]))
    small = dict(size=10)
    f.update_layout(height=height, margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
                    xaxis=dict(range=xr, constrain="domain", showgrid=False, zeroline=False,
                               automargin=True, tickfont=small, ticks="outside", ticklen=3,
                               title=dict(text=x_title, font=dict(size=11), standoff=4)),
                    yaxis=dict(range=yr, constrain="domain", showgrid=False, zeroline=False,
                               automargin=True,
                               tickfont=small, ticks="outside", ticklen=3,
                               title=dict(text=y_title, font=dict(size=11), standoff=4),
                               **({"scaleanchor": "x"} if axes is None else {})))
    return f


def neuron_figure(values: np.ndarray, axes=None, line=None, height: int = 300,
                  title: str = "Its output over the plane", probability: bool = False) -> go.Figure:
    """One neuron's output over the plane (its thumbnail in the network, drawn large, with a
    colour bar in its own values: blue where it is on, orange where it is negative), and its
    boundary line (``explain.Line``) dashed on top when it has one. ``probability``: the
    output neuron of a classification, drawn on 0–1 (orange below 0.5, blue above)."""
    fx, fy, x_title, y_title = _plane_axes(axes)
    v = np.asarray(values, dtype=float)
    m = float(np.nanmax(np.abs(v))) if v.size else 0.0
    m = m if m > 0 else 1.0
    lo, hi = (0.0, 1.0) if probability else (-m, m)
    axis = np.linspace(-DOMAIN, DOMAIN, v.shape[0])
    f = go.Figure(go.Heatmap(x=fx(axis), y=fy(axis), z=v, zmin=lo, zmax=hi, colorscale=SCALE,
                             zsmooth="best",
                             colorbar=dict(title=dict(text="P(blue)" if probability else "output",
                                                      side="right"), thickness=10),
                             hovertemplate=f"{x_title} %{{x:.3g}}, {y_title} %{{y:.3g}}: "
                                           "output %{z:.3f}<extra></extra>"))
    xr, yr = sorted(fx([-DOMAIN, DOMAIN])), sorted(fy([-DOMAIN, DOMAIN]))
    if line is not None:
        xs, ys = line.points(xr, yr)
        f.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="#111827", width=2, dash="dash"),
                      hoverinfo="skip", showlegend=False, name="boundary")
    small = dict(size=10)
    f.update_layout(height=height, margin=dict(l=0, r=0, t=28, b=0), showlegend=False,
                    title=dict(text=title, font=dict(size=12), x=0, y=0.98),
                    xaxis=dict(range=xr, constrain="domain", showgrid=False, zeroline=False,
                               automargin=True, tickfont=small, ticks="outside", ticklen=3,
                               title=dict(text=x_title, font=dict(size=11), standoff=4)),
                    yaxis=dict(range=yr, constrain="domain", showgrid=False, zeroline=False,
                               automargin=True,
                               tickfont=small, ticks="outside", ticklen=3,
                               title=dict(text=y_title, font=dict(size=11), standoff=4),
                               **({"scaleanchor": "x"} if axes is None else {})))
    return f


def network_figure(snap: dict, features: list[str], height: int = 470, names=None,
                   show_weights: bool = True, selected: tuple | None = None,
                   about: dict | None = None) -> go.Figure:
    """One column per layer: input features, hidden layers, the output. Each node shows its
    output over the plane. With ``show_weights`` the links are blue (positive) or orange
    (negative), as thick as the weight is large, and hovering a link's midpoint shows its
    weight; without, they are thin and grey (the network's shape only).

    ``names``: the inputs' names (default X₁, X₂…). Every neuron carries an invisible marker
    whose ``customdata`` is ``[layer, index]`` (layer 1 = the first hidden layer; the output
    is the last) for a click to choose it, and whose hover text is ``about[(layer, index)]``
    (what it computes). ``selected``: that neuron is framed and its incoming links carry
    their weights as numbers."""
    columns = [np.asarray(snap["inputs"])] + [np.asarray(n) for n in snap["neurons"]]
    in_names = list(names) if names is not None else [FEATURES.get(f, f) for f in features]
    labels = [in_names] + \
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
        styles = ((1, BLUE), (-1, ORANGE)) if show_weights else ((0, "#9CA3AF"),)
        for sign, color in styles:
            buckets: dict[int, tuple[list, list]] = {}
            for i in range(min(w.shape[0], len(src))):
                for j in range(min(w.shape[1], len(dst))):
                    v = float(w[i, j])
                    if sign and (v >= 0) != (sign > 0):
                        continue
                    b = int(round(1 + 5 * abs(v) / wmax)) if show_weights else 1
                    xs, ys = buckets.setdefault(b, ([], []))
                    xs += [src[i][0] + 0.45, dst[j][0] - 0.45, None]
                    ys += [src[i][1], dst[j][1], None]
            for b, (xs, ys) in sorted(buckets.items()):
                f.add_scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                              line=dict(color=color, width=b * 0.7),
                              opacity=0.75 if show_weights else 0.5)
        if show_weights:
            for i in range(min(w.shape[0], len(src))):
                for j in range(min(w.shape[1], len(dst))):
                    mid_x.append((src[i][0] + dst[j][0]) / 2)
                    mid_y.append((src[i][1] + dst[j][1]) / 2)
                    mid_text.append(f"{labels[li][i]} → {labels[li + 1][j]}: weight {w[i, j]:.3f}")
    if mid_x:
        f.add_scatter(x=mid_x, y=mid_y, mode="markers", text=mid_text, showlegend=False,
                      marker=dict(size=9, color="rgba(0,0,0,0)"),
                      hovertemplate="%{text}<extra></extra>")
    if selected is not None:
        _mark_selected(f, weights, pos, selected)
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
    # the neurons themselves: hover says what each computes, a click chooses it
    about = about or {}
    nx, ny, nd, nt = [], [], [], []
    for ci in range(1, len(columns)):
        for k, (px, py) in enumerate(pos[ci]):
            title = "Output" if ci == len(columns) - 1 else f"Layer {ci} · neuron {k + 1}"
            nx.append(px)
            ny.append(py)
            nd.append([ci, k])
            nt.append(_wrap(f"<b>{title}</b><br>" + about.get((ci, k), "")))
    f.add_scatter(x=nx, y=ny, mode="markers", customdata=nd, text=nt, showlegend=False,
                  name="neurons", hovertemplate="%{text}<extra></extra>",
                  marker=dict(size=34, symbol="square", color="rgba(0,0,0,0.01)"))
    f.update_layout(images=images, height=height, margin=dict(l=0, r=0, t=10, b=0),
                    xaxis=dict(visible=False, range=[-1.8, 3.0 * (len(columns) - 1) + 0.8]),
                    yaxis=dict(visible=False, range=[-4.8, 5.4]), plot_bgcolor="white",
                    clickmode="event+select", dragmode=False, hovermode="closest")
    return f


def _mark_selected(f: go.Figure, weights, pos, selected) -> None:
    """Frame the chosen neuron and write its incoming weights on its links."""
    layer, index = selected
    if not 1 <= layer < len(pos) or index >= len(pos[layer]):
        return  # not drawn (beyond the first MAX_DRAWN of its layer)
    px, py = pos[layer][index]
    f.add_shape(type="rect", x0=px - 0.55, x1=px + 0.55, y0=py - 0.55, y1=py + 0.55,
                line=dict(color="#111827", width=2), layer="above")
    w = weights[layer - 1]
    src = pos[layer - 1]
    xs, ys, texts = [], [], []
    for i in range(min(w.shape[0], len(src))):
        sx, sy = src[i][0] + 0.45, src[i][1]
        t = 0.3  # near each link's source, where the links are apart
        xs.append(sx + (px - 0.45 - sx) * t)
        ys.append(sy + (py - sy) * t)
        texts.append(f"{float(w[i, index]):.2f}")
    f.add_scatter(x=xs, y=ys, mode="text", text=texts, hoverinfo="skip", showlegend=False,
                  textfont=dict(size=11, color="#111827"), name="weights")


def _wrap(text: str, width: int = 60) -> str:
    """Hover text broken into lines of about ``width`` characters (plotly does not wrap)."""
    out, line = [], ""
    for word in text.split(" "):
        if "<br>" in word:
            head, _, rest = word.partition("<br>")
            out.append((line + " " + head).strip())
            line = rest
            continue
        if len(line) + len(word) + 1 > width and line:
            out.append(line)
            line = word
        else:
            line = (line + " " + word).strip()
    out.append(line)
    return "<br>".join(out)


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
