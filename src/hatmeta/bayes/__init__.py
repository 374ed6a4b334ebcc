"""Bayesian random-effects meta-analysis: model, sampling, diagnostics, summaries, stage."""

#: The trials' dimension in every posterior. Here, not in the model module, so that reading a
#: posterior (summaries, the report) does not import PyMC.
TRIAL_DIM = "trial"
