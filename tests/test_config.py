"""The config schema and cross-reference checks catch mistakes and fill defaults."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import ROOT

from hatmeta.config import ConfigError, load, settings, validate

RAW = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def broken(edit):
    config = copy.deepcopy(RAW)
    edit(config)
    return config


def test_project_config_is_valid_and_gets_defaults():
    config = validate(broken(lambda c: c.pop("sampler")))
    assert config["sampler"] == {
        "draws": 2000,
        "max_draws": 16000,
        "tune": 400,
        "chains": 4,
        "target_accept": [0.9, 0.95, 0.99],
        "adaptation": "diag",
        "seed": 20261122,
    }
    assert config["diagnostics"]["on_failure"] == "stop"
    without_batch_size = validate(broken(lambda c: c["riott"]["tipping"].pop("cells_per_job")))
    assert without_batch_size["riott"]["tipping"]["cells_per_job"] == 100


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c["sampler"].update(draws="many"), "sampler/draws: 'many' is not of type"),
        (lambda c: c.update(samplr={}), "Additional properties are not allowed ('samplr'"),
        (lambda c: c["diagnostics"].update(on_failure="ignore"), "diagnostics/on_failure"),
        (
            lambda c: c["priors"]["heterogeneity"].update(bad={"family": "half_normal"}),
            "priors/heterogeneity/bad",
        ),
        (
            lambda c: [c["analyses"]["retention"].pop(k) for k in ("trials", "select")],
            "analyses/retention: needs one of the keys trials, select, exclude",
        ),
        (
            lambda c: c["riott"]["tipping"].update(cells_per_job=0),
            "riott/tipping/cells_per_job: 0 is less than the minimum of 1",
        ),
    ],
)
def test_schema_errors_name_the_key(edit, expected):
    with pytest.raises(ConfigError, match="does not match") as caught:
        validate(broken(edit))
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda c: c["analyses"]["retention"].update(outcome="retension"),
            "analyses/retention/outcome: 'retension' is not defined under outcomes",
        ),
        (lambda c: c["priors"].update(primary="flat"), "priors/primary: 'flat'"),
        (lambda c: c["evidence"].update(run=["all", "gold"]), "evidence/run: 'gold'"),
        (
            lambda c: c["analyses"]["illicit_heroin"].update(primary_prior="hn2"),
            "analyses/illicit_heroin/primary_prior: 'hn2'",
        ),
        (
            lambda c: c["data"].pop("riott_testing"),
            "data/riott_testing: required when the config has a riott section",
        ),
        (
            lambda c: c["report"].update(model_checks_analysis="nope"),
            "report/model_checks_analysis: 'nope' is not defined under analyses",
        ),
    ],
)
def test_cross_reference_errors_name_the_key(edit, expected):
    with pytest.raises(ConfigError, match="inconsistent") as caught:
        validate(broken(edit))
    assert expected in str(caught.value)


def test_unreadable_config(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("analyses: [unclosed")
    with pytest.raises(ConfigError, match=f"{path}, line 1, column 20: expected ',' or ']'"):
        load(path)


def test_settings_are_typed_with_accessors():
    typed = settings(validate(broken(lambda c: None)))
    heroin = typed.analysis("illicit_heroin")
    assert heroin.outcome.name == "illicit_heroin" and heroin.outcome.higher_is_better
    assert heroin.primary_prior == "half_normal_1"
    assert (
        typed.analysis("retention").primary_prior == typed.model.analyses["retention"].primary_prior
    )
    assert typed.analysis("retention").primary_prior == RAW["priors"]["primary"]
    assert list(typed.priors) == list(RAW["priors"]["heterogeneity"])
    assert typed.model.gate.r_hat_max == RAW["diagnostics"]["r_hat_max"]
    assert typed.riott.scenarios["missing_at_random"].imor_methadone == 1
    assert typed.riott.tipping.analysis == "illicit_heroin"


def test_labels_and_title_default_to_the_arm_names():
    def unlabelled(config):
        config["comparison"].pop("labels")
        config["comparison"].pop("control_label")
        config.pop("report")

    typed = settings(validate(broken(unlabelled)))
    assert typed.comparison.treatment_label == "SIH"
    assert typed.comparison.control_label == "OMMT or CONV"
    assert typed.report.title == "SIH versus OMMT or CONV"
    assert typed.report.model_checks_analysis == next(iter(RAW["analyses"]))


def test_optional_stages_have_no_defaults():
    def bare(config):
        config["data"] = {k: config["data"][k] for k in ("extraction", "bibliography")}
        config.pop("riott")
        config.pop("networks")
        # Without a trials table an analysis lists its trials and selects on no attribute.
        config["analyses"] = {
            name: {k: v for k, v in spec.items() if k not in ("select", "exclude")}
            for name, spec in config["analyses"].items()
            if "trials" in spec
        }

    config = validate(broken(bare))
    typed = settings(config)
    assert typed.data.published_effects is None and typed.data.riott_testing is None
    assert typed.riott is None
    from hatmeta.network_settings import network_settings

    assert config["networks"] == {} and network_settings(config, typed) is None


def test_settings_repr_tracks_every_value():
    """Snakemake re-runs a rule when the repr of its params changes: a settings object's repr
    must change with any of its values."""
    base = settings(validate(broken(lambda c: None)))
    edited = settings(validate(broken(lambda c: c["sampler"].update(draws=2001))))
    assert repr(base.model) != repr(edited.model)
    assert isinstance(base.model, tuple)


def test_each_sensitivity_analysis_has_the_first_analysis_of_its_outcome_as_primary(
    project_settings,
):
    from hatmeta.config import primary_analyses, sensitivity_of

    analyses = project_settings.analyses
    primary = sensitivity_of(analyses)
    assert primary == {
        "retention_all": "retention",
        "illicit_heroin_with_nl": "illicit_heroin",
        "retention_with_inhaled": "retention",
        "response_with_inhaled": "treatment_response",
    }
    assert set(primary) | set(primary_analyses(analyses)) == set(analyses)
    assert all(analyses[n].outcome == analyses[p].outcome for n, p in primary.items())
