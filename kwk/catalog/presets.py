"""Starting points for the Build page: named layer stacks."""
TEMPLATES: dict[str, dict] = {
    "Small MLP": {"help": "Two small hidden layers: a solid first try for most tables.",
                  "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                             {"type": "Dense", "units": 16, "activation": "relu"}]},
    "Deep & regularized": {"help": "Four Dense layers (128, 64, 32, 16 units), the first two "
                           "with an L2 penalty, each followed by batch normalization and "
                           "dropout: 8 layers in all, for larger tables; resists over-fitting.",
                           "layers": [{"type": "Dense", "units": 128, "activation": "relu",
                                       "kernel_initializer": "he_normal",
                                       "kernel_regularizer": {"type": "L2", "l2": 0.0001}},
                                      {"type": "BatchNormalization"},
                                      {"type": "Dropout", "rate": 0.3},
                                      {"type": "Dense", "units": 64, "activation": "relu",
                                       "kernel_initializer": "he_normal",
                                       "kernel_regularizer": {"type": "L2", "l2": 0.0001}},
                                      {"type": "BatchNormalization"},
                                      {"type": "Dropout", "rate": 0.3},
                                      {"type": "Dense", "units": 32, "activation": "relu"},
                                      {"type": "Dense", "units": 16, "activation": "relu"}]},
    "Wide & shallow": {"help": "One wide hidden layer.",
                       "layers": [{"type": "Dense", "units": 256, "activation": "relu"},
                                  {"type": "Dropout", "rate": 0.2}]},
    "Self-normalizing (SELU)": {"help": "SELU units with AlphaDropout keep signals well scaled "
                                "without batch normalization.",
                                "layers": [{"type": "Dense", "units": 64, "activation": "selu",
                                            "kernel_initializer": "lecun_normal"},
                                           {"type": "AlphaDropout", "rate": 0.1},
                                           {"type": "Dense", "units": 32, "activation": "selu",
                                            "kernel_initializer": "lecun_normal"}]},
    "Small CNN (images)": {"help": "Two convolution + pooling blocks, then a small dense head: "
                           "a solid first try for pictures (needs image data).",
                           "modality": "images",
                           "layers": [{"type": "Conv2D", "filters": 32, "kernel_size": 3,
                                       "padding": "same", "activation": "relu"},
                                      {"type": "MaxPooling2D", "pool_size": 2},
                                      {"type": "Conv2D", "filters": 64, "kernel_size": 3,
                                       "padding": "same", "activation": "relu"},
                                      {"type": "MaxPooling2D", "pool_size": 2},
                                      {"type": "Flatten"},
                                      {"type": "Dropout", "rate": 0.3},
                                      {"type": "Dense", "units": 64, "activation": "relu"}]},
    "LSTM (time series)": {"help": "One LSTM layer reads the look-back window step by step, "
                           "then a small dense head: a solid first try for forecasting.",
                           "modality": "series",
                           "layers": [{"type": "LSTM", "units": 32},
                                      {"type": "Dense", "units": 16, "activation": "relu"}]},
    "Embedding + GRU (text)": {"help": "Word vectors (Embedding) read by a GRU, then a small "
                               "dense head: a solid first try for text.",
                               "modality": "text",
                               "layers": [{"type": "Embedding", "output_dim": 32,
                                           "mask_zero": True},
                                          {"type": "GRU", "units": 32},
                                          {"type": "Dropout", "rate": 0.2},
                                          {"type": "Dense", "units": 16, "activation": "relu"}]},
    "Linear model": {"help": "No hidden layer: logistic or linear regression, as a reference.",
                     "layers": []},
    "Table + text": {"help": "Two branches: a dense layer reads the table's columns, word "
                     "vectors averaged over the text read the text column; a small dense head "
                     "reads both.",
                     "modality": "table_text",
                     "branches": {"table": [{"type": "Dense", "units": 32, "activation": "relu"}],
                                  "text": [{"type": "Embedding", "output_dim": 32,
                                            "mask_zero": True},
                                           {"type": "GlobalAveragePooling1D"}]},
                     "layers": [{"type": "Dense", "units": 32, "activation": "relu"},
                                {"type": "Dropout", "rate": 0.2}]},
    "Table + pictures": {"help": "Two branches: a dense layer reads the table's columns, a small "
                         "CNN the pictures; a dense head reads both.",
                         "modality": "table_images",
                         "branches": {"table": [{"type": "Dense", "units": 32,
                                                 "activation": "relu"}],
                                      "image": [{"type": "Conv2D", "filters": 32,
                                                 "kernel_size": 3, "padding": "same",
                                                 "activation": "relu"},
                                                {"type": "MaxPooling2D", "pool_size": 2},
                                                {"type": "Conv2D", "filters": 64,
                                                 "kernel_size": 3, "padding": "same",
                                                 "activation": "relu"},
                                                {"type": "GlobalAveragePooling2D"}]},
                         "layers": [{"type": "Dense", "units": 64, "activation": "relu"},
                                    {"type": "Dropout", "rate": 0.3}]},
}
# Mixed inputs: a table with a text column, or with pixel columns; each read by its branch.
MIXED = {"table_text": ("table", "text"), "table_images": ("table", "image")}
# The modality of each branch's own layers (what its palette offers).
BRANCH_MODALITY = {"table": "table", "text": "text", "image": "images"}

# The starting stack per modality: tables, pictures, time series, text.
DEFAULT_FOR_MODALITY = {"table": "Small MLP", "images": "Small CNN (images)",
                        "series": "LSTM (time series)", "text": "Embedding + GRU (text)",
                        "table_text": "Table + text", "table_images": "Table + pictures"}


def modality(data: dict) -> str:
    """The modality a spec's ``data`` section describes: table, images, series or text; a
    resolved mixed-input model (``data.inputs``) is "mixed"."""
    if data.get("inputs"):
        return "mixed"
    if data.get("image_shape"):
        return "images"
    if data.get("sequence"):
        return "series"
    if data.get("text"):
        return "text"
    return "table"


def fits_modality(layers: list[dict], modality: str) -> bool:
    """Whether a stack suits the kind of data (a CNN on pictures, an Embedding on text...)."""
    from kwk.catalog.layers import CATALOG
    if modality in MIXED:  # the layers after the merge read a flat vector, as a table's do
        modality = "table"
    cats = {CATALOG[layer["type"]].category for layer in layers if layer["type"] in CATALOG}
    has_image = any(c.startswith("Image") for c in cats)
    has_text = "Text" in cats
    has_seq = "Sequences" in cats
    return {"images": has_image, "text": has_text, "series": has_seq and not has_text,
            "table": not (has_image or has_text or has_seq)}[modality]


# The layer groups (catalog categories) that suit each modality; the rest are behind "show all".
SHARED_CATEGORIES = {"Core", "Regularization", "Normalization"}
MODALITY_CATEGORIES = {"table": SHARED_CATEGORIES,
                       "images": SHARED_CATEGORIES | {"Images", "Image augmentation"},
                       "series": SHARED_CATEGORIES | {"Sequences"},
                       "text": SHARED_CATEGORIES | {"Sequences", "Text"}}


def templates_for(modality: str) -> list[str]:
    """The templates that can work on this modality, the one made for it first. The linear
    model (no hidden layer) suits every modality but text, whose words need an Embedding."""
    if modality in MIXED:
        return [n for n, t in TEMPLATES.items() if t.get("modality") == modality]
    fit = [n for n, t in TEMPLATES.items() if "branches" not in t and (
        fits_modality(t["layers"], modality) or (not t["layers"] and modality != "text"))]
    return sorted(fit, key=lambda n: n != DEFAULT_FOR_MODALITY[modality])


def layers_for(modality: str) -> list[str]:
    """The layer types that suit this modality, in catalog order."""
    from kwk.catalog.layers import CATALOG
    cats = MODALITY_CATEGORIES["table" if modality in MIXED else modality]
    return [k for k, lt in CATALOG.items() if lt.category in cats]


def starter_spec(sample) -> dict:
    """A complete spec for a bundled sample: its target, its kind of data and the template
    made for that kind."""
    import copy
    data = {"target": sample.target}
    if sample.image_shape:
        data["image_shape"] = list(sample.image_shape)
    if sample.sequence:
        data["sequence"] = dict(sample.sequence)
    if sample.text:
        data["text"] = dict(sample.text)
    name = DEFAULT_FOR_MODALITY[modality(data)]
    return {"kwk_spec": 1, "name": f"{sample.key}: {name}", "data": data,
            "layers": copy.deepcopy(TEMPLATES[name]["layers"]), "training": {"epochs": 30}}
