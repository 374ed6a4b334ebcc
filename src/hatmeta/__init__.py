"""hatmeta: Bayesian evidence synthesis of supervised injectable heroin vs oral methadone trials.

The package holds all analysis logic; the Snakemake workflow only wires files to these functions.
"""

__version__ = "0.1.0"
