"""Spec + preprocessing -> keras.Model; the optimizer and callbacks described once as data."""
