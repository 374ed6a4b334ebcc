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
# # Extraction audit
#
# Every figure of the extraction sheet against its source: status, derived counts recomputed,
# and what each analysis leaves out and why. Runs on existing results (`results/data/`); run
# `snakemake --cores 4` first. Open this file in Jupyter (jupytext pairs it with a notebook);
# paths are relative to the project.
#
# **What to look at:**
# 1. *Statuses by trial*: how much of each trial rests on its own publication (`reported`) and
#    how much on derivations, third parties or nothing (`not_found`).
# 2. *Derived counts recomputed*: "mismatches: 0"; any row printed there is an extraction error.
# 3. *Percentages against counts*: differences above one point deserve a look.
# 4. *What each analysis pools, and what it leaves out*: every trial left out has its reason.

# %% tags=["parameters"]
config_file = "config/config.yaml"  # relative to the project root; the workflow passes its own
inputs = None  # the workflow passes the paths of the results this notebook reads

# %%
import numpy as np
import pandas as pd

from hatmeta import layout
from hatmeta.config import load_settings
from hatmeta.data.tables import read_analysis_csv
from hatmeta.notebooks import input_paths, project_root

ROOT = project_root()
settings = load_settings(ROOT / config_file)
paths = input_paths(
    inputs,
    ROOT,
    {
        "audit": layout.AUDIT,
        "harmonised": layout.HARMONISED,
        "tables": [
            layout.fill(layout.ANALYSIS_TABLE, evidence=evidence, analysis=analysis)
            for evidence in settings.evidence.run
            for analysis in settings.analyses
        ],
    },
)
audit = pd.read_csv(paths["audit"], keep_default_na=False, na_values=[""])
harmonised = pd.read_csv(paths["harmonised"], keep_default_na=False, na_values=[""])
pd.set_option("display.max_colwidth", 80)
print(f"{len(audit)} figures from {audit['source'].nunique()} sources")

# %% [markdown]
# ## Statuses by trial
# `reported`: in the trial's own publication; `derived`: computed from a reported percentage;
# `secondary`: only a third party (review, newspaper) reports it; `not_found`: nobody did.

# %%
audit.pivot_table(index="trial", columns="status", values="line", aggfunc="count", fill_value=0)

# %% [markdown]
# ## Sources
# Each source key with its citation and how many figures rest on it.

# %%
(
    audit.groupby(["source", "citation"], dropna=False)
    .agg(figures=("line", "count"), statuses=("status", lambda s: ", ".join(sorted(set(s)))))
    .reset_index()
)

# %% [markdown]
# ## Derived counts recomputed
# A derived count must equal `round(percent x total)` (half up). Any row printed under
# "mismatches" is an extraction error.

# %%
derived = audit[audit["status"] == "derived"].copy()
derived["recomputed"] = np.floor(derived["percent_reported"] / 100 * derived["total"] + 0.5)
derived["matches"] = derived["recomputed"] == derived["events"]
print("mismatches:", int((~derived["matches"]).sum()))
derived[["line", "trial", "arm", "measure", "percent_reported", "total", "events", "recomputed",
         "matches", "derivation"]]

# %% [markdown]
# ## Percentages against counts
# For reported rows with both a percentage and counts, the percentage recomputed from the counts
# (differences above one point deserve a look; multiple-imputation percentages are expected to
# differ).

# %%
both = audit[audit["percent_reported"].notna() & audit["events"].notna() & audit["total"].notna()]
check = both.assign(percent_from_counts=(100 * both["events"] / both["total"]).round(1))
check["difference"] = (check["percent_from_counts"] - check["percent_reported"]).round(1)
check[["line", "trial", "arm", "measure", "events", "total", "percent_reported",
       "percent_from_counts", "difference", "status"]]

# %% [markdown]
# ## Figures nobody published

# %%
audit[audit["status"] == "not_found"][["line", "trial", "arm", "outcome", "measure", "note"]]

# %% [markdown]
# ## What each analysis pools, and what it leaves out
# One table per evidence set: trials included (with the measure used) and trials excluded with
# the reason the extract stage gave.

# %%
rows = []
for (evidence, analysis), path in layout.index(layout.ANALYSIS_TABLE, paths["tables"]).items():
    # Not the validating reader: the extract stage validated these tables when it wrote them, and
    # pandera's import and 18 validations were half this notebook's run time.
    table = read_analysis_csv(path)
    for trial, group in table.groupby("trial", sort=False):
        first = group.iloc[0]
        rows.append({
            "evidence": evidence,
            "analysis": analysis,
            "trial": trial,
            "included": bool(first["included"]),
            "measure or reason": first["measure"] if first["included"] else first["reason"],
            "statuses": ", ".join(sorted(set(group["status"].dropna()))),
        })
inclusion = pd.DataFrame(rows)
inclusion.pivot_table(index=["analysis", "trial"], columns="evidence", values="included",
                      aggfunc="first")

# %%
inclusion[~inclusion["included"]].drop(columns="included")

# %% [markdown]
# ## Counts used per analysis (main evidence set)
# The harmonised counts each analysis pools, as events / total per arm.

# %%
main = settings.evidence.main
used = inclusion[(inclusion["evidence"] == main) & inclusion["included"]]
used.groupby("analysis")["trial"].apply(", ".join).to_frame("trials pooled")
