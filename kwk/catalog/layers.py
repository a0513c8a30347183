"""THE layer catalog. For each layer type: its Keras class, its parameters (Keras's own argument
names, defaults, ranges/choices, help), how it transforms a shape and how many weights it adds.

Forms (the Build page), validation (``kwk.spec``), the builder and the code generator all read
this one table, so they cannot disagree. Adding a layer = one ``LayerType`` entry (+ a test).
Shapes here exclude the batch axis: a tabular input with 8 features is ``(8,)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from kwk.catalog.params import Param

# Every activation a layer can be given by name. Keras's 'glu' (it halves a layer's units)
# and 'threshold' (it needs two more arguments) cannot be: a network with either failed in
# training, so they are not offered.
ACTIVATIONS = ("relu", "sigmoid", "softmax", "tanh", "linear", "elu", "selu", "gelu", "silu",
               "swish", "softplus", "softsign", "leaky_relu", "relu6", "mish", "exponential",
               "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "celu",
               "log_sigmoid", "log_softmax", "sparse_plus", "sparse_sigmoid", "sparsemax",
               "squareplus", "tanh_shrink", "hard_shrink", "soft_shrink")
INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                "lecun_normal", "orthogonal", "random_normal", "random_uniform",
                "truncated_normal", "variance_scaling", "zeros", "ones")
MAX_UNITS = 100_000


class ShapeError(ValueError):
    """A layer cannot accept the shape it receives; the message names the fix.

    ``first`` / ``later`` are the fix when the layer is the first of the stack (it receives the
    data itself) or comes after other layers; :func:`infer_shapes` picks the one that applies."""

    def __init__(self, message: str, first: str = "", later: str = ""):
        super().__init__(message)
        self.first, self.later = first, later

    def fix(self, position: int) -> str:
        part = self.first if position == 1 else self.later
        return f"{self} {part}".rstrip() if part else str(self)


def _act(default="relu", help_="How each unit transforms its sum: 'relu' is a good default; "
         "'tanh'/'sigmoid' squash values; 'linear' leaves them as they are.", tune=None):
    return Param("activation", "choice", default, help_, choices=ACTIVATIONS, keras_default=None,
                 tune=tune or {})


def _reg(name, what):
    return Param(name, "regularizer", None, f"Penalty on {what} that discourages over-fitting: "
                 "L2 keeps them small, L1 pushes them to exactly zero.", nullable=True, advanced=True)


def _con(name, what):
    return Param(name, "constraint", None, f"A hard limit applied to {what} after each update "
                 "(e.g. MaxNorm caps their size; NonNeg keeps them ≥ 0).", nullable=True,
                 advanced=True)


_RATE = Param("rate", "float", 0.2, "Fraction of the inputs randomly switched off during "
              "training, so the network cannot rely on any one of them. 0.1–0.5 is typical.",
              min=0.0, max=1.0, max_exclusive=True, tune={"low": 0.0, "high": 0.5})
_EPS = Param("epsilon", "float", 0.001, "A tiny number added to avoid dividing by zero.",
             min=0.0, max=1.0, min_exclusive=True, advanced=True)
_CENTER = Param("center", "bool", True, "Learn an offset added after normalising.", advanced=True)
_SCALE = Param("scale", "bool", True, "Learn a factor multiplied after normalising.", advanced=True)


@dataclass(frozen=True)
class LayerType:
    name: str               # the Keras class name, also the spec's "type"
    category: str           # palette group
    summary: str            # one line for the palette
    params: tuple[Param, ...]
    out_shape: Callable[[tuple, dict], tuple] = lambda s, c: s
    n_params: Callable[[tuple, dict], int] = lambda s, c: 0
    positional: tuple[str, ...] = ()  # arguments written positionally in generated code
    extra: dict = field(default_factory=dict)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


def _dense_shape(s, c):
    if len(s) < 1:
        raise ShapeError("Dense needs at least one input value.")
    return (*s[:-1], int(c["units"]))


def _dense_params(s, c):
    return int(s[-1]) * int(c["units"]) + (int(c["units"]) if c.get("use_bias", True) else 0)


def _norm_params(per_feature):
    def f(s, c):
        k = sum(1 for key in ("center", "scale") if c.get(key, True))
        return int(s[-1]) * (k + per_feature)
    return f


CATALOG: dict[str, LayerType] = {}


def register(lt: LayerType) -> LayerType:
    CATALOG[lt.name] = lt
    return lt


register(LayerType(
    "Dense", "Core", "A fully connected layer: every unit looks at every input.",
    (Param("units", "int", 16, "How many units (neurons) the layer has. More units can learn "
           "more complex patterns but over-fit more easily.", min=1, max=MAX_UNITS,
           tune={"low": 4, "high": 512, "log": True}),
     _act(tune={"choices": ["relu", "gelu", "tanh", "selu"]}),
     Param("use_bias", "bool", True, "Give each unit a learnable offset (almost always on).",
           advanced=True),
     Param("kernel_initializer", "choice", "glorot_uniform", "How the weights are set before "
           "training starts. 'he_normal' suits relu; 'glorot_uniform' is the Keras default.",
           choices=INITIALIZERS, advanced=True),
     Param("bias_initializer", "choice", "zeros", "How the offsets are set before training.",
           choices=INITIALIZERS, advanced=True),
     _reg("kernel_regularizer", "the weights"), _reg("bias_regularizer", "the offsets"),
     _reg("activity_regularizer", "the layer's outputs"),
     _con("kernel_constraint", "the weights"), _con("bias_constraint", "the offsets")),
    out_shape=_dense_shape, n_params=_dense_params, positional=("units",)))

register(LayerType("Dropout", "Regularization", "Randomly switches off a fraction of inputs "
                   "while training, to fight over-fitting.", (_RATE,), positional=("rate",)))
register(LayerType("GaussianDropout", "Regularization", "Multiplies inputs by random noise "
                   "centred on 1 while training.", (_RATE,), positional=("rate",)))
register(LayerType("AlphaDropout", "Regularization", "Dropout that keeps the mean and variance "
                   "of its inputs; pairs with the 'selu' activation.", (_RATE,),
                   positional=("rate",)))
register(LayerType("GaussianNoise", "Regularization", "Adds random noise to the inputs while "
                   "training, making the model robust to small changes.",
                   (Param("stddev", "float", 0.1, "How strong the noise is (its standard "
                          "deviation, in standardised units).", min=0.0, max=10.0),),
                   positional=("stddev",)))
register(LayerType("BatchNormalization", "Normalization", "Re-centres and re-scales values "
                   "batch by batch; often speeds up training of deep stacks.",
                   (Param("momentum", "float", 0.99, "How slowly the running averages follow "
                          "each new batch (close to 1 = slowly).", min=0.0, max=1.0,
                          min_exclusive=True, max_exclusive=True, advanced=True),
                    _EPS, _CENTER, _SCALE),
                   n_params=_norm_params(2)))
register(LayerType("LayerNormalization", "Normalization", "Re-centres and re-scales the values "
                   "of each row on its own.", (_EPS, _CENTER, _SCALE), n_params=_norm_params(0)))
register(LayerType("Activation", "Core", "Applies an activation function on its own.",
                   (_act("relu", "The function applied to each value."),),
                   positional=("activation",)))


# ----------------------------------------------------------------------------- images (2-D)
def _need_image(name: str, s: tuple) -> None:
    if len(s) != 3:
        got = "a flat vector" if len(s) == 1 else f"{len(s)} axes"
        data = ("use image data (a .zip of pictures, or pixel columns with "
                "data.image_shape).")
        if len(s) != 1:
            raise ShapeError(f"{name} needs an image (height, width, channels) but receives "
                             f"{tuple(s)} ({got}): reshape to (height, width, channels) first, "
                             f"and {data}")
        raise ShapeError(
            f"{name} needs an image (height, width, channels) but receives {tuple(s)} ({got}):",
            first=f"the data is rows of a table, not pictures. Choose a stack for tables (e.g. "
                  f"the 'Small MLP' template), or {data}",
            later=f"remove the Flatten or global pooling above it, and {data}")


def _conv_len(n: int, k: int, stride: int, padding: str) -> int:
    return -(-n // stride) if padding == "same" else (n - k) // stride + 1


def _conv_shape(name):
    def f(s, c):
        _need_image(name, s)
        k, st = int(c["kernel_size"]), int(c["strides"])
        h, w = (_conv_len(d, k, st, c["padding"]) for d in s[:2])
        if h < 1 or w < 1:
            raise ShapeError(f"the image is only {s[0]}×{s[1]} here, smaller than the {k}×{k} "
                             f"kernel: use padding 'same', a smaller kernel, or fewer pooling "
                             f"layers above.")
        return (h, w, int(c["filters"]))
    return f


def _conv_params(s, c):
    k, cin, f = int(c["kernel_size"]), int(s[-1]), int(c["filters"])
    return k * k * cin * f + (f if c.get("use_bias", True) else 0)


def _sepconv_params(s, c):
    k, cin, f = int(c["kernel_size"]), int(s[-1]), int(c["filters"])
    return k * k * cin + cin * f + (f if c.get("use_bias", True) else 0)


def _pool_shape(name):
    def f(s, c):
        _need_image(name, s)
        p = int(c["pool_size"])
        h, w = (_conv_len(d, p, p, c["padding"]) for d in s[:2])
        if h < 1 or w < 1:
            raise ShapeError(f"the image is only {s[0]}×{s[1]} here, smaller than the {p}×{p} "
                             "pool: use padding 'same' or remove a pooling layer.")
        return (h, w, s[2])
    return f


def _global_pool_shape(name):
    def f(s, c):
        _need_image(name, s)
        return (s[2],)
    return f


def _image_only(name):
    def f(s, c):
        _need_image(name, s)
        return s
    return f


def _flatten_shape(s, c):
    n = 1
    for d in s:
        n *= int(d)
    return (n,)


def _reshape_shape(s, c):
    n_in = _flatten_shape(s, c)[0]
    t = tuple(int(d) for d in c["target_shape"])
    n_out = _flatten_shape(t, c)[0]
    if n_in != n_out:
        raise ShapeError(f"cannot reshape {tuple(s)} ({n_in:,} values) into {t} ({n_out:,} "
                         "values): the sizes must multiply to the same number.")
    return t


_FILTERS = Param("filters", "int", 32, "How many patterns (feature maps) the layer learns. "
                 "16–64 is typical for a first layer; deeper layers often use more.",
                 min=1, max=4096, tune={"low": 8, "high": 256, "log": True})
_KERNEL = Param("kernel_size", "int", 3, "The size of the square window each filter looks at "
                "(3 means 3×3 pixels).", min=1, max=31)
_STRIDES = Param("strides", "int", 1, "How many pixels the window moves each step; 2 halves "
                 "the image size.", min=1, max=16, advanced=True)
_PADDING = Param("padding", "choice", "valid", "'same' pads the borders so the image keeps its "
                 "size; 'valid' uses only full windows, so it shrinks a little.",
                 choices=("valid", "same"))
_POOL = Param("pool_size", "int", 2, "The size of the square window summarised into one value "
              "(2 halves the height and width).", min=1, max=16)
_AUG = "Active only while training; predictions see the pictures unchanged."


def _conv(name, summary, n_params):
    register(LayerType(
        name, "Images", summary,
        (_FILTERS, _KERNEL, _STRIDES, _PADDING,
         _act("relu", "How each filter's response is transformed: 'relu' is the usual choice."),
         Param("use_bias", "bool", True, "Give each filter a learnable offset.", advanced=True),
         Param("kernel_initializer" if name == "Conv2D" else "depthwise_initializer", "choice",
               "glorot_uniform", "How the filters are set before training.",
               choices=INITIALIZERS, advanced=True),
         _reg("kernel_regularizer" if name == "Conv2D" else "pointwise_regularizer",
              "the filters")),
        out_shape=_conv_shape(name), n_params=n_params, positional=("filters", "kernel_size")))


_conv("Conv2D", "A 2-D convolution: small filters slide over the image and detect local "
      "patterns such as edges and strokes.", _conv_params)
_conv("SeparableConv2D", "A cheaper convolution: filters each channel on its own, then mixes "
      "channels; far fewer weights than Conv2D.", _sepconv_params)
for _name, _what in (("MaxPooling2D", "the largest value"), ("AveragePooling2D", "the average")):
    register(LayerType(_name, "Images", f"Shrinks the image by keeping {_what} of each small "
                       "window; makes the model less sensitive to exact positions.",
                       (_POOL, _PADDING), out_shape=_pool_shape(_name), positional=("pool_size",)))
for _name, _what in (("GlobalAveragePooling2D", "its average"),
                     ("GlobalMaxPooling2D", "its largest value")):
    register(LayerType(_name, "Images", f"Turns each feature map into one number ({_what}): "
                       "from an image to a vector, with no weights.", (),
                       out_shape=_global_pool_shape(_name)))
register(LayerType("Flatten", "Core", "Lays an image (or any block of values) out as one long "
                   "vector, so Dense layers can follow.", (), out_shape=_flatten_shape))
register(LayerType("Reshape", "Core", "Rearranges the values into another shape with the same "
                   "number of values, e.g. 64 values into an 8×8×1 image.",
                   (Param("target_shape", "shape", [8, 8, 1], "The new shape, without the batch "
                          "axis, e.g. [8, 8, 1]."),),
                   out_shape=_reshape_shape, positional=("target_shape",)))
register(LayerType("SpatialDropout2D", "Images", "Dropout that switches off whole feature maps "
                   "while training; suits convolutional layers.", (_RATE,),
                   out_shape=_image_only("SpatialDropout2D"), positional=("rate",)))
register(LayerType("RandomFlip", "Image augmentation", "Mirrors pictures at random. " + _AUG,
                   (Param("mode", "choice", "horizontal_and_vertical", "Which mirror images to "
                          "use: 'horizontal' for photos, not for digits or text.",
                          choices=("horizontal", "vertical", "horizontal_and_vertical")),),
                   out_shape=_image_only("RandomFlip"), positional=("mode",)))
register(LayerType("RandomRotation", "Image augmentation", "Turns pictures by a random angle. " + _AUG,
                   (Param("factor", "float", 0.1, "The largest turn as a fraction of a full "
                          "circle (0.1 = 36°).", min=0.0, max=1.0),),
                   out_shape=_image_only("RandomRotation"), positional=("factor",)))
register(LayerType("RandomZoom", "Image augmentation", "Zooms in or out at random. " + _AUG,
                   (Param("height_factor", "float", 0.1, "The largest zoom as a fraction of "
                          "the size (0.1 = up to 10%).", min=0.0, max=0.9),),
                   out_shape=_image_only("RandomZoom"), positional=("height_factor",)))
register(LayerType("RandomContrast", "Image augmentation", "Changes the contrast at random. " + _AUG,
                   (Param("factor", "float", 0.1, "How much the contrast may change "
                          "(0.1 = ±10%).", min=0.0, max=1.0),),
                   out_shape=_image_only("RandomContrast"), positional=("factor",)))


# ----------------------------------------------------------------------------- sequences
def _need_sequence(name: str, s: tuple) -> None:
    if len(s) == 2:
        return
    if len(s) == 1:
        raise ShapeError(
            f"{name} needs a sequence (timesteps, features) but receives {tuple(s)}:",
            first="the data is rows of a table, not a sequence. Say on the Target page that it is "
                  "a time series or text, or add Reshape to (timesteps, features) first, e.g. "
                  f"[{s[0]}, 1].",
            later="remove the Flatten (or global pooling) above it, set return_sequences on the "
                  "previous recurrent layer, or add Reshape to (timesteps, features) first, e.g. "
                  f"[{s[0]}, 1].")
    raise ShapeError(f"{name} needs a sequence (timesteps, features) but receives an image "
                     f"{tuple(s)}: add Reshape to [{s[0]}, {s[1] * s[2]}] first (each image row "
                     "becomes one step).")


def _rnn_shape(name):
    def f(s, c):
        _need_sequence(name, s)
        return (s[0], int(c["units"])) if c["return_sequences"] else (int(c["units"]),)
    return f


def _rnn_params(gates: int, extra_bias: int = 0):
    def f(s, c):
        u, n = int(c["units"]), int(s[-1])
        return gates * (u * (n + u) + u * (1 + extra_bias))
    return f


_RNN_PARAMS = {"SimpleRNN": _rnn_params(1), "LSTM": _rnn_params(4), "GRU": _rnn_params(3, 1)}


def _bidirectional_shape(s, c):
    inner = _rnn_shape("Bidirectional")(s, c)
    k = 2 if c["merge_mode"] == "concat" else 1
    return (*inner[:-1], inner[-1] * k)


def _bidirectional_params(s, c):
    return 2 * _RNN_PARAMS[c["layer"]](s, c)


def _conv1d_shape(s, c):
    _need_sequence("Conv1D", s)
    k, st = int(c["kernel_size"]), int(c["strides"])
    t = _conv_len(s[0], k, st, c["padding"])
    if t < 1:
        raise ShapeError(f"the sequence is only {s[0]} steps long here, shorter than the kernel "
                         f"of {k}: use padding 'same' or a smaller kernel.")
    return (t, int(c["filters"]))


def _conv1d_params(s, c):
    k, cin, f = int(c["kernel_size"]), int(s[-1]), int(c["filters"])
    return k * cin * f + (f if c.get("use_bias", True) else 0)


def _pool1d_shape(name):
    def f(s, c):
        _need_sequence(name, s)
        p = int(c["pool_size"])
        t = _conv_len(s[0], p, p, c["padding"])
        if t < 1:
            raise ShapeError(f"the sequence is only {s[0]} steps long here, shorter than the "
                             f"pool of {p}: use padding 'same' or remove a pooling layer.")
        return (t, s[1])
    return f


def _global1d_shape(name):
    def f(s, c):
        _need_sequence(name, s)
        return (s[1],)
    return f


def _rnn_core(default_units=32):
    return (Param("units", "int", default_units, "How many units the layer has: the size of "
                  "its memory. 16–128 is typical.", min=1, max=4096,
                  tune={"low": 8, "high": 256, "log": True}),
            Param("activation", "choice", "tanh", "How each unit transforms its state; 'tanh' "
                  "is the standard for recurrent layers.", choices=ACTIVATIONS),
            Param("return_sequences", "bool", False, "Output one vector per time step (needed "
                  "when another recurrent or 1-D layer follows) instead of only the last one."),
            Param("dropout", "float", 0.0, "Fraction of the inputs switched off while training.",
                  min=0.0, max=1.0, max_exclusive=True),
            Param("recurrent_dropout", "float", 0.0, "Fraction of the memory connections "
                  "switched off while training.", min=0.0, max=1.0, max_exclusive=True,
                  advanced=True))


for _name, _summary in (
        ("SimpleRNN", "A basic recurrent layer: reads a sequence step by step with a short "
                      "memory."),
        ("LSTM", "Long short-term memory: a recurrent layer that keeps what matters over long "
                 "sequences. The usual first choice for series."),
        ("GRU", "Gated recurrent unit: like LSTM with fewer weights; often just as good.")):
    register(LayerType(_name, "Sequences", _summary, _rnn_core(), out_shape=_rnn_shape(_name),
                       n_params=_RNN_PARAMS[_name], positional=("units",)))
register(LayerType(
    "Bidirectional", "Sequences", "Runs a recurrent layer forwards and backwards over the "
    "sequence and combines both readings.",
    (Param("layer", "choice", "LSTM", "The recurrent layer that is run in both directions.",
           choices=("LSTM", "GRU", "SimpleRNN")),) + _rnn_core() +
    (Param("merge_mode", "choice", "concat", "How the two readings are combined: 'concat' "
           "places them side by side (twice the units).",
           choices=("concat", "sum", "mul", "ave"), advanced=True),),
    out_shape=_bidirectional_shape, n_params=_bidirectional_params,
    extra={"wraps": "layer", "outer": ("merge_mode",)}))
register(LayerType(
    "Conv1D", "Sequences", "A 1-D convolution: small filters slide along the sequence and "
    "detect local patterns.",
    (_FILTERS, _KERNEL, _STRIDES, _PADDING,
     _act("relu", "How each filter's response is transformed."),
     Param("use_bias", "bool", True, "Give each filter a learnable offset.", advanced=True)),
    out_shape=_conv1d_shape, n_params=_conv1d_params, positional=("filters", "kernel_size")))
for _name, _what in (("MaxPooling1D", "the largest value"), ("AveragePooling1D", "the average")):
    register(LayerType(_name, "Sequences", f"Shortens the sequence by keeping {_what} of each "
                       "small window of steps.", (_POOL, _PADDING), out_shape=_pool1d_shape(_name),
                       positional=("pool_size",)))
for _name, _what in (("GlobalMaxPooling1D", "its largest value"),
                     ("GlobalAveragePooling1D", "its average")):
    register(LayerType(_name, "Sequences", f"Turns each feature of the sequence into one number "
                       f"({_what}): from a sequence to a vector.", (),
                       out_shape=_global1d_shape(_name)))



# ----------------------------------------------------------------------------- text
def _embedding_shape(s, c):
    if len(s) != 1:
        raise ShapeError(f"Embedding needs the word numbers of a text (sequence_length,) but "
                         f"receives {tuple(s)}: put it first in the stack of a text model.")
    return (s[0], int(c["output_dim"]))


def _embedding_params(s, c):
    return int(c["input_dim"] or 0) * int(c["output_dim"])


register(LayerType(
    "Embedding", "Text", "Turns each word number into a learned vector of numbers: the first "
    "layer of a text model.",
    (Param("input_dim", "int", None, "Vocabulary size. Leave empty to use the text settings' "
           "vocabulary size (words beyond it count as unknown).", min=2, max=1_000_000,
           nullable=True, advanced=True),
     Param("output_dim", "int", 32, "How many numbers describe each word. 16–128 is typical; "
           "larger vocabularies deserve more.", min=1, max=4096,
           tune={"low": 8, "high": 256, "log": True}),
     Param("mask_zero", "bool", False, "Tell the following layers to skip the padding at the "
           "end of short texts (recurrent and average-pooling layers honour it).",
           advanced=True)),
    out_shape=_embedding_shape, n_params=_embedding_params,
    positional=("input_dim", "output_dim")))


def _time_distributed_shape(s, c):
    _need_sequence("TimeDistributed", s)
    return (s[0], int(c["units"]))


register(LayerType(
    "TimeDistributed", "Sequences", "Applies the same Dense layer to every step of a sequence "
    "(e.g. after an LSTM with return_sequences).",
    (Param("layer", "choice", "Dense", "The layer applied at every step.", choices=("Dense",)),
     Param("units", "int", 16, "How many units the Dense layer has.", min=1, max=MAX_UNITS),
     _act()),
    out_shape=_time_distributed_shape,
    n_params=lambda s, c: int(s[-1]) * int(c["units"]) + int(c["units"]),
    extra={"wraps": "layer", "outer": ()}))


def infer_shapes(input_shape: tuple, layers: list[dict]) -> list[dict]:
    """Walk the stack. Returns one dict per layer: ``shape`` (output, no batch axis), ``params``.

    Raises :class:`ShapeError` naming the layer (1-based) and the fix when a layer cannot take
    its input.
    """
    shape, out = tuple(input_shape), []
    for i, layer in enumerate(layers, start=1):
        lt = CATALOG[layer["type"]]
        cfg = {**lt.defaults(), **{k: v for k, v in layer.items() if k != "type"}}
        try:
            n = lt.n_params(shape, cfg)
            shape = lt.out_shape(shape, cfg)
        except ShapeError as e:
            raise ShapeError(f"Layer {i} ({lt.name}): {e.fix(i)}") from None
        out.append({"shape": shape, "params": int(n)})
    return out
