"""Spec + preprocessing -> keras.Model (``builder``); the optimizer and callbacks described once
as data (``recipe``), read by the builder and the code generator."""
