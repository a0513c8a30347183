"""The one preprocessing step Keras has no built-in layer for: reading dates.

``DateParts`` turns ISO-8601 date strings into the three date inputs KwK's preprocessing makes
(:data:`kwk.prep.preprocess.DATE_PARTS`: days since 1970, month, day of week), each filled and
standardised with the training statistics, computed in float64 like
:meth:`kwk.prep.preprocess.Preprocessor.encode_rows`. It is registered with Keras under
``kwk>DateParts``: load an exported model that has a date column after ``import
kwk.export.layers`` (models without dates hold only built-in layers and operations).

The class is made (and registered) when ``DateParts`` is first asked for (``from
kwk.model.date_parts import DateParts``), so importing this module does not load Keras.
"""
from __future__ import annotations

import functools

from kwk.prep.preprocess import DATE_PARTS
from kwk.prep.series import ISO_DATE


def __getattr__(name: str):
    if name == "DateParts":
        return _date_parts()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _date_parts():
    """The ``DateParts`` layer class, defined and registered with Keras once."""
    import keras

    @keras.saving.register_keras_serializable(package="kwk")
    class DateParts(keras.layers.Layer):
        """ISO date strings ``(n, 1)`` -> ``(n, 3)`` float32: days since 1970-01-01 (with the time
        of day as a fraction), month (1-12) and day of the week (Monday = 0), each with missing or
        unreadable dates filled (``parts[p]["fill"]``) and then standardised (``mean``, ``std``)."""

        def __init__(self, parts: dict, **kwargs):
            super().__init__(**kwargs)
            self.parts = {p: {k: float(parts[p][k]) for k in ("fill", "mean", "std")}
                          for p in DATE_PARTS}

        def call(self, inputs):
            import tensorflow as tf
            s = tf.strings.strip(tf.reshape(tf.cast(inputs, tf.string), [-1]))
            ok = tf.strings.regex_full_match(s, ISO_DATE)
            padded = tf.strings.join([s, " " * 20])  # every piece below exists, even in ""

            def number(start, length):
                piece = tf.strings.substr(padded, start, length)
                piece = tf.where(tf.strings.regex_full_match(piece, r"\d+"), piece, "0")
                return tf.strings.to_number(piece, out_type=tf.int64)

            y, m, d = number(0, 4), number(5, 2), number(8, 2)
            hh, mm, ss = number(11, 2), number(14, 2), number(17, 2)
            ok &= (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31) & (hh < 24) & (mm < 60) & (ss < 61)
            # days from the civil date (H. Hinnant's algorithm, proleptic Gregorian calendar)
            y = y - tf.cast(m <= 2, tf.int64)
            era = tf.math.floordiv(y, 400)
            yoe = y - era * 400
            mp = tf.where(m > 2, m - 3, m + 9)
            doy = tf.math.floordiv(153 * mp + 2, 5) + d - 1
            doe = yoe * 365 + tf.math.floordiv(yoe, 4) - tf.math.floordiv(yoe, 100) + doy
            days = era * 146097 + doe - 719468
            values = {
                "days": tf.cast(days, tf.float64)
                + tf.cast(hh * 3600 + mm * 60 + ss, tf.float64) / 86400.0,
                "month": tf.cast(m, tf.float64),
                "dayofweek": tf.cast(tf.math.floormod(days + 3, 7), tf.float64),  # 1970-01-01: Thu
            }
            cols = []
            for p in DATE_PARTS:
                st = self.parts[p]
                v = tf.where(ok, values[p], tf.constant(st["fill"], tf.float64))
                cols.append(tf.cast((v - st["mean"]) / st["std"], tf.float32))
            return tf.stack(cols, axis=1)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], len(DATE_PARTS))

        def get_config(self):
            return {**super().get_config(), "parts": self.parts}

    return DateParts
