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
# library code as the workflow (`hatmeta.riott`).
#
# **What to look at:** your scenario's row against the named ones (is it compatible with the
# published counts? on which side of 1 is RIOTT's odds ratio? does the pooled P(benefit) stay
# above the threshold?), then the tipping-point map: how far the oral-methadone IMOR can move
# before either conclusion tips, under each reading of the anchor and heroin missing share.
#
# **To change the scenario:** in Jupyter, move the controls under "Your scenario" (each answer
# takes well under a second), or edit the parameters cell below and re-run the notebook. Paths
# are relative to the project; run `snakemake --cores 4` first.

# %% tags=["parameters"]
config_file = "config/config.yaml"  # relative to the project root; the workflow passes its own
inputs = None  # the workflow passes the paths of the results this notebook reads
# Your scenario: change these and re-run the cells below (or use the controls in Jupyter).
imor_heroin = 1.0  # 0 = missing counted positive (published), 1 = at random, inf = negative
imor_methadone = 1.0
missing_share_heroin = 0.15  # share of scheduled tests the heroin arm missed
# The oral-methadone arm's missing share: a number, or None to take it from the "extra 43%"
# anchor under the config's reading (or name the reading: "percentage_points", "relative").
missing_share_methadone = None

# %%
import math
import time

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from hatmeta import layout
from hatmeta.config import load_settings
from hatmeta.notebooks import input_paths, interactive, project_root
from hatmeta.docstrings import docstring_markdown
from hatmeta.riott import explore, scenarios, testlevel
from hatmeta.riott import layout as riott_layout
from hatmeta.riott.bank import Bank
from hatmeta.riott.figures import tipping_map, tipping_map_data
from hatmeta.riott.report import DEPENDS_HEADERS, TIPPING_HEADERS

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
        "cells": riott_layout.CELLS,
        "tipping_points": riott_layout.TIPPING_POINTS,
        "depends_on": riott_layout.DEPENDS_ON,
        "bank": riott_layout.BANK,
    },
)
data = scenarios.load_inputs(riott, paths["harmonised"], paths["facts"])
bank = Bank.load(paths["bank"])
higher_is_better = settings.analysis(riott.tipping.analysis).outcome.higher_is_better
named = pd.read_csv(paths["scenarios"])
print("published primary-rule responders:", data.published)

# %% [markdown]
# ## The model
# The docstring of `hatmeta.riott.testlevel`, the module that computes it:

# %%
display(Markdown(docstring_markdown(testlevel.__doc__, heading="###")))

# %% [markdown]
# ## Your scenario against the named ones
# The named scenarios are the workflow's (`results/sensitivity/scenarios.csv`); yours is computed
# here with the same code: its assumptions checked against the published counts, its imputed
# responder counts drawn, and RIOTT's evidence carried into the pooled analysis as the mixture
# over imputations of the pooled posteriors in the workflow's bank (exact binomial likelihood,
# no sampling). The table: imputed responders (median, 95% interval), the risk difference,
# RIOTT's and the pooled odds ratio (95% CrI) and P(benefit).


# %%
def ask(scenario):
    """The named scenarios and ``scenario``, as the report shows them."""
    yours = explore.answer(riott, scenario, data, bank, higher_is_better)
    return pd.concat([named, yours], ignore_index=True)


mine = explore.your_scenario(
    imor_heroin, imor_methadone, missing_share_heroin, missing_share_methadone
)
start = time.process_time()
table = ask(mine)
seconds = time.process_time() - start
yours = table.set_index("scenario").loc[explore.NAME]
print(
    f"Your scenario (IMOR {imor_heroin:g} / {imor_methadone:g}, missing shares "
    f"{yours['missing_share_heroin']:.2f} / {yours['missing_share_methadone']:.2f}): "
    + ("compatible with the published counts" if yours["usable"] else yours["reason"])
    + f"; answered in {seconds:.2f} s of CPU (in a fresh session this first answer also loads "
    "SciPy and ArviZ; the controls' answers take a fraction of it)"
)
explore.readable(table)

# %% [markdown]
# ### Move the controls (live in Jupyter)
# Run in Jupyter, the cell below shows controls for your scenario: the IMOR of each arm, the
# heroin arm's missing share, and the oral-methadone arm's share (from a reading of the "extra
# 43%" anchor, or given). Each change answers at once, from the same code as above. In the
# workflow's run (this page, executed headless) it shows nothing: the answer above is the
# default scenario's.

# %%
if interactive():
    display(explore.controls(riott, mine, ask))

# %% [markdown]
# ## Tipping points
# For each heroin-arm scenario, reading of the anchor and heroin missing share: the smallest
# oral-methadone IMOR at which RIOTT's 95% CrI includes 1, and at which the pooled result loses
# P(benefit) at or above the threshold (the workflow's `tipping_points.csv`; "–": none within
# the grid). Incompatible cells are left out of the tipping points, and counted (why: printed
# above the table).

# %%
points = pd.read_csv(paths["tipping_points"])
for reason in points["reason"].dropna().unique():
    print("incompatible cells:", reason)
explore.formatted(points.drop(columns="reason"), TIPPING_HEADERS, index=2)

# %%
figure = tipping_map(
    tipping_map_data(
        pd.read_csv(paths["cells"]), riott.tipping.benefit_probability, riott.default_choice()
    )
)
display(figure)
plt.close(figure)

# %% [markdown]
# *The tipping points on the oral-methadone IMOR grid: RIOTT's 95% CrI above 1 (upper half of
# each cell) and the pooled P(benefit) at or above the threshold (lower half), dark where they
# hold; black bars: the tipping points of the table; hatched: cells incompatible with the
# published counts; framed and starred: the configured reading, heroin share and scenario IMOR.*

# %% [markdown]
# ## What the conclusion depends on
# Each structural assumption over its range, the others at their defaults (compatible cells
# only): does RIOTT's odds ratio change side of 1, does the pooled conclusion change?

# %%
explore.formatted(pd.read_csv(paths["depends_on"]), DEPENDS_HEADERS)

# %%
assert math.isfinite(yours["pooled_p_benefit"])
