# Helpers of workflow/rules/certainty.smk (the linter wants rules and functions apart).


def primary_fits(evidence):
    """Every fit file of every analysis under its primary prior, in one evidence set."""
    return [
        path
        for name, analysis in SETTINGS.analyses.items()
        for path in layout.fit_files(evidence, name, analysis.primary_prior)
    ]


def certainty_inputs(wildcards):
    """What the certainty of one evidence set is judged from, by name."""
    inputs = {
        "fits": primary_fits(wildcards.evidence),
        "classical": expand(layout.CLASSICAL, evidence=wildcards.evidence, analysis=ANALYSES),
        "harmonised": layout.HARMONISED,
        # The rate stage's files: analyses whose counts are events are rated from them.
        "rates": expand(layout.RATE_FILES, evidence=wildcards.evidence, analysis=ANALYSES),
    }
    for key in ("risk_of_bias", "rob2_answers"):
        if getattr(SETTINGS.data, key) is not None:
            inputs |= {key: getattr(SETTINGS.data, key), "bibliography": SETTINGS.data.bibliography}
    return inputs
