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
# pooled illicit-heroin result, change. It calls the same library code as the workflow
# (`hatmeta.missing`, `hatmeta.sensitivity`); the model and its assumptions are in the
# docstring of `hatmeta.missing` (printed below).

# %% tags=["parameters"]
config_file = "config/config.yaml"  # relative to the project root; the workflow passes its own
# Change these and re-run the cells below.
imor_heroin = 1.0  # 0 = missing counted positive (published), 1 = at random, inf = negative
imor_methadone = 1.0
missing_share_heroin = 0.15  # share of scheduled tests the heroin arm missed
missing_share_methadone = None  # None: from the "extra 43%" anchor in the config

# %%
import math

import pandas as pd
import yaml

from hatmeta import config as hatconfig
from hatmeta import missing
from hatmeta.report import project_root, require

ROOT = project_root()
config = hatconfig.load(ROOT / config_file)
riott = config["riott"]
harmonised_path, facts_path = require(
    ROOT, "results/data/harmonised.csv", config["data"]["riott_testing"]
)
harmonised = pd.read_csv(harmonised_path, keep_default_na=False, na_values=[""])
facts = yaml.safe_load(facts_path.read_text())
design = missing.TestingDesign.from_facts(facts)
excess = riott["excess_missing_percent"]  # the commentary's "extra 43%"
published = missing.published_counts(harmonised, riott["trial"], riott["measure"],
                                     riott["arms"])
print(missing.__doc__.split("Why not")[0])
print("published responders:", published)

# %% [markdown]
# ## Your scenario against the named ones
# A scenario is a dict like the entries under `riott: scenarios:` in the config.

# %%
scenario = {
    "imor_heroin": imor_heroin,
    "imor_methadone": imor_methadone,
    "missing_share_heroin": missing_share_heroin,
}
if missing_share_methadone is not None:
    scenario["missing_share_methadone"] = missing_share_methadone

frames = [
    missing.scenario_frame(name, missing.run_scenario(riott, spec, published, design, excess))
    for name, spec in {**riott["scenarios"], "YOUR SCENARIO": scenario}.items()
]
results = pd.concat(frames, ignore_index=True)
odds = results[results["quantity"] == "odds_ratio"].set_index("scenario")
probability = results[results["quantity"] == "p_or_above_1"].set_index("scenario")["median"]
riott_table = odds[["imor_heroin", "imor_methadone", "missing_share_heroin",
                    "missing_share_methadone", "median", "lower", "upper"]].assign(
    **{"P(OR>1)": probability}
)
riott_table.round(3)

# %% [markdown]
# ## The pooled result under your scenario
# RIOTT's odds ratio under the scenario replaces its published counts in the pooled
# illicit-heroin analysis.

# %%
from hatmeta import sensitivity

(base_path,) = require(ROOT, "results/sensitivity/base_posterior.nc")
base = sensitivity.load_base(base_path, config)
pooled_table = pd.DataFrame(
    {frame["scenario"].iloc[0]: sensitivity.pooled_with_riott(base, frame) for frame in frames}
).T
pooled_table[["pooled_or_median", "pooled_or_lower", "pooled_or_upper", "pooled_p_benefit",
              "pareto_khat", "reliable"]]

# %% [markdown]
# ## The workflow's scenario results, if the sensitivity stage has run

# %%
scenarios_path = ROOT / "results/sensitivity/scenarios.csv"
if scenarios_path.exists():
    display(pd.read_csv(scenarios_path))  # noqa: F821 (IPython's display)
    sentence = ROOT / "results/sensitivity/tipping/tipping_sentence.txt"
    if sentence.exists():
        print(sentence.read_text())
else:
    print(f"{scenarios_path.relative_to(ROOT)} not found: run `snakemake --cores 4` first.")

# %%
assert math.isfinite(riott_table.loc["YOUR SCENARIO", "median"])
