"""``import kwk.export.layers`` registers KwK's one custom Keras layer, ``DateParts`` (under
``kwk>DateParts``), before loading an exported model that has a date column: the name users
and older exports were told. The layer lives in :mod:`kwk.model.date_parts`."""
from kwk.model.date_parts import DateParts  # noqa: F401
