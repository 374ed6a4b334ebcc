# Helpers shared by the rules: the validated, typed settings and the results layout.
import re
from importlib.metadata import version as package_version
from pathlib import Path

from snakemake.exceptions import WorkflowError

from snakemake.logging import logger

from hatmeta import layout, preflight, runguard, startup
from hatmeta.codeprint import PackageCode
from hatmeta.config import ConfigError, settings
from hatmeta.network_settings import network_settings

# The library as this run imports it. Every rule with a script passes the fingerprint of the code
# its script runs as the param `code`, so that editing a module re-runs exactly the rules whose
# scripts reach it, as a changed setting does (tests/test_codeprint.py checks every rule). The
# start-up steps below are remembered under the fingerprint of their own code (hatmeta.startup).
LIBRARY = PackageCode.installed()

# Every run holds its directory's guard for as long as it lives, taken here, before Snakemake
# locks the directory: a lock left by a killed run is removed at start-up, a live run's never
# (hatmeta.runguard). With rerun-incomplete (profiles/default), a killed run resumes with the
# same command.
if workflow.is_main_process:
    RUN_CLAIM = runguard.claim()
    if RUN_CLAIM.message:
        logger.warning(RUN_CLAIM.message)

try:
    startup.validate_config(config, CONFIG_SOURCE, CONFIG_POSITIONS, LIBRARY)
except ConfigError as err:
    raise WorkflowError(str(err)) from None

SETTINGS = settings(config)

# The data meet the config once, in the main process, before any job is scheduled.
if workflow.is_main_process:
    try:
        for note in startup.check_inputs(SETTINGS, CONFIG_SOURCE, CONFIG_POSITIONS, LIBRARY):
            logger.info(note)
    except preflight.InputError as err:
        raise WorkflowError(str(err)) from None
ANALYSES = list(SETTINGS.analyses)
EVIDENCE_SETS = list(SETTINGS.evidence.run)
MAIN_EVIDENCE = SETTINGS.evidence.main
PRIORS = list(SETTINGS.priors)
# The network stage's settings; None (no network rule, no network section) without networks.
NETWORKS = network_settings(config, SETTINGS)
NETWORK_NAMES = list(NETWORKS.networks) if NETWORKS is not None else []


wildcard_constraints:
    analysis="|".join(map(re.escape, ANALYSES)),
    evidence="|".join(map(re.escape, EVIDENCE_SETS)),
    prior="|".join(map(re.escape, PRIORS)),


# Beside this file, not under the main workflow's directory: the same when hatmeta is the
# workflow, and right when a review's own Snakefile uses hatmeta as a module.
WORKFLOW_DIR = Path(workflow.current_basedir).parent
SCRIPTS = WORKFLOW_DIR / "scripts"


def code_fingerprint(script, sources=None):
    """The fingerprint of ``workflow/scripts/<script>`` and the library modules it reaches
    (``hatmeta.codeprint``). ``sources``, a function of the wildcards giving more files the
    job runs (a notebook), makes it a function of the wildcards too."""
    path = SCRIPTS / script

    def fingerprint(*files):
        value = LIBRARY.fingerprint(path, *files)
        LIBRARY.save()  # writes only after a parse: the next start-up reads, not parses
        return value

    def fingerprint_of_job(wildcards):
        return fingerprint(sources(wildcards))

    return fingerprint() if sources is None else fingerprint_of_job


def analysis_tables(evidence=EVIDENCE_SETS):
    """Every analysis table of the extract stage (of the given evidence sets)."""
    return expand(layout.ANALYSIS_TABLE, evidence=evidence, analysis=ANALYSES)


def fit_outputs(prior, evidence=EVIDENCE_SETS):
    """Every fit file of every analysis under ``prior`` (one name or several)."""
    return [
        path
        for pattern in layout.FIT_FILES
        for path in expand(pattern, evidence=evidence, analysis=ANALYSES, prior=prior)
    ]


def rate_outputs(evidence=EVIDENCE_SETS):
    """Every rate-stage file: one pair per analysis, whatever its counts count."""
    return expand(layout.RATE_FILES, evidence=evidence, analysis=ANALYSES)


def network_statuses(wildcards):
    """The statuses whose counts an evidence set's networks use."""
    return SETTINGS.evidence.sets[wildcards.evidence]


def network_outputs(evidence=EVIDENCE_SETS):
    """Every file of the network stage (none without networks)."""
    if NETWORKS is None:
        return []
    return expand(layout.NETWORK_FILES, evidence=evidence, network=NETWORK_NAMES)


def data_files():
    """The hand-entered inputs this run reads, by config key (for provenance)."""
    return {key: path for key, path in SETTINGS.data._asdict().items() if path is not None}


def optional_outputs():
    """Outputs of the stages a review's config switches on."""
    outputs = []
    if SETTINGS.data.published_effects is not None:
        outputs += rules.published_comparison.output
    if SETTINGS.data.trials is not None:
        outputs += rules.trial_flow.output
    if SETTINGS.riott is not None:
        outputs += riott_outputs()
    outputs += network_outputs()
    return outputs
