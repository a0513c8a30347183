"""The run bundle, the SQLite store of runs, the training gate and the run service."""
