"""Bayesian random-effects meta-analysis: model, sampling, diagnostics, summaries, stage."""
