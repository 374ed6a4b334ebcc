"""The results paths of the RIOTT missing-test sensitivity analysis, defined once.

Used by ``workflow/rules/riott.smk``, the RIOTT adapters and the RIOTT notebook, as
:mod:`hatmeta.layout` is for the stages every review runs.
"""

SCENARIO = "results/sensitivity/{scenario}/riott.csv"
POOLED = "results/sensitivity/{scenario}/pooled.json"
SCENARIOS = "results/sensitivity/scenarios.csv"
GRID_BATCH = "results/sensitivity/tipping/{heroin}/cells_{batch}.csv"
GRID = "results/sensitivity/tipping/{heroin}/grid.csv"
TIPPING_POINTS = "results/sensitivity/tipping/tipping_points.csv"
TIPPING_SENTENCE = "results/sensitivity/tipping/tipping_sentence.txt"
BASE_POSTERIOR = "results/sensitivity/base_posterior.nc"
BASE_DIAGNOSTICS = "results/sensitivity/base_diagnostics.json"
IMPORTANCE = "results/sensitivity/importance_sampling.json"
PATIENT_LEVEL = "results/sensitivity/patient_level_imor.csv"
HEATMAP = "results/figures/sensitivity/tipping_{result}_{heroin}.png"
CURVE = "results/figures/sensitivity/tipping_curve.png"
