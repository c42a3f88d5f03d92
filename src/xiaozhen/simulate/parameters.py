"""Model parameters and the policy package of the town-flow simulation.

Two frozen pydantic models:

* :class:`ModelParameters` — behavioural and technical parameters of :mod:`xiaozhen.simulate`.
  Eight are *free* (fitted by :func:`xiaozhen.simulate.calibrate` to the 2010 → 2020 census and
  the provincial urban–rural income-ratio path); the rest are fixed from BRIEF §4 or are
  documented assumptions. :func:`calibrated_parameters` returns the bundled calibrated set
  (``data/calibrated_parameters.json``) that every default run uses.
* :class:`PolicyPackage` — the land, capital and talent levers with defaults citing BRIEF §4.2.
  :meth:`PolicyPackage.without` switches one lever off for the "each lever on / off" scenarios.

Units: persons, yuan (current), km², years. Money flows are yuan per year.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import Field

from xiaozhen._model import FrozenModel
from xiaozhen.errors import ConfigError
from xiaozhen.industries import INDUSTRY_CATALOGUE, industry, town_investment_yuan

__all__ = [
    "FREE_PARAMETERS",
    "INDUSTRIES",
    "LEVERS",
    "UNCERTAIN_PARAMETERS",
    "IndustryKey",
    "Lever",
    "ModelParameters",
    "PolicyPackage",
    "calibrated_parameters",
    "industry_profile",
]

logger = logging.getLogger(__name__)

#: Characteristic-industry keys understood by the model (HELPERS_CONTRACT positioning keys).
IndustryKey = str

#: Industry profiles: capital per job (yuan), labour productivity (yuan output per job per year),
#: visitors per year at full build-out (persons), 3-year creation investment target (yuan),
#: whether the 60 % quota reward applies. Sources: BRIEF §4.1 (targets: 5 bn, 3 bn for
#: information economy, finance, tourism and classic towns; 60 % reward for information-economy,
#: environmental and high-end equipment towns, §4.2); national averages BRIEF §4.4 (5.9 bn yuan
#: and 6,000 jobs per town ⇒ ≈ 1.0 M yuan per job; Zhejiang 2022 output 1.98 tn / 1.93 M jobs ⇒
#: ≈ 1.03 M yuan output per job). Industry differences around these averages are assumptions.
#: ``target`` (creation investment, yuan) and ``priority`` (60 % quota reward) come from the one
#: industry catalogue (:mod:`xiaozhen.industries`); ``classic`` stands for every classic industry.
INDUSTRIES: dict[str, dict[str, float]] = {
    "digital": {
        "capital_per_job": 0.6e6,
        "output_per_job": 1.4e6,
        "visitors": 3.0e5,
        "target": town_investment_yuan("digital"),
        "priority": float(industry("digital").priority_reward),
    },
    "finance": {
        "capital_per_job": 0.5e6,
        "output_per_job": 1.6e6,
        "visitors": 2.0e5,
        "target": town_investment_yuan("finance"),
        "priority": float(industry("finance").priority_reward),
    },
    "equipment": {
        "capital_per_job": 1.5e6,
        "output_per_job": 1.1e6,
        "visitors": 2.0e5,
        "target": town_investment_yuan("equipment"),
        "priority": float(industry("equipment").priority_reward),
    },
    "fashion": {
        "capital_per_job": 0.9e6,
        "output_per_job": 0.9e6,
        "visitors": 4.0e5,
        "target": town_investment_yuan("fashion"),
        "priority": float(industry("fashion").priority_reward),
    },
    "environmental": {
        "capital_per_job": 1.2e6,
        "output_per_job": 1.0e6,
        "visitors": 2.0e5,
        "target": town_investment_yuan("environmental"),
        "priority": float(industry("environmental").priority_reward),
    },
    "health": {
        "capital_per_job": 1.1e6,
        "output_per_job": 0.8e6,
        "visitors": 5.0e5,
        "target": town_investment_yuan("health"),
        "priority": float(industry("health").priority_reward),
    },
    "tourism": {
        "capital_per_job": 1.3e6,
        "output_per_job": 0.5e6,
        "visitors": 1.2e6,
        "target": town_investment_yuan("tourism"),
        "priority": float(industry("tourism").priority_reward),
    },
    "classic": {
        "capital_per_job": 0.8e6,
        "output_per_job": 0.6e6,
        "visitors": 6.0e5,
        "target": town_investment_yuan("classic_tea"),
        "priority": float(industry("classic_tea").priority_reward),
    },
}


#: The profile keys the catalogue calls for: every emerging industry, and ``classic``.
_PROFILE_KEYS = {k if v.group == "emerging" else "classic" for k, v in INDUSTRY_CATALOGUE.items()}
if set(INDUSTRIES) != _PROFILE_KEYS:  # the one catalogue names every industry
    raise RuntimeError(
        f"simulate: economic profiles for {sorted(set(INDUSTRIES) ^ _PROFILE_KEYS)} do not match "
        "the industry catalogue (xiaozhen.industries)"
    )


def industry_profile(key: str) -> dict[str, float]:
    """Profile of an industry key; classic keys (``classic_tea``, ``classic_silk``, ... and any
    ``classic_<x>`` the catalogue accepts) share the classic profile.

    Raises
    ------
    ConfigError
        If the catalogue does not know ``key`` (with the closest known key).
    """
    record = industry(key)
    return INDUSTRIES["classic" if record.group == "classic" else record.key]


class ModelParameters(FrozenModel):
    """Behavioural and technical parameters (see README "Simulation model" for every equation).

    Free parameters (calibrated): ``beta_income``, ``asc_core``, ``mobility``,
    ``distance_decay_per_100km``, ``agri_tfp_growth``, ``wage_convergence``, ``agglomeration``,
    ``rural_income_2010``.
    """

    # --- location choice (multinomial logit; McFadden 1978; UrbanSim HLCM) -------------------
    beta_income: float = Field(
        2.0, gt=0, description="logit weight on ln(net income per capita), 1"
    )
    beta_services: float = Field(
        0.5,
        ge=0,
        description="logit weight on ln(public-service capacity per resident), 1; assumption",
    )
    beta_congestion: float = Field(
        0.3, ge=0, description="logit disutility per unit of the congestion index; assumption"
    )
    beta_amenity: float = Field(
        0.5,
        ge=0,
        description="logit weight on natural amenity (forest + water share of zone), 1; assumption",
    )
    beta_hukou: float = Field(
        1.0,
        ge=0,
        description="logit weight on registration (hukou) access for migrants, 1; assumption",
    )
    asc_core: float = Field(
        0.3,
        description="alternative-specific constant of urban cores relative to rural zones (urban pull), 1",
    )
    asc_town: float = Field(
        0.0,
        description="alternative-specific constant of towns relative to rural zones, 1; assumption",
    )
    mobility: float = Field(
        0.05,
        gt=0,
        le=0.5,
        description="share of residents who reconsider their location each year, 1/yr",
    )
    moving_cost: float = Field(
        2.0, ge=0, description="utility cost of any move (o ≠ d), 1; assumption"
    )
    distance_decay_per_100km: float = Field(
        1.5, ge=0, description="utility cost per 100 km moved (distance decay), 1"
    )
    hukou_access_core: float = Field(
        0.3,
        ge=0,
        le=1,
        description="migrants' access to registration in urban cores (0–1); assumption",
    )
    hukou_access_rural: float = Field(
        0.8, ge=0, le=1, description="migrants' access in rural zones; assumption"
    )
    hukou_access_town: float = Field(
        0.6,
        ge=0,
        le=1,
        description="migrants' access in towns without the priority lever; assumption",
    )

    # --- incomes and production --------------------------------------------------------------
    income_growth: float = Field(
        0.06,
        description="nominal growth of urban incomes per year (common trend; cancels in ratios), 1/yr",
    )
    agri_tfp_growth: float = Field(
        0.01,
        ge=-0.05,
        le=0.1,
        description="growth of farm income per unit of labour and land in excess of income_growth "
        "(relative agricultural TFP and farm-price growth), 1/yr",
    )
    wage_convergence: float = Field(
        0.05,
        ge=0,
        le=1,
        description="κ: rate at which the rural non-farm wage discount closes, "
        "d(t) = 1 − (1 − d_2010) e^{−κ (t − 2010)}, 1/yr (labour-market integration; calibrated)",
    )
    farm_exit_rate: float = Field(
        0.0625,
        ge=0,
        le=0.5,
        description="ν: rate at which the farm share of rural workers declines, s_F(t) = "
        "s_F(t0) e^{−ν (t − t0)}, 1/yr; from the censuses: farm workers per rural resident-worker "
        "in Zhejiang 0.394 (2010) → 0.211 (2020), ν = ln(0.394/0.211)/10",
    )
    farm_labour_elasticity: float = Field(
        0.4,
        gt=0,
        lt=1,
        description="φ in farm income ∝ L_F^φ (Cobb–Douglas labour elasticity); assumption from Chinese farm-production studies (0.3–0.5)",
    )
    agglomeration: float = Field(
        0.04,
        ge=0,
        le=0.2,
        description="elasticity of urban productivity to density (Combes & Gobillon 2015 review: 0.02–0.10)",
    )
    market_access_elasticity: float = Field(
        0.05,
        ge=0,
        le=0.3,
        description="elasticity of productivity to gravity market access; assumption (Redding & Venables 2004 order of magnitude)",
    )
    market_access_decay_km: float = Field(
        50.0, gt=0, description="λ in market access Σ P exp(−d/λ), km; assumption"
    )
    skill_premium: float = Field(
        1.6,
        ge=1,
        description="income of tertiary-educated relative to others; assumption (Chinese college premium ≈ 50–70 %)",
    )
    rural_income_2010: float = Field(
        0.42,
        gt=0.1,
        lt=1,
        description="rural/urban income level at the start of a calibration run (2010), 1",
    )
    education_return: float = Field(
        0.08,
        ge=0,
        description="log income per year of schooling used to spread provincial incomes to counties (Mincer return); assumption",
    )
    participation: float = Field(
        0.55,
        gt=0,
        lt=1,
        description="employed persons per resident; assumption (Zhejiang ≈ 0.55–0.6)",
    )
    rural_nonfarm_discount: float = Field(
        0.8,
        gt=0,
        le=1,
        description="d_2010: rural non-farm wage relative to the core low-skill wage in 2010; "
        "assumption (Zhejiang migrant-worker vs urban low-skill wages, about 0.75-0.85)",
    )
    vacancy_wage_premium: float = Field(
        0.3, ge=0, description="ξ: town wage uplift per unit vacancy rate; assumption"
    )
    talent_elasticity: float = Field(
        0.1,
        ge=0,
        description="elasticity of town productivity to its tertiary share relative to the province; assumption",
    )

    # --- towns: capital, jobs, land, visitors ------------------------------------------------
    depreciation: float = Field(
        0.05, ge=0, lt=1, description="capital depreciation per year; assumption"
    )
    capital_share: float = Field(
        0.35,
        gt=0,
        lt=1,
        description="capital share of town output (gross return = share × output / K); assumption",
    )
    hurdle_return: float = Field(
        0.08, gt=0, description="private investors' required gross return, 1/yr; assumption"
    )
    investment_elasticity: float = Field(
        1.0, ge=0, description="elasticity of private investment to return / hurdle; assumption"
    )
    tax_rate_output: float = Field(
        0.065,
        gt=0,
        lt=1,
        description="tax / output of towns: Zhejiang 2022, 129 bn / 1.98 tn (BRIEF §4.4)",
    )
    investment_per_km2: float = Field(
        3.0e9,
        gt=0,
        description="fixed-asset investment per km² of new construction land: 2 M yuan per mu (BRIEF §4.3; 1 km² = 1,500 mu)",
    )
    max_capital_per_km2: float = Field(
        15.0e9,
        gt=0,
        description="ceiling on capital per km² of town construction land (10 M yuan per mu); assumption",
    )
    service_jobs_per_resident: float = Field(
        0.1, ge=0, description="local service jobs per town resident; assumption"
    )
    commute_share_max: float = Field(
        0.15,
        ge=0,
        le=1,
        description="largest share of rural workers commuting to town jobs in their county; assumption",
    )
    commute_decay_km: float = Field(
        20.0, gt=0, description="commuting distance decay for villagers, km; assumption"
    )
    visitor_spend_yuan: float = Field(
        300.0, ge=0, description="spending on rural products per visitor, yuan; assumption"
    )
    resident_rural_spend_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="share of town residents' income spent on rural products and services of the county; assumption",
    )
    service_cost_per_capacity: float = Field(
        50_000.0,
        gt=0,
        description="public investment per additional resident of service capacity, yuan; assumption",
    )
    service_growth: float = Field(
        0.01, ge=0, description="growth of existing zones' service capacity, 1/yr; assumption"
    )

    # --- city congestion and housing ---------------------------------------------------------
    reference_density: float = Field(
        10_000.0,
        gt=0,
        description="ρ* persons per km² of construction land at which the congestion index is 1; assumption",
    )
    congestion_elasticity: float = Field(
        1.5,
        gt=0,
        description="ε_c in congestion = (ρ/ρ*)^ε_c; assumption (convex travel-time/density curve)",
    )
    rent_elasticity: float = Field(
        0.6, ge=0, description="ε_r in rent ∝ (ρ/ρ0)^ε_r; assumption (housing supply inelasticity)"
    )
    housing_cost_share: float = Field(
        0.25, ge=0, lt=1, description="housing cost / income in cores at the start year; assumption"
    )
    core_land_per_new_resident_km2: float = Field(
        8.0e-5,
        ge=0,
        description="new core construction land per added resident (80 m²), km²; assumption",
    )
    homestead_km2_per_resident: float = Field(
        1.5e-4,
        ge=0,
        description="rural construction land left idle per rural resident who leaves (150 m²), km²; assumption",
    )
    external_inflow_rate: float = Field(
        0.01,
        ge=-0.05,
        le=0.05,
        description="net in-migration from outside the province plus natural change, share of population per year (forward runs; 2010–2020 census average was 1.7 %); assumption",
    )
    decentralisation_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="share of core manufacturing and service jobs that relocate to the county's towns per unit of excess congestion per year; assumption",
    )


#: The parameters :func:`xiaozhen.simulate.calibrate` fits, with (lower, upper) bounds.
#: Bounds are the plausible ranges of the literature, not numerical conveniences:
#: ``agri_tfp_growth`` within ±3 %/yr of the common trend (Chinese agricultural TFP grew
#: ≈ 2-3 %/yr in 2000-2020 against ≈ 6-8 % nominal wage growth, but farm prices rose too);
#: ``wage_convergence`` up to 0.3/yr (half-life ≥ 2.3 years); ``rural_income_2010`` within
#: ±0.1 of the new-basis 2010 level 1/2.15 ≈ 0.47 (see ``calibrate.INCOME_RATIO_PATH``);
#: ``agglomeration`` within the 0-0.1 range of Combes & Gobillon (2015);
#: ``beta_income`` up to 15 (a one-log-point income gap then moves a reconsidering household
#: with odds e^15 — beyond that the logit is deterministic and the bound is not binding in
#: any economically meaningful sense); ``distance_decay_per_100km`` up to 10 (moving 100 km
#: costs as much as e^10 in odds: moves beyond the neighbouring counties all but vanish).
FREE_PARAMETERS: dict[str, tuple[float, float]] = {
    "beta_income": (0.2, 15.0),
    "asc_core": (-3.0, 3.0),
    "mobility": (0.005, 0.3),
    "distance_decay_per_100km": (0.0, 10.0),
    "agri_tfp_growth": (-0.03, 0.03),
    "wage_convergence": (0.0, 0.3),
    "agglomeration": (0.0, 0.1),
    "rural_income_2010": (0.37, 0.57),
}

#: Parameters drawn in Monte Carlo runs: name -> (kind, a, b). "lognormal": multiply the
#: central value by exp(N(0, a)); "uniform": draw U(a, b) absolute.
UNCERTAIN_PARAMETERS: dict[str, tuple[str, float, float]] = {
    "beta_income": ("lognormal", 0.2, 0.0),
    "mobility": ("lognormal", 0.2, 0.0),
    "agglomeration": ("lognormal", 0.3, 0.0),
    "agri_tfp_growth": ("normal", 0.005, 0.0),
    "wage_convergence": ("lognormal", 0.3, 0.0),
    "hurdle_return": ("uniform", 0.06, 0.10),
    "investment_elasticity": ("uniform", 0.5, 1.5),
    "visitor_spend_yuan": ("uniform", 150.0, 450.0),
    "decentralisation_rate": ("uniform", 0.0, 0.04),
    "congestion_elasticity": ("uniform", 1.0, 2.0),
    "vacancy_wage_premium": ("uniform", 0.1, 0.5),
    "talent_elasticity": ("uniform", 0.0, 0.2),
    "commute_share_max": ("uniform", 0.05, 0.25),
}

Lever = Literal[
    "quota_reward",
    "idle_land_first",
    "fiscal_return",
    "leverage",
    "tax_preference",
    "hukou_priority",
    "housing_subsidy",
    "public_services",
    "decentralisation",
]
LEVERS: tuple[str, ...] = (
    "quota_reward",
    "idle_land_first",
    "fiscal_return",
    "leverage",
    "tax_preference",
    "hukou_priority",
    "housing_subsidy",
    "public_services",
    "decentralisation",
)


class PolicyPackage(FrozenModel):
    """Land, capital and talent levers of the characteristic-town programme (BRIEF §4.2).

    Defaults reproduce the Zhejiang package; set a lever to zero / False (or use
    :meth:`without`) to switch it off.
    """

    # land
    new_quota_km2_per_town_year: float = Field(
        0.15,
        ge=0,
        description="new construction-land quota granted per town per year, km² (≈ 225 mu); assumption",
    )
    quota_reward_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of the new quota used that is returned when annual targets are met: 50 % (BRIEF §4.2)",
    )
    quota_reward_share_priority: float = Field(
        0.6,
        ge=0,
        le=1,
        description="same for information-economy, environmental and high-end equipment towns: 60 % (BRIEF §4.2)",
    )
    idle_land_first: bool = Field(
        True,
        description="draw on existing idle construction land before new quota (BRIEF §4.2 land sources)",
    )
    basic_farmland_share: float = Field(
        0.8,
        ge=0,
        le=1,
        description="share of farmland inside permanent basic farmland (control line, never converted); assumption",
    )
    eco_redline_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of ecological land inside the ecological red line (never converted); assumption",
    )
    construction_cap_km2: float = Field(
        1.0,
        gt=0,
        description="urban-development-boundary cap on a town's construction land: ≈ 1 km² (BRIEF §4.1)",
    )
    # capital
    public_budget_share: float = Field(
        0.15,
        ge=0,
        le=1,
        description="share of a town's planned investment paid from public budgets; assumption",
    )
    leverage_ratio: float = Field(
        1.0,
        ge=0,
        description="yuan borrowed (platform / policy-bank loans) per yuan of public budget; assumption",
    )
    fiscal_return_full_years: int = Field(
        3, ge=0, description="years with 100 % return of new provincial-share revenue (BRIEF §4.2)"
    )
    fiscal_return_full_share: float = Field(
        1.0, ge=0, le=1, description="share returned in those years: 100 % (BRIEF §4.2)"
    )
    fiscal_return_half_years: int = Field(
        2, ge=0, description="following years with a partial return (BRIEF §4.2)"
    )
    fiscal_return_half_share: float = Field(
        0.5, ge=0, le=1, description="share returned then: 50 % (BRIEF §4.2)"
    )
    provincial_tax_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="provincial share of tax raised in a town; assumption (shared-tax split varies by tax)",
    )
    # talent
    tax_preference: float = Field(
        0.05,
        ge=0,
        le=0.5,
        description="net-income uplift of tertiary-educated town residents from personal tax preferences; assumption",
    )
    hukou_priority: bool = Field(
        True, description="migrants get full registration access in towns (talent lever)"
    )
    housing_subsidy_yuan_month: float = Field(
        500.0,
        ge=0,
        description="housing subsidy per tertiary-educated town resident per month: up to 500 yuan (Dream Town, BRIEF §4.2)",
    )
    public_service_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="share of public town investment spent on service capacity (schools, clinics, elderly care)",
    )
    # city
    decentralisation: bool = Field(
        True, description="relocate urban functions from congested cores to the county's towns"
    )

    def without(self, lever: str) -> PolicyPackage:
        """A copy with one lever switched off.

        Raises
        ------
        ConfigError
            If ``lever`` is not one of :data:`LEVERS`.
        """
        off: dict[str, dict[str, Any]] = {
            "quota_reward": {"quota_reward_share": 0.0, "quota_reward_share_priority": 0.0},
            "idle_land_first": {"idle_land_first": False},
            "fiscal_return": {"fiscal_return_full_share": 0.0, "fiscal_return_half_share": 0.0},
            "leverage": {"leverage_ratio": 0.0},
            "tax_preference": {"tax_preference": 0.0},
            "hukou_priority": {"hukou_priority": False},
            "housing_subsidy": {"housing_subsidy_yuan_month": 0.0},
            "public_services": {"public_service_share": 0.0},
            "decentralisation": {"decentralisation": False},
        }
        if lever not in off:
            raise ConfigError(f"lever: unknown {lever!r}; use one of {list(LEVERS)}")
        return self.model_copy(update=off[lever])


CALIBRATED_FILE = "calibrated_parameters.json"


@lru_cache(maxsize=1)
def _calibrated_json() -> dict[str, Any]:
    path = resources.files("xiaozhen.simulate") / "data" / CALIBRATED_FILE
    if not path.is_file():
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def calibrated_parameters() -> tuple[ModelParameters, dict[str, Any]]:
    """The bundled calibrated :class:`ModelParameters` and the calibration record.

    The record holds the command that produced the file, the fit statistics and the date.
    If no calibration is bundled the defaults are returned with ``{"calibrated": False}``.
    """
    record = _calibrated_json()
    if not record:
        logger.warning("no bundled calibration found; using uncalibrated default parameters")
        return ModelParameters(), {"calibrated": False}
    params = ModelParameters(**record["parameters"])
    logger.info("using calibrated parameters from %s (%s)", CALIBRATED_FILE, record.get("command"))
    return params, {k: v for k, v in record.items() if k != "parameters"} | {"calibrated": True}
