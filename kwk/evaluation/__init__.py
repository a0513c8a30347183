"""Metrics beside baselines, analysis (threshold, importance, profiler) and the HTML report."""
