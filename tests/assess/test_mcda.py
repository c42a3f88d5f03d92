"""MCDA core against pymcdm (independent oracle) on random and real matrices, tables and grids."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pymcdm import normalizations as pn
from pymcdm import weights as pw
from pymcdm.methods import TOPSIS, WSM
from pymcdm.weights.subjective import AHP
from scipy.stats import entropy as scipy_entropy

from xiaozhen.assess import (
    ahp_weights,
    critic_weights,
    entropy_weights,
    fixed_weights,
    normalise,
    topsis,
    weighted_sum,
)
from xiaozhen.errors import ConfigError, InputDataError

PYMCDM_NORM = {
    "minmax": pn.minmax_normalization,
    "vector": pn.vector_normalization,
    "sum": pn.sum_normalization,
}


def _random_problem(
    seed: int, n: int = 40, m: int = 6
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 100.0, size=(n, m)) * rng.uniform(0.1, 50, size=m)
    w = rng.dirichlet(np.ones(m))
    types = rng.choice([1, -1], size=m)
    types[0] = 1
    return x, w, types


def _real_matrix() -> tuple[pd.DataFrame, np.ndarray]:
    """Real indicators of Zhejiang units from the bundled 2020 census table."""
    path = Path(str(files("xiaozhen.region").joinpath("data", "census2020_county.csv")))
    raw = pd.read_csv(path)
    raw = raw[raw["人口数_合计"] > 0]
    table = pd.DataFrame(
        {
            "edu_years": raw["平均受教育年限_合计"],
            "housing_m2": raw["人均住房建筑面积"],
            "age65": raw["人口比重_65岁及以上"],
            "urban_share": raw["城镇人口"] / raw["人口数_合计"],
            "manuf_share": raw["制造业"] / raw["各种行业人口总计"],
        }
    ).dropna()
    return table, np.array([1, 1, -1, 1, 1])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("norm", ["minmax", "vector", "sum"])
def test_topsis_matches_pymcdm_random(seed: int, norm: str) -> None:
    x, w, types = _random_problem(seed)
    expected = TOPSIS(PYMCDM_NORM[norm])(x, w, types)
    got = topsis(x, w, types, normalization=norm)  # type: ignore[arg-type]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("norm", ["minmax", "vector", "sum"])
def test_topsis_and_wsm_match_pymcdm_real(norm: str) -> None:
    table, types = _real_matrix()
    assert len(table) > 80
    w = pw.entropy_weights(table.to_numpy())
    expected = TOPSIS(PYMCDM_NORM[norm])(table.to_numpy(), w, types)
    got = topsis(table, w, types, normalization=norm)  # type: ignore[arg-type]
    assert isinstance(got, pd.Series)
    assert got.index.equals(table.index)
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-9)
    expected_wsm = WSM(PYMCDM_NORM[norm])(table.to_numpy(), w, types)
    got_wsm = weighted_sum(table, w, types, normalization=norm)  # type: ignore[arg-type]
    np.testing.assert_allclose(got_wsm.to_numpy(), expected_wsm, rtol=0, atol=1e-9)


def test_vector_topsis_equals_textbook_form() -> None:
    """Hwang & Yoon: vector-normalise, cost ideal = minimum. Hand-coded, independent of pymcdm."""
    x, w, types = _random_problem(11)
    v = w * x / np.sqrt((x**2).sum(axis=0))
    ideal = np.where(types > 0, v.max(axis=0), v.min(axis=0))
    anti = np.where(types > 0, v.min(axis=0), v.max(axis=0))
    dp = np.sqrt(((v - ideal) ** 2).sum(axis=1))
    dm = np.sqrt(((v - anti) ** 2).sum(axis=1))
    np.testing.assert_allclose(topsis(x, w, types), dm / (dp + dm), atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_weighted_sum_matches_pymcdm(seed: int) -> None:
    x, w, types = _random_problem(seed)
    for norm in ("minmax", "vector", "sum"):
        expected = WSM(PYMCDM_NORM[norm])(x, w, types)
        got = weighted_sum(x, w, types, normalization=norm)  # type: ignore[arg-type]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_normalise_matches_pymcdm(seed: int) -> None:
    x, _, types = _random_problem(seed)
    for norm in ("minmax", "vector", "sum"):
        expected = np.column_stack(
            [PYMCDM_NORM[norm](x[:, j], types[j] < 0) for j in range(x.shape[1])]
        )
        np.testing.assert_allclose(normalise(x, types, method=norm), expected, atol=1e-12)  # type: ignore[arg-type]


def test_entropy_sum_convention_matches_pymcdm_random_and_real() -> None:
    for seed in range(5):
        x, _, _ = _random_problem(seed)
        np.testing.assert_allclose(
            entropy_weights(x, normalization="sum"), pw.entropy_weights(x), atol=1e-9
        )
    table, _ = _real_matrix()
    got = entropy_weights(table, normalization="sum")
    np.testing.assert_allclose(got.to_numpy(), pw.entropy_weights(table.to_numpy()), atol=1e-9)
    assert list(got.index) == list(table.columns)


def test_entropy_brief_form_against_scipy_entropy() -> None:
    """BRIEF §4.6: min-max with directions, p = r/Σr, e = H(p)/ln n (0 ln 0 = 0)."""
    table, types = _real_matrix()
    x = table.to_numpy()
    r = np.column_stack([pn.minmax_normalization(x[:, j], types[j] < 0) for j in range(x.shape[1])])
    e = np.array([scipy_entropy(r[:, j]) for j in range(r.shape[1])]) / np.log(len(x))
    expected = (1 - e) / (1 - e).sum()
    got = entropy_weights(table, types)
    np.testing.assert_allclose(got.to_numpy(), expected, atol=1e-12)
    # min-max puts a zero in every column: pymcdm's rule (e = 0 if any zero) would give equal weights
    assert not np.allclose(expected, 1 / len(expected))


def test_entropy_hand_example() -> None:
    # 3 alternatives, 1 useful criterion: r = (0, 0.5, 1) -> p = (0, 1/3, 2/3)
    # e = -(1/ln3)(1/3 ln 1/3 + 2/3 ln 2/3) = (0.366204 + 0.270310)/1.098612 = 0.579380
    # second criterion r = (0, 1, 1)/... -> p = (0, .5, .5), e = ln2/ln3 = 0.630930
    # w = (1-0.579380, 1-0.630930) / (0.420620+0.369070) = (0.532640, 0.467360)
    x = np.array([[0.0, 2.0], [5.0, 4.0], [10.0, 4.0]])
    np.testing.assert_allclose(entropy_weights(x), [0.532640, 0.467360], atol=5e-6)


@pytest.mark.parametrize("seed", range(5))
def test_critic_matches_pymcdm(seed: int) -> None:
    x, _, _ = _random_problem(seed)
    np.testing.assert_allclose(critic_weights(x), pw.critic_weights(x), atol=1e-9)
    table, _ = _real_matrix()
    np.testing.assert_allclose(
        critic_weights(table).to_numpy(), pw.critic_weights(table.to_numpy()), atol=1e-9
    )


def test_critic_with_directions_flips_cost_correlations() -> None:
    table, types = _real_matrix()
    x = table.to_numpy()
    flipped = x.copy()
    flipped[:, types < 0] *= -1  # reversing a cost column == benefit normalisation of -x
    np.testing.assert_allclose(critic_weights(x, types), pw.critic_weights(flipped), atol=1e-9)


def test_grid_stack_equals_table_and_is_chunked() -> None:
    rng = np.random.default_rng(3)
    m, ny, nx = 4, 50, 37
    stack = rng.uniform(1, 10, size=(m, ny, nx))
    mask = rng.random((ny, nx)) > 0.2
    stack[:, ~mask] = np.nan  # NaN outside the mask is allowed
    w = np.array([0.4, 0.3, 0.2, 0.1])
    types = np.array([1, -1, 1, -1])
    table = stack[:, mask].T  # valid cells as alternatives
    tiny = 4096  # force many chunks
    for norm in ("minmax", "vector", "sum"):
        grid = topsis(stack, w, types, normalization=norm, mask=mask, chunk_bytes=tiny)  # type: ignore[arg-type]
        assert grid.shape == (ny, nx)
        assert np.isnan(grid[~mask]).all()
        np.testing.assert_allclose(
            grid[mask], TOPSIS(PYMCDM_NORM[norm])(table, w, types), atol=1e-9
        )
        ws = weighted_sum(stack, w, types, normalization=norm, mask=mask, chunk_bytes=tiny)  # type: ignore[arg-type]
        np.testing.assert_allclose(ws[mask], WSM(PYMCDM_NORM[norm])(table, w, types), atol=1e-9)
    np.testing.assert_allclose(
        entropy_weights(stack, types, mask=mask, chunk_bytes=tiny),
        entropy_weights(table, types),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        critic_weights(stack, mask=mask, chunk_bytes=tiny), pw.critic_weights(table), atol=1e-9
    )
    n = normalise(stack, types, mask=mask, chunk_bytes=tiny)
    np.testing.assert_allclose(n[:, mask].T, normalise(table, types), atol=1e-12)


def test_float32_grid_gives_float32_output_close_to_float64() -> None:
    rng = np.random.default_rng(5)
    stack = rng.uniform(0, 1, size=(3, 64, 64)).astype(np.float32)
    w = np.array([0.5, 0.25, 0.25])
    out = topsis(stack, w)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, topsis(stack.astype(np.float64), w), atol=1e-6)


# ---------------------------------------------------------------- AHP


def test_ahp_matches_pymcdm_and_saaty_cr() -> None:
    a = np.array([[1, 3, 5, 7], [1 / 3, 1, 3, 5], [1 / 5, 1 / 3, 1, 3], [1 / 7, 1 / 5, 1 / 3, 1]])
    res = ahp_weights(a, labels=["a", "b", "c", "d"])
    ref = AHP(matrix=a)
    np.testing.assert_allclose(res.weights, ref(), atol=1e-9)
    tl = ahp_weights(a, random_index="tummala_ling")
    np.testing.assert_allclose(tl.cr, ref.get_cr(), atol=1e-9)
    # Saaty RI for n=4 is 0.90: CR = CI / 0.90
    assert res.ri == 0.90
    np.testing.assert_allclose(res.cr, (res.lambda_max - 4) / 3 / 0.90, atol=1e-12)
    assert res.cr < 0.1
    assert res.as_series().idxmax() == "a"


def test_ahp_consistent_matrix_recovers_weights() -> None:
    w = np.array([0.5, 0.3, 0.2])
    a = w[:, None] / w[None, :]
    res = ahp_weights(a)
    np.testing.assert_allclose(res.weights, w, atol=1e-12)
    np.testing.assert_allclose(res.lambda_max, 3.0, atol=1e-12)
    assert abs(res.cr) < 1e-12


def test_ahp_inconsistent_names_most_inconsistent_pair() -> None:
    # consistent from w = (.4,.3,.2,.1) except cost-vs-access, judged 1/9 instead of 3/2... inverted
    w = np.array([0.4, 0.3, 0.2, 0.1])
    a = w[:, None] / w[None, :]
    a[0, 3], a[3, 0] = 1 / 9, 9.0
    with pytest.raises(ConfigError, match=r"CR = .* exceeds 0.1.*'slope' vs 'roads'"):
        ahp_weights(a, labels=["slope", "access", "pop", "roads"])
    ahp_weights(a, max_cr=None)  # accepted when the check is off


def test_ahp_bad_inputs() -> None:
    with pytest.raises(InputDataError, match="square"):
        ahp_weights(np.ones((2, 3)))
    with pytest.raises(InputDataError, match="not reciprocal"):
        ahp_weights(np.array([[1, 2], [2, 1.0]]))
    with pytest.raises(InputDataError, match="> 0"):
        ahp_weights(np.array([[1, -2], [-0.5, 1.0]]))
    with pytest.raises(InputDataError, match="diagonal"):
        ahp_weights(np.array([[2, 1], [1, 1.0]]))


# ---------------------------------------------------------------- bad inputs


def test_nan_in_indicator_is_named() -> None:
    x = pd.DataFrame({"gdp": [1.0, 2.0, np.nan], "pop": [1.0, 2.0, 3.0]})
    with pytest.raises(InputDataError, match=r"'gdp' has 1 NaN"):
        topsis(x, [0.5, 0.5])
    with pytest.raises(InputDataError, match=r"'gdp' has 1 NaN"):
        entropy_weights(x)


def test_constant_column_is_an_error() -> None:
    x = pd.DataFrame({"a": [1.0, 2.0, 3.0], "flat": [7.0, 7.0, 7.0]})
    for call in (lambda: entropy_weights(x), lambda: critic_weights(x),
                 lambda: topsis(x, [0.5, 0.5], normalization="minmax")):  # fmt: skip
        with pytest.raises(InputDataError, match=r"'flat' \(= 7\) take the same value"):
            call()


def test_negative_values_where_not_allowed() -> None:
    x = np.array([[1.0, -2.0], [2.0, 3.0], [3.0, 1.0]])
    with pytest.raises(InputDataError, match="negative"):
        topsis(x, [0.5, 0.5], normalization="vector")
    with pytest.raises(InputDataError, match="<= 0"):
        entropy_weights(x, normalization="sum")
    # min-max accepts negatives
    assert np.isfinite(topsis(x, [0.5, 0.5], normalization="minmax")).all()


def test_shape_and_weight_errors() -> None:
    x = np.arange(12, dtype=float).reshape(4, 3) + 1
    with pytest.raises(ConfigError, match=r"2 weight\(s\) for 3 criteria"):
        topsis(x, [0.5, 0.5])
    with pytest.raises(ConfigError, match="sum to 1"):
        topsis(x, [0.5, 0.5, 0.5])
    with pytest.raises(ConfigError, match=r"2 direction\(s\) for 3 criteria"):
        topsis(x, [0.2, 0.3, 0.5], [1, -1])
    with pytest.raises(ConfigError, match="unknown direction"):
        topsis(x, [0.2, 0.3, 0.5], ["benefit", "cost", "up"])
    with pytest.raises(InputDataError, match="1 dimension"):
        topsis(np.ones(5), [1.0])
    with pytest.raises(InputDataError, match="mask: shape"):
        topsis(x, [0.2, 0.3, 0.5], mask=np.ones(3, bool))
    with pytest.raises(ConfigError, match="unknown method"):
        normalise(x, method="zscore")  # type: ignore[arg-type]


def test_fixed_weights() -> None:
    np.testing.assert_allclose(fixed_weights({"a": 0.25, "b": 0.75}, ["b", "a"]), [0.75, 0.25])
    np.testing.assert_allclose(fixed_weights([1, 3], normalise=True), [0.25, 0.75])
    with pytest.raises(ConfigError, match="missing"):
        fixed_weights({"a": 1.0}, ["a", "b"])
    with pytest.raises(ConfigError, match="not 1"):
        fixed_weights([0.2, 0.2])
    with pytest.raises(ConfigError, match="non-negative"):
        fixed_weights([-0.2, 1.2])
