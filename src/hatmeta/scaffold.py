"""A new review directory, written from the template shipped with the package.

The template (``review_template/``) is a worked example that runs as it is: the 13 BCG vaccine
trials of Colditz et al. (1994), counts as in the R package metadat (``dat.bcg``, the same rows
as ``examples/bcg``), with a commented config, the bibliography, a trials table and, on request,
a risk-of-bias table. A newcomer replaces the rows with their own trials.
"""

from __future__ import annotations

from pathlib import Path

#: Read at run time (:mod:`hatmeta.codeprint` fingerprints them with this module).
__package_data__ = ("review_template/*",)

TEMPLATE = Path(__file__).parent / "review_template"
#: The files of a new review, in the order they are written; the risk-of-bias table is optional.
FILES = ("config.yaml", "extraction.csv", "bibliography.csv", "trials.csv")
RISK_OF_BIAS = "risk_of_bias.csv"
#: The config's line for the risk-of-bias table, commented out unless the table is written.
RISK_OF_BIAS_LINE = "  # risk_of_bias: risk_of_bias.csv"


class ScaffoldError(ValueError):
    """The review directory cannot be written where asked (the message says why)."""


def new_review(directory: str | Path, risk_of_bias: bool = False) -> list[Path]:
    """Write a review directory: config, sheet, bibliography, trials table and, with
    ``risk_of_bias``, the risk-of-bias table (named in the config).

    Parameters
    ----------
    directory
        Created if absent; an existing directory must be empty (nothing is overwritten).
    risk_of_bias
        Also write ``risk_of_bias.csv`` (one ``overall`` row per trial, ``not_found``: the
        example's source publishes no judgement) and name it in the config.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ScaffoldError
        When ``directory`` is a file or a directory that is not empty.
    """
    import hatmeta

    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        what = "a directory that is not empty" if directory.is_dir() else "a file"
        raise ScaffoldError(f"{directory} is {what}: give a new or empty directory")
    directory.mkdir(parents=True, exist_ok=True)
    names = [*FILES, RISK_OF_BIAS] if risk_of_bias else list(FILES)
    config = (TEMPLATE / "config.yaml").read_text().replace("@VERSION@", hatmeta.__version__)
    if risk_of_bias:
        assert RISK_OF_BIAS_LINE in config, "the template's risk-of-bias line has changed"
        config = config.replace(RISK_OF_BIAS_LINE, RISK_OF_BIAS_LINE.replace("# ", "", 1))
    written = []
    for name in names:
        target = directory / name
        if name == "config.yaml":
            target.write_text(config)
        else:
            target.write_bytes((TEMPLATE / name).read_bytes())
        written.append(target)
    return written
