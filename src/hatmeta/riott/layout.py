"""The results paths of the RIOTT missing-test sensitivity analysis, defined once.

Used by ``workflow/rules/riott.smk``, the RIOTT adapters and the RIOTT notebook, as
:mod:`hatmeta.layout` is for the stages every review runs.
"""

# One named scenario: its assumptions and imputed counts, and the pooled result with them.
SCENARIO = "results/sensitivity/{scenario}/riott.csv"
SCENARIO_IMPUTATIONS = "results/sensitivity/{scenario}/imputations.csv"
POOLED = "results/sensitivity/{scenario}/pooled.json"
# The heatmap, tipping and structural cells (hatmeta.riott.grid), computed in batches.
CELLS_BATCH = "results/sensitivity/cells/cells_{batch}.csv"
CELLS_IMPUTATIONS = "results/sensitivity/cells/imputations_{batch}.csv"
# The pooled posteriors under every pair of RIOTT's counts, and the checks of their quadrature.
BANK_CHECKS = "results/sensitivity/bank.json"
BANK = "results/sensitivity/bank.npz"
# Everything carried into the pooled analysis.
SCENARIOS = "results/sensitivity/scenarios.csv"
CELLS = "results/sensitivity/cells.csv"
TIPPING_POINTS = "results/sensitivity/tipping_points.csv"
STRUCTURAL = "results/sensitivity/structural.csv"
DEPENDS_ON = "results/sensitivity/depends_on.csv"
SENTENCES = "results/sensitivity/sentences.txt"
PATIENT_LEVEL = "results/sensitivity/patient_level_imor.csv"
HEATMAP = "results/figures/sensitivity/tipping_{result}_{heroin}.png"
CURVE = "results/figures/sensitivity/tipping_curve.png"
TIPPING_MAP = "results/figures/sensitivity/tipping_map.png"
