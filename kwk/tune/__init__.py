"""Tuning: Optuna searches for a better network around the user's own (see ``space`` for the
spec's ``tune`` section and ``search`` for the study, its trials and the best run)."""
