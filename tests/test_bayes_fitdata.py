"""Padded, masked counts: the compiled model's fixed-shape input."""

from __future__ import annotations

import numpy as np
import pytest
from bayes_data import ILLICIT, N_SLOTS, RETENTION, arms_table, fit_data

from hatmeta.bayes.fitdata import FitData


def test_fitdata_pads_masks_and_keeps_order() -> None:
    data = fit_data(ILLICIT)
    assert data.trials == ("CH1998", "DE2007", "CA2009", "EN2010")
    assert data.mask.tolist() == [1, 1, 1, 1, 0]
    assert data.y_treatment.tolist() == [21, 356, 77, 31, 0]
    assert data.n_control.tolist() == [24, 500, 111, 42, 0]
    left = data.without("DE2007")
    assert left.included == ("CH1998", "CA2009", "EN2010")
    assert left.y_control[1] == 0 and left.n_treatment[1] == 0
    assert data.mask[1] == 1  # the original is unchanged


def test_fitdata_rejects_bad_tables() -> None:
    arms = arms_table(RETENTION)
    with pytest.raises(ValueError, match="one treatment and one control"):
        FitData.from_arms(arms.iloc[:-1], N_SLOTS)
    with pytest.raises(ValueError, match="exceed"):
        FitData.from_arms(arms, 3)
    with pytest.raises(ValueError, match="masked slots"):
        data = fit_data(RETENTION)
        FitData(
            data.trials,
            data.y_control,
            data.n_control,
            data.y_treatment,
            data.n_treatment,
            np.array([1.0, 1.0, 1.0, 0.0, 0.0]),
        )
