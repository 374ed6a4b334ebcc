"""The patient-level IMOR cross-check (metamiss-style)."""

from __future__ import annotations

import numpy as np
import pytest
from riott_data import PUBLISHED, RETAINED

from hatmeta.riott.patient_level import patient_level_table


def test_patient_level_imor_cross_check():
    table = patient_level_table(PUBLISHED, RETAINED, [0.0, 1.0, np.inf])
    primary = table.iloc[0]
    # IMOR 0: leavers are non-responders, which reproduces the published proportions
    assert primary["p_heroin"] == pytest.approx(31 / 43)
    assert primary["p_methadone"] == pytest.approx(11 / 42)
    assert primary["or"] == pytest.approx((31 / 12) / (11 / 31))
    # leavers responding like stayers, then all responding, shrink the oral-methadone deficit
    assert table["or"].is_monotonic_decreasing
    assert table.iloc[-1]["p_methadone"] == pytest.approx((11 + 13) / 42)
