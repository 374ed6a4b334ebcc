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
# # Model checks for one analysis
#
# Prior and posterior predictive checks, rank plots and shrinkage for one analysis under one
# heterogeneity prior, on the fit the workflow saved (`results/fits/...`). The model is the
# workflow's own (`hatmeta.bayes.sampling.ModelRunner(...).model`), with the analysis's data and
# prior swapped in. Run `snakemake --cores 4` first; paths are relative to the project.
#
# **What to look at:**
# 1. *Sampler diagnostics*: every R-hat at or below its threshold, bulk and tail ESS above
#    theirs, no divergences (the workflow stops on a fit that fails them).
# 2. *Prior predictive check*: the priors allow every plausible event proportion, without
#    forcing the data towards 0 or 1.
# 3. *Posterior predictive check*: each observed count sits inside its trial's predictive
#    interval (P(replicated <= observed) not near 0 or 1).
# 4. *Rank plots*: each chain's curve stays inside the envelope (highlighted stretches flag
#    chains that disagree).
# 5. *Shrinkage*: small or extreme trials move most towards the pooled odds ratio.

# %% tags=["parameters"]
config_file = "config/config.yaml"  # relative to the project root; the workflow passes its own
analysis = None  # None: the config's report/model_checks_analysis
prior = None  # None: the analysis's primary prior from the config
evidence = None  # None: the main evidence set (first of evidence: run)
inputs = None  # the workflow passes the paths of the results this notebook reads
predictive_draws = 1000

# %%
import json
import logging

import arviz_plots as azp
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from IPython.display import Markdown, display

from hatmeta import layout
from hatmeta.bayes import model as model_module
from hatmeta.bayes.fitdata import FitData
from hatmeta.bayes.model import pack
from hatmeta.bayes.sampling import ModelRunner
from hatmeta.config import load_settings
from hatmeta.data.tables import included_arms, read_analysis_table
from hatmeta.io import load_posterior
from hatmeta.notebooks import input_paths, project_root
from hatmeta.priors import resolve
from hatmeta.docstrings import docstring_markdown

logging.getLogger("pymc").setLevel(logging.WARNING)  # not PyMC's "Sampling: [...]" notes
ROOT = project_root()
settings = load_settings(ROOT / config_file)
spec = settings.analysis(analysis or settings.report.model_checks_analysis)
prior = prior or spec.primary_prior
evidence = evidence or settings.evidence.main
paths = input_paths(
    inputs,
    ROOT,
    {
        **layout.fit_files(evidence, spec.name, prior)._asdict(),
        "table": layout.fill(layout.ANALYSIS_TABLE, evidence=evidence, analysis=spec.name),
    },
)
tree = load_posterior(paths["posterior"])
if "posterior" not in tree.children:
    raise SystemExit(f"{spec.name}: no trial with data in this analysis, nothing to check")
summary = pd.read_csv(paths["summary"]).set_index("quantity")
diagnostics = json.loads(paths["diagnostics"].read_text())
print(f"{spec.name} / {evidence} / {prior}: {tree.attrs.get('prior_label')}")

# %% [markdown]
# ## Sampler diagnostics
# The fit's diagnostics as the workflow recorded them (`diagnostics.json`), against the config's
# thresholds.

# %%
limits = diagnostics["thresholds"]
print(
    f"status: {diagnostics['status']}; {diagnostics['chains']} chains x {diagnostics['draws']} "
    f"draws; divergences {diagnostics['divergences']} (at most {limits['divergences_max']}); "
    f"thresholds: R-hat <= {limits['r_hat_max']}, bulk ESS >= {limits['ess_bulk_min']}, "
    f"tail ESS >= {limits['ess_tail_min']}"
)
(
    pd.DataFrame(diagnostics["variables"])
    .T.rename(columns={"r_hat": "R-hat", "ess_bulk": "bulk ESS", "ess_tail": "tail ESS",
                       "mcse_mean": "MCSE of the mean"})
    .rename_axis("variable")
    .round({"R-hat": 4, "bulk ESS": 0, "tail ESS": 0, "MCSE of the mean": 4})
)

# %% [markdown]
# ## The model with this analysis's data and prior
# The model, as its module's docstring (`hatmeta.bayes.model`) describes it:

# %%
display(Markdown(docstring_markdown(model_module.__doc__, heading="###")))

# %%
arms = included_arms(read_analysis_table(paths["table"]))
data = FitData.from_arms(arms, arms["trial"].nunique())
model_settings = settings.model
runner = ModelRunner(
    data.n_slots,
    model_settings.sampler,
    effect_sd=model_settings.effect_sd,
    baseline_sd=model_settings.baseline_sd,
)
model = runner.model
heterogeneity = resolve(settings.prior(prior), spec.outcome, model_settings.turner_comparison)
with model:
    pm.set_data(pack(runner.data_arrays(data, heterogeneity)))
trials = list(data.trials)
observed = pd.DataFrame(
    {"trial": trials, "y_treatment": data.y_treatment, "n_treatment": data.n_treatment,
     "y_control": data.y_control, "n_control": data.n_control}
)
observed

# %% [markdown]
# ## Prior predictive check
# Event proportions the priors allow before seeing data: they should cover the plausible range
# (anything from 0 to 1 is fine for weakly informative priors) without piling up at 0 and 1.

# %%
# The predictive functions run once each, on a few thousand draws: compiled in PyTensor's
# FAST_COMPILE mode (Python thunks, no C compilation), they start in under a second instead of
# ten on a fresh environment. The random draws are the same: the random variables draw from the
# same generators either way (checked: every predictive count and every prior draw of d and tau
# identical; only the deterministics theta, mu and delta, not shown here, differ, in the 15th
# digit, as C's exp and NumPy's may).
PREDICTIVE_COMPILE = {"mode": "FAST_COMPILE"}
with model:
    prior_pred = pm.sample_prior_predictive(
        draws=predictive_draws, random_seed=1, compile_kwargs=PREDICTIVE_COMPILE
    )


def proportions(group, arm, n):
    return (group[f"obs_{arm}"] / xr.DataArray(n, dims="trial")).stack(s=("chain", "draw"))


fig, axes = plt.subplots(1, len(trials), figsize=(3 * len(trials), 2.6), sharey=True,
                         squeeze=False)
for i, (ax, trial) in enumerate(zip(axes[0], trials, strict=True)):
    for arm, n, colour in (("control", data.n_control, "#555555"),
                           ("treatment", data.n_treatment, "#1f5fa8")):
        values = proportions(prior_pred["prior_predictive"], arm, n).isel(trial=i)
        # One filled outline per histogram rather than 30 bars: the same picture, drawn in a
        # fraction of the time.
        ax.hist(values, bins=30, range=(0, 1), alpha=0.5, color=colour, label=arm,
                histtype="stepfilled")
        ax.axvline(observed.iloc[i][f"y_{arm}"] / n[i], color=colour, lw=2)
    ax.set_title(trial)
    ax.set_xlabel("event proportion")
axes[0][0].legend(frameon=False)
fig.suptitle("Prior predictive event proportions (lines: observed)", x=0.01, ha="left")
plt.tight_layout()

# %% [markdown]
# *Prior predictive event proportions per trial and arm (grey: control, blue: treatment; lines:
# the observed proportions): the priors should leave every plausible proportion possible.*

# %%
prior_or = np.exp(prior_pred["prior"]["d"].values.ravel())
low, high = np.percentile(prior_or, [2.5, 97.5])
print(f"prior 95% interval of the pooled OR: {low:.3g} to {high:.3g}")
print(f"prior median of tau: {float(prior_pred['prior']['tau'].median()):.3g}")

# %% [markdown]
# ## Posterior predictive check
# Replicated event counts from the saved posterior against the observed counts: the observed
# count should sit inside its trial's predictive interval (p-values near 0 or 1 flag a misfit).

# %%
posterior = tree["posterior"].to_dataset().assign_coords(trial=list(model.coords["trial"]))
thin = max(1, posterior.sizes["draw"] * posterior.sizes["chain"] // predictive_draws)
posterior = posterior.isel(draw=slice(None, None, thin))
with model:
    post_pred = pm.sample_posterior_predictive(
        posterior,
        var_names=["obs_control", "obs_treatment"],
        # The saved posterior's draws, as they are (not resampled from the data swapped in).
        freeze_vars=[name for name in posterior.data_vars if name in model.named_vars],
        random_seed=2,
        progressbar=False,
        compile_kwargs=PREDICTIVE_COMPILE,
    )
rows = []
for arm in ("control", "treatment"):
    draws = post_pred["posterior_predictive"][f"obs_{arm}"].stack(s=("chain", "draw"))
    for i, trial in enumerate(trials):
        y = observed.iloc[i][f"y_{arm}"]
        values = draws.isel(trial=i).values
        rows.append({
            "trial": trial, "arm": arm, "observed": y,
            "predictive median": np.median(values),
            "95% interval": "{:.0f} to {:.0f}".format(*np.percentile(values, [2.5, 97.5])),
            "P(replicated <= observed)": np.mean(values <= y).round(3),
        })
ppc = pd.DataFrame(rows)
ppc

# %%
fig, axes = plt.subplots(2, len(trials), figsize=(3 * len(trials), 4.4), squeeze=False)
for row, arm in enumerate(("control", "treatment")):
    draws = post_pred["posterior_predictive"][f"obs_{arm}"].stack(s=("chain", "draw"))
    for i, trial in enumerate(trials):
        ax = axes[row][i]
        ax.hist(draws.isel(trial=i).values, bins=30, color="#9ecae1", histtype="stepfilled")
        ax.axvline(observed.iloc[i][f"y_{arm}"], color="#b2182b", lw=2)
        ax.set_title(f"{trial}, {arm}", fontsize=9)
fig.suptitle("Posterior predictive counts (red: observed)", x=0.01, ha="left")
plt.tight_layout()

# %% [markdown]
# *Replicated event counts per trial and arm from the saved posterior (red: the observed count),
# the picture of the table above.*

# %% [markdown]
# ## Rank plots
# Fractional-rank Δ-ECDF per chain (arviz-plots); chains that sample the same posterior stay
# near zero. Highlighted points contribute most to a departure from uniformity.

# %%
azp.plot_rank(tree, var_names=["d", "tau"], thin=True, backend="matplotlib");

# %% [markdown]
# *Rank plots of the pooled log odds ratio `d` and the heterogeneity `tau`, one line per chain.*

# %%
azp.plot_rank(tree, var_names=["delta"], thin=True, backend="matplotlib");

# %% [markdown]
# *Rank plots of each trial's log odds ratio `delta`, one line per chain.*

# %% [markdown]
# ## Shrinkage
# Observed trial odds ratios (with 95% confidence intervals) and the model's shrunken trial
# odds ratios (95% credible intervals): small or extreme trials move most towards the pooled OR.

# %%
shrinkage = pd.DataFrame(
    {
        "observed OR": [summary.at[f"OR_observed[{t}]", "median"] for t in trials],
        "observed lower": [summary.at[f"OR_observed[{t}]", "lower"] for t in trials],
        "observed upper": [summary.at[f"OR_observed[{t}]", "upper"] for t in trials],
        "shrunken OR": [summary.at[f"OR_shrunken[{t}]", "median"] for t in trials],
        "shrunken lower": [summary.at[f"OR_shrunken[{t}]", "lower"] for t in trials],
        "shrunken upper": [summary.at[f"OR_shrunken[{t}]", "upper"] for t in trials],
    },
    index=trials,
)
shrinkage["moved towards pooled (log scale)"] = (
    np.abs(np.log(shrinkage["observed OR"]) - np.log(summary.at["OR", "median"]))
    - np.abs(np.log(shrinkage["shrunken OR"]) - np.log(summary.at["OR", "median"]))
).round(3)
shrinkage.round(3)

# %%
fig, ax = plt.subplots(figsize=(6, 0.6 * len(trials) + 1.4))
y = np.arange(len(trials))[::-1]
ax.errorbar(shrinkage["observed OR"], y + 0.12,
            xerr=[shrinkage["observed OR"] - shrinkage["observed lower"],
                  shrinkage["observed upper"] - shrinkage["observed OR"]],
            fmt="s", color="#555555", label="observed (95% CI)")
ax.errorbar(shrinkage["shrunken OR"], y - 0.12,
            xerr=[shrinkage["shrunken OR"] - shrinkage["shrunken lower"],
                  shrinkage["shrunken upper"] - shrinkage["shrunken OR"]],
            fmt="o", color="#1f5fa8", label="shrunken (95% CrI)")
for i in range(len(trials)):
    ax.annotate("", xy=(shrinkage["shrunken OR"].iloc[i], y[i] - 0.12),
                xytext=(shrinkage["observed OR"].iloc[i], y[i] + 0.12),
                arrowprops={"arrowstyle": "->", "color": "#999999"})
ax.axvline(summary.at["OR", "median"], color="#b2182b", ls="--", label="pooled OR")
ax.axvline(1, color="black", lw=0.8)
ax.set_xscale("log")
ax.set_yticks(y)
ax.set_yticklabels(trials)
ax.set_xlabel("odds ratio (log scale)")
ax.legend(frameon=False, fontsize=8, loc="best")
ax.set_title(f"Shrinkage: {spec.name}, prior {prior}", loc="left")
plt.tight_layout()

# %% [markdown]
# *Each trial's observed odds ratio (grey, 95% CI) and the model's shrunken one (blue, 95% CrI),
# the arrow from one to the other; dashed: the pooled odds ratio.*
