"""RIOTT missing-test model: reproduces the published counts, behaves as its assumptions say."""

from __future__ import annotations

import numpy as np
import pytest

from hatmeta import missing
from hatmeta.grid import read_grid_batches, tipping_batches, tipping_cells

DESIGN = missing.TestingDesign()
PUBLISHED = {"treatment": {"events": 31, "total": 43}, "control": {"events": 11, "total": 42}}
RIOTT = {
    "missing_share_heroin": 0.15,
    "anchor_reading": "percentage_points",
    "sigma_provide": 1.0,
    "rho": 0.5,
    "draws": 20000,
    "seed": 2010,
}


def run(**scenario):
    return missing.run_scenario(RIOTT, scenario, PUBLISHED, DESIGN, excess=43)


def test_design_from_the_facts_file():
    facts = {
        "schedule": {"tests_per_patient": 13},
        "responder_rule": {"min_negative_fraction": 0.5},
    }
    assert missing.TestingDesign.from_facts(facts) == missing.TestingDesign(13, 7)


def test_provide_intercept_hits_the_missing_share():
    alpha = missing.provide_intercept(0.3, 1.2)
    x = np.random.default_rng(0).normal(size=400_000)
    assert np.mean(1 / (1 + np.exp(-(alpha + 1.2 * x)))) == pytest.approx(0.7, abs=0.003)


@pytest.mark.parametrize(
    ("reading", "expected"), [("percentage_points", 0.58), ("relative", 0.2145)]
)
def test_both_readings_of_the_extra_43_percent(reading, expected):
    assert missing.control_missing_share(0.15, reading, 43) == pytest.approx(expected)
    with pytest.raises(ValueError, match="outside"):
        missing.control_missing_share(0.6, "percentage_points", 43)


def test_responder_probability_matches_simulation():
    beta, sigma, alpha = 1.0, 0.8, missing.provide_intercept(0.2, 1.0)
    rng = np.random.default_rng(1)
    z1, z2 = rng.normal(size=(2, 200_000))
    p = 1 / (1 + np.exp(-(alpha + 1.0 * z1)))
    q = 1 / (1 + np.exp(-(beta + sigma * (0.5 * z1 + np.sqrt(0.75) * z2))))
    provided = rng.binomial(13, p)
    negative = rng.binomial(provided, q)
    for imor, fill in ((0.0, 0.0), (1.0, None), (np.inf, 1.0)):
        q_missing = q if fill is None else fill
        imputed = rng.binomial(13 - provided, q_missing)
        simulated = np.mean(negative + imputed >= 7)
        exact = missing.responder_probability(
            np.array(beta), np.array(sigma), np.array(alpha), 1.0, 0.5, np.array(imor), DESIGN
        )
        assert exact == pytest.approx(simulated, abs=0.005)


def test_missing_positive_reproduces_the_published_counts():
    result = run(imor_heroin=0, imor_methadone=0)
    summary = result["summary"]
    for role, published in PUBLISHED.items():
        interval = summary[f"responders_{role}"]
        assert interval["lower"] == interval["upper"] == published["events"]
    # the published unadjusted OR is 7.42 (2.69 to 20.46)
    assert summary["odds_ratio"]["median"] == pytest.approx(7.4, rel=0.1)
    assert summary["odds_ratio"]["lower"] == pytest.approx(2.69, rel=0.2)
    assert result["edge_mass"] < 1e-4


def test_extreme_imputations_bracket_the_published_result():
    best_methadone = run(imor_heroin=0, imor_methadone=np.inf)["summary"]
    worst = run(imor_heroin=np.inf, imor_methadone=0)["summary"]
    primary = run(imor_heroin=0, imor_methadone=0)["summary"]
    assert best_methadone["odds_ratio"]["median"] < primary["odds_ratio"]["median"]
    assert worst["odds_ratio"]["median"] > primary["odds_ratio"]["median"]
    assert best_methadone["responders_control"]["median"] > PUBLISHED["control"]["events"]


def test_same_seed_same_numbers():
    first = run(imor_heroin=1, imor_methadone=1)["summary"]
    second = run(imor_heroin=1, imor_methadone=1)["summary"]
    assert first == second


SMALL_GRID = {
    **RIOTT,
    "draws": 4000,
    "scenarios": {"mar": {"imor_heroin": 1, "imor_methadone": 1}},
    "tipping": {
        "missing_share_methadone": {"from": 0.2, "to": 0.5, "steps": 3},
        "imor_methadone": [0, 1, 4],
    },
}


def test_tipping_grid_shape_and_monotone_in_imor():
    grid = missing.tipping_grid(SMALL_GRID, "mar", PUBLISHED, DESIGN, 43)
    assert len(grid) == 9
    for _, rows in grid.groupby("missing_share_methadone"):
        assert rows.sort_values("imor_methadone")["log_or_centre"].is_monotonic_decreasing


def test_tipping_batches_cover_every_cell_once_in_order():
    cells = tipping_cells(SMALL_GRID["tipping"])
    assert cells[:4] == [(0.2, 0.0), (0.2, 1.0), (0.2, 4.0), (0.35, 0.0)]
    batches = tipping_batches(SMALL_GRID["tipping"], cells_per_job=4)
    assert [len(batch) for batch in batches] == [4, 4, 1]
    assert [cell for batch in batches for cell in batch] == cells
    assert tipping_batches(SMALL_GRID["tipping"], cells_per_job=100) == [cells]
    with pytest.raises(ValueError, match="cells_per_job must be at least 1"):
        tipping_batches(SMALL_GRID["tipping"], cells_per_job=0)


def test_batched_grid_files_join_into_the_unbatched_grid(tmp_path):
    riott = {**SMALL_GRID, "tipping": {**SMALL_GRID["tipping"]}}
    riott["tipping"]["missing_share_methadone"] = {"from": 0.2, "to": 0.5, "steps": 4}
    whole = missing.tipping_grid(riott, "mar", PUBLISHED, DESIGN, 43)
    batches = tipping_batches(riott["tipping"], cells_per_job=1)
    assert len(batches) == 12
    paths = []
    # Written in reverse, and "cells_10" sorts before "cells_2" as text: the order must come
    # from the batch number.
    for index in reversed(range(len(batches))):
        path = tmp_path / "mar" / f"cells_{index}.csv"
        path.parent.mkdir(exist_ok=True)
        batch = missing.tipping_grid(riott, "mar", PUBLISHED, DESIGN, 43, cells=batches[index])
        batch.to_csv(path, index=False)
        paths.append(path)
    joined = read_grid_batches(paths)
    assert list(joined) == ["mar"]
    assert joined["mar"].to_csv(index=False) == whole.to_csv(index=False)


def test_patient_level_imor_cross_check():
    retained = {"treatment": {"events": 38, "total": 43}, "control": {"events": 29, "total": 42}}
    table = missing.patient_level_table(PUBLISHED, retained, [0.0, 1.0, np.inf])
    primary = table.iloc[0]
    # IMOR 0: leavers are non-responders, which reproduces the published proportions
    assert primary["p_heroin"] == pytest.approx(31 / 43)
    assert primary["p_methadone"] == pytest.approx(11 / 42)
    assert primary["or"] == pytest.approx((31 / 12) / (11 / 31))
    # leavers responding like stayers, then all responding, shrink the oral-methadone deficit
    assert table["or"].is_monotonic_decreasing
    assert table.iloc[-1]["p_methadone"] == pytest.approx((11 + 13) / 42)


def test_pymc_form_of_the_model_agrees_with_the_exact_grid():
    """The PyMC/nutpie form (for predictive checks) and the grid posterior are one model."""
    import arviz_stats as azs
    import nutpie

    settings = [
        missing.ArmSetting(43, 31, 0.15, 1.0, 0.5),
        missing.ArmSetting(42, 11, 0.58, 1.0, 0.5),
    ]
    model = missing.build_riott_model(2, DESIGN)
    compiled = nutpie.compile_pymc_model(model).with_data(
        n_patients=np.array([43, 42]),
        responders=np.array([31, 11]),
        alpha=np.array([s.alpha for s in settings]),
        sigma_provide=np.asarray(1.0),
        rho=np.asarray(0.5),
    )
    tree = nutpie.sample(
        compiled, draws=1500, tune=1000, chains=4, seed=5, progress_bar=False, target_accept=0.95
    )
    pi = tree["posterior"]["pi_primary"]
    mcse = np.asarray(azs.mcse(pi.to_dataset(), method="mean")["pi_primary"])
    for arm, setting in enumerate(settings):
        grid = missing.fit_arm(setting, DESIGN)
        exact = float(np.sum(grid.weight * grid.responder_probability(0.0)))
        sampled = float(pi.isel(arm=arm).mean())
        assert abs(sampled - exact) <= 4 * mcse[arm] + 0.002, (arm, sampled, exact)
