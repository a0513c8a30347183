"""Fitted preprocessing stored as data, splits, time-series windows and text inputs; the
preparation of data in memory (``prepare``) and on disk (``streamed.plan``) into one
``Prepared`` type; preprocessing statistics (``stats``) and reservoir sampling (``sampling``)."""
