"""Coupling coordination degree against values computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xiaozhen.assess import COORDINATION_CLASSES, coordination_class, coupling_coordination
from xiaozhen.errors import ConfigError, InputDataError


def test_two_subsystems_hand_values() -> None:
    # unit A: U1 = 0.8, U2 = 0.2
    #   C = 2*sqrt(0.16)/1.0 = 0.8 ; T = 0.5*0.8 + 0.5*0.2 = 0.5 ; D = sqrt(0.4) = 0.632456
    #   D in [0.6, 0.7) -> class 7 初级协调 ; U1 - U2 = 0.6 > 0.1 -> rural lags
    # unit B: U1 = 0.3, U2 = 0.6
    #   C = 2*sqrt(0.18)/0.9 = 2*0.424264/0.9 = 0.942809 ; T = 0.45 ; D = sqrt(0.424264) = 0.651356
    #   class 7 ; U2 - U1 = 0.3 > 0.1 -> urban lags
    # unit C: U1 = U2 = 0.09 -> C = 1, T = 0.09, D = 0.3 -> class 4 轻度失调 (boundary), synchronous
    # unit D: U1 = 0.5, U2 = 0 -> C = 0, D = 0 -> class 1 极度失调 ; rural lags
    u = pd.DataFrame(
        {"urban": [0.8, 0.3, 0.09, 0.5], "rural": [0.2, 0.6, 0.09, 0.0]},
        index=["A", "B", "C", "D"],
    )
    res = coupling_coordination(u)
    np.testing.assert_allclose(res.c, [0.8, 0.942809, 1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(res.t, [0.5, 0.45, 0.09, 0.25], atol=1e-12)
    np.testing.assert_allclose(res.d, [0.632456, 0.651356, 0.3, 0.0], atol=1e-6)
    assert res.level.tolist() == [7, 7, 4, 1]
    assert res.label_zh == ("初级协调", "初级协调", "轻度失调", "极度失调")
    assert res.label_en[2] == "mild imbalance"
    assert res.lag == ("rural-lagging", "urban-lagging", "synchronous", "rural-lagging")
    frame = res.to_frame()
    assert list(frame.index) == ["A", "B", "C", "D"]
    assert frame.loc["A", "U_urban"] == 0.8


def test_weighted_alphas_hand_values() -> None:
    # U = (0.6, 0.4), alpha = (0.6, 0.4): T = 0.36 + 0.16 = 0.52
    # C = 2*sqrt(0.24)/1.0 = 0.979796 ; D = sqrt(0.979796*0.52) = sqrt(0.509494) = 0.713789
    res = coupling_coordination(np.array([[0.6, 0.4]]), alphas=[0.6, 0.4])
    np.testing.assert_allclose(res.t, [0.52])
    np.testing.assert_allclose(res.c, [0.979796], atol=1e-6)
    np.testing.assert_allclose(res.d, [0.713789], atol=1e-6)
    assert res.label_zh == ("中级协调",)


def test_three_subsystems_general_form_hand_values() -> None:
    # U = (0.2, 0.4, 0.8): geometric mean = (0.064)^(1/3) = 0.4 ; arithmetic mean = 1.4/3 = 0.466667
    # C = 0.4/0.466667 = 0.857143 ; T = 0.466667 ; D = sqrt(0.857143*0.466667) = sqrt(0.4) = 0.632456
    # max - min = 0.6 > 0.1 -> 'econ' lags
    res = coupling_coordination(np.array([[0.2, 0.4, 0.8]]), names=["econ", "soc", "env"])
    np.testing.assert_allclose(res.c, [0.857143], atol=1e-6)
    np.testing.assert_allclose(res.d, [0.632456], atol=1e-6)
    assert res.lag == ("econ-lagging",)
    # equal subsystems couple perfectly for any n (C = 1). The wrong n-system form found in many papers
    # (王淑佳 et al. 2021), C = n*{prod U / prod_{i<j}(U_i+U_j)}^(1/n), gives for n = 3 and equal U
    # 3*(u^3/(2u)^3)^(1/3) = 3/2 = 1.5, outside [0, 1]; this pins the correct form.
    eq = coupling_coordination(np.full((1, 5), 0.7))
    np.testing.assert_allclose(eq.c, [1.0], atol=1e-12)
    np.testing.assert_allclose(eq.d, [np.sqrt(0.7)], atol=1e-12)


def test_classes_cover_ten_steps() -> None:
    assert len(COORDINATION_CLASSES) == 10
    assert coordination_class([0.0, 0.0999, 0.1, 0.55, 0.9, 1.0]).tolist() == [1, 1, 2, 6, 10, 10]
    assert COORDINATION_CLASSES[9][1:] == ("优质协调", "high-quality coordination")


def test_coupling_is_in_unit_interval_and_symmetric() -> None:
    rng = np.random.default_rng(0)
    u = rng.random((500, 3))
    res = coupling_coordination(u)
    assert (res.c >= 0).all()
    assert (res.c <= 1).all()
    assert (res.d >= 0).all()
    assert (res.d <= 1).all()
    np.testing.assert_allclose(coupling_coordination(u[:, ::-1]).c, res.c, atol=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(InputDataError, match="at least 2 subsystems"):
        coupling_coordination(np.ones((3, 1)))
    with pytest.raises(InputDataError, match=r"outside \[0, 1\]"):
        coupling_coordination(np.array([[1.2, 0.5]]))
    with pytest.raises(InputDataError, match="NaN"):
        coupling_coordination(np.array([[np.nan, 0.5]]))
    with pytest.raises(ConfigError, match="alphas"):
        coupling_coordination(np.array([[0.2, 0.5]]), alphas=[0.7, 0.7])
