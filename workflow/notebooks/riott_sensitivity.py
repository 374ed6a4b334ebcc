# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # RIOTT missing-test sensitivity, interactively
#
# RIOTT counted every unexplained missing urine test as positive for street heroin. This
# notebook lets a reviewer change the assumptions (the informative missingness odds ratio,
# IMOR, of each arm and the share of tests each arm missed) and see RIOTT's odds ratio, and the
# pooled illicit-heroin result, change, beside the workflow's named scenarios. It calls the same
# library code as the workflow (`hatmeta.riott`); the model and its assumptions are in the
# docstring of `hatmeta.riott.testlevel` (printed below).

# %% tags=["parameters"]
config_file = "config/config.yaml"  # relative to the project root; the workflow passes its own
inputs = None  # the workflow passes the paths of the results this notebook reads
# Change these and re-run the cells below.
imor_heroin = 1.0  # 0 = missing counted positive (published), 1 = at random, inf = negative
imor_methadone = 1.0
missing_share_heroin = 0.15  # share of scheduled tests the heroin arm missed
missing_share_methadone = None  # None: from the "extra 43%" anchor in the config

# %%
import math

import pandas as pd

from hatmeta import layout
from hatmeta.config import load_settings
from hatmeta.notebooks import input_paths, project_root
from hatmeta.riott import layout as riott_layout
from hatmeta.riott import propagation, scenarios, testlevel
from hatmeta.riott.bank import Bank
from hatmeta.riott.settings import Scenario

ROOT = project_root()
settings = load_settings(ROOT / config_file)
riott = settings.riott
paths = input_paths(
    inputs,
    ROOT,
    {
        "harmonised": layout.HARMONISED,
        "facts": settings.data.riott_testing,
        "scenarios": riott_layout.SCENARIOS,
        "sentences": riott_layout.SENTENCES,
        "bank": riott_layout.BANK,
    },
)
data = scenarios.load_inputs(riott, paths["harmonised"], paths["facts"])
print(testlevel.__doc__.split("Why not")[0])
print("published responders:", data.published)

# %% [markdown]
# ## Your scenario against the named ones
# The named scenarios are the workflow's (`results/sensitivity/scenarios.csv`); yours is computed
# here with the same code: its assumptions checked against the published counts, its imputed
# responder counts drawn, and RIOTT's evidence carried into the pooled analysis as the mixture
# over imputations of the pooled posteriors in the workflow's bank (exact binomial likelihood).

# %%
mine = Scenario(
    name="YOUR SCENARIO",
    imor_heroin=imor_heroin,
    imor_methadone=imor_methadone,
    missing_share_heroin=missing_share_heroin,
    missing_share_methadone=missing_share_methadone,
)
[result] = scenarios.run(riott, [mine], data, riott.draws)
print("compatible with the published counts" if result.usable else "; ".join(result.reasons))
analysis = settings.analysis(riott.tipping.analysis)
yours = propagation.pooled(
    scenarios.frame([result], data),
    scenarios.imputations_frame([result]),
    Bank.load(paths["bank"]),
    analysis.outcome.higher_is_better,
)
named = pd.read_csv(paths["scenarios"])
table = pd.concat([named, yours], ignore_index=True).set_index("scenario")
table[
    [
        "imor_heroin",
        "imor_methadone",
        "missing_share_heroin",
        "missing_share_methadone",
        "usable",
        "responders_heroin_median",
        "responders_methadone_median",
        "rd_median",
        "riott_or_median",
        "riott_or_lower",
        "riott_or_upper",
        "pooled_or_median",
        "pooled_p_benefit",
    ]
].round(3)

# %% [markdown]
# ## Tipping points and what the conclusion depends on (the workflow's sentences)

# %%
print(paths["sentences"].read_text())

# %%
assert math.isfinite(table.loc["YOUR SCENARIO", "pooled_p_benefit"])
