"""RIOTT's missing urine tests: the test-level model, its scenarios and their weight in the pool.

Light on purpose: the workflow imports :mod:`hatmeta.riott.grid` to build its DAG.
"""
