"""The extraction sheet and the analysis tables built from it."""
