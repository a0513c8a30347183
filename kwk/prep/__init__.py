"""Fitted preprocessing stored as data, splits, time-series windows and text inputs."""
