"""Land uses of a town design, their PLE classes, and the configurable design rules.

Uses and PLE classes
--------------------
Every cell of a town site gets exactly one :class:`Use`. Each use carries a production / living /
ecological (PLE, 生产-生活-生态) class following the land-survey mapping of 时振钦, 邓伟 & 张少尧
(2018, 地理研究 37(3):607): industrial, storage, transport and cropland are *production*; urban and
village housing and public facilities are *living*; forest, grassland, water and bare land are
*ecological*. Public services count as living space, roads (交通运输用地) as production.
``RESERVE`` (land held back for later phases, 发展备用地) keeps the PLE class of its present cover
(the county ``ple`` layer), so its class is decided per cell.

Design rules
------------
:class:`DesignRules` holds every hard threshold with its source:

* construction land 0.5–1 km² — 发改规划〔2021〕1383号 (≥ 0.5 km²) and 浙特镇办〔2015〕9号 §2(2)
  (about 1 km² built; tourism towns may be larger, raise ``construction_max_km2``);
* residential land ≤ 30 % of construction land (< 25 % encouraged, reported as a soft check) — 1383号;
* green cover ≥ 30 % — 1383号;
* slope limits by use — CJJ 83-99 (竖向规划规范): industry and storage ≤ 10 %, residential ≤ 25 %,
  public facilities ≤ 20 %, roads ≤ 8 %;
* walking distance to each everyday service 500–1,000 m — GB 50180-2018 (城市居住区规划设计标准)
  5/10/15-minute life circles (300 / 500 / 800–1,000 m walking);
* service capacity per 1,000 residents — :data:`DEFAULT_SERVICE_STANDARDS` (each with its source).
"""

from __future__ import annotations

import math
from enum import IntEnum
from typing import Annotated

from pydantic import Field, model_validator

from xiaozhen._model import FrozenModel

__all__ = [
    "CONSTRUCTION_USES",
    "DEFAULT_SERVICE_STANDARDS",
    "SENSITIVE_USES",
    "SERVICE_USES",
    "USE_COLOURS",
    "USE_NAMES",
    "USE_NAMES_ZH",
    "USE_PLE",
    "DesignRules",
    "ObjectiveWeights",
    "ServiceStandard",
    "Use",
]

#: PLE codes shared with the county grid's ``ple`` layer.
PLE_PRODUCTION, PLE_LIVING, PLE_ECOLOGICAL, PLE_FROM_COVER = 1, 2, 3, 0


class Use(IntEnum):
    """Land use of one design cell (code 0 = outside the site)."""

    OUTSIDE = 0
    INDUSTRY = 1  # characteristic-industry production 特色产业
    SUPPORT = 2  # supporting production (logistics, suppliers, R&D) 配套产业
    RESIDENTIAL = 3  # 居住
    SCHOOL = 4  # primary school 小学
    CLINIC = 5  # health centre 卫生院 / 社区卫生服务中心
    ELDERLY = 6  # elderly care 养老院
    CULTURE = 7  # culture centre / "town living room" 城镇客厅
    MARKET = 8  # market and commerce 农贸市场 / 商业
    TRANSIT = 9  # transit hub 公交首末站 / 换乘站
    GREEN_KEPT = 10  # existing green or ecological land kept 保留生态
    GREEN_NEW = 11  # new park or green space 新增绿地
    WATER = 12  # existing water 水域
    ROAD = 13  # roads (existing and new) 道路
    FARMLAND = 14  # cropland kept in farming 保留农田
    RESERVE = 15  # reserve land for later phases 发展备用地


#: Public-service uses (each must be within walking distance of every residential cell).
SERVICE_USES: tuple[Use, ...] = (
    Use.SCHOOL,
    Use.CLINIC,
    Use.ELDERLY,
    Use.CULTURE,
    Use.MARKET,
    Use.TRANSIT,
)
#: Construction land (建设用地): production, housing, services and roads.
CONSTRUCTION_USES: tuple[Use, ...] = (
    Use.INDUSTRY,
    Use.SUPPORT,
    Use.RESIDENTIAL,
    *SERVICE_USES,
    Use.ROAD,
)
#: Uses that must keep the pollution buffer from characteristic-industry cells.
SENSITIVE_USES: tuple[Use, ...] = (Use.RESIDENTIAL, Use.SCHOOL, Use.CLINIC, Use.ELDERLY)

USE_NAMES: dict[Use, str] = {u: u.name.lower() for u in Use}
USE_NAMES_ZH: dict[Use, str] = {
    Use.OUTSIDE: "场地外",
    Use.INDUSTRY: "特色产业用地",
    Use.SUPPORT: "配套产业用地",
    Use.RESIDENTIAL: "居住用地",
    Use.SCHOOL: "小学",
    Use.CLINIC: "卫生院",
    Use.ELDERLY: "养老设施",
    Use.CULTURE: "城镇客厅",
    Use.MARKET: "商业市场",
    Use.TRANSIT: "交通枢纽",
    Use.GREEN_KEPT: "保留生态用地",
    Use.GREEN_NEW: "新增绿地",
    Use.WATER: "水域",
    Use.ROAD: "道路",
    Use.FARMLAND: "保留农田",
    Use.RESERVE: "发展备用地",
}
#: PLE class of each use (1 production, 2 living, 3 ecological, 0 = from present cover).
USE_PLE: dict[Use, int] = {
    Use.OUTSIDE: 0,
    Use.INDUSTRY: PLE_PRODUCTION,
    Use.SUPPORT: PLE_PRODUCTION,
    Use.RESIDENTIAL: PLE_LIVING,
    Use.SCHOOL: PLE_LIVING,
    Use.CLINIC: PLE_LIVING,
    Use.ELDERLY: PLE_LIVING,
    Use.CULTURE: PLE_LIVING,
    Use.MARKET: PLE_LIVING,
    Use.TRANSIT: PLE_LIVING,
    Use.GREEN_KEPT: PLE_ECOLOGICAL,
    Use.GREEN_NEW: PLE_ECOLOGICAL,
    Use.WATER: PLE_ECOLOGICAL,
    Use.ROAD: PLE_PRODUCTION,
    Use.FARMLAND: PLE_PRODUCTION,
    Use.RESERVE: PLE_FROM_COVER,
}
#: RGBA colours for maps and the GeoTIFF colour table.
USE_COLOURS: dict[Use, tuple[int, int, int, int]] = {
    Use.OUTSIDE: (0, 0, 0, 0),
    Use.INDUSTRY: (156, 39, 176, 255),
    Use.SUPPORT: (206, 147, 216, 255),
    Use.RESIDENTIAL: (255, 193, 7, 255),
    Use.SCHOOL: (229, 57, 53, 255),
    Use.CLINIC: (255, 87, 34, 255),
    Use.ELDERLY: (244, 143, 177, 255),
    Use.CULTURE: (183, 28, 28, 255),
    Use.MARKET: (255, 112, 67, 255),
    Use.TRANSIT: (33, 33, 33, 255),
    Use.GREEN_KEPT: (46, 125, 50, 255),
    Use.GREEN_NEW: (139, 195, 74, 255),
    Use.WATER: (30, 136, 229, 255),
    Use.ROAD: (117, 117, 117, 255),
    Use.FARMLAND: (240, 230, 140, 255),
    Use.RESERVE: (215, 204, 200, 255),
}


class ServiceStandard(FrozenModel):
    """Capacity standard of one public service, sized to planned residents.

    Demand (units) :math:`D = P \\cdot r / 1000 \\cdot s`, with residents :math:`P`, units per
    1,000 of the served group :math:`r` and served-group share :math:`s` (1 for everyone, the
    65+ share for elderly care). Land needed :math:`A = \\max(A_{min}, D \\cdot a)` with land per
    unit :math:`a` (m²).
    """

    unit: str = Field(description="what is counted (school places, beds, ...)")
    per_1000: float = Field(gt=0, description="units per 1,000 people of the served group")
    served_share: float = Field(default=1.0, gt=0, le=1, description="share of residents served")
    land_m2_per_unit: float = Field(gt=0, description="site land per unit, m²")
    min_land_m2: float = Field(ge=0, description="smallest site of one facility, m²")
    source: str = Field(description="where the standard comes from")


#: Default service standards. The numbers are the commonly used planning values; the GB 50180-2018
#: appendix B land ranges were taken from secondary reposts, not the stored standard text.
DEFAULT_SERVICE_STANDARDS: dict[str, ServiceStandard] = {
    "school": ServiceStandard(
        unit="primary-school places",
        per_1000=70.0,
        land_m2_per_unit=18.0,
        min_land_m2=6000.0,
        source="70 places per 1,000 residents (Zhejiang 千人学位 planning norm 60–80); 18 m² site per "
        "pupil (建标102-2002 城市普通中小学校校舍建设标准); walking ≤ 500 m (GB 50180-2018 10-min circle)",
    ),
    "clinic": ServiceStandard(
        unit="health-centre beds",
        per_1000=1.2,
        land_m2_per_unit=110.0,
        min_land_m2=1700.0,
        source="1.2 beds per 1,000 served (建标107-2008 乡镇卫生院建设标准: 0.6–1.2); site 1,000–2,000 m² "
        "(GB 50180-2018 社区卫生服务中心)",
    ),
    "elderly": ServiceStandard(
        unit="elderly-care beds",
        per_1000=40.0,
        served_share=0.15,
        land_m2_per_unit=40.0,
        min_land_m2=3500.0,
        source="40 beds per 1,000 people aged 65+ (Zhejiang 十三五 养老服务 target); 65+ share 0.15 "
        "(Zhejiang 2020 census 13.3 %, rounded up); site 3,500 m² minimum (GB 50180-2018 养老院)",
    ),
    "culture": ServiceStandard(
        unit="culture-centre floor m²",
        per_1000=200.0,
        land_m2_per_unit=1.5,
        min_land_m2=3000.0,
        source="文化活动中心 3,000–12,000 m² site (GB 50180-2018 15-min circle); 200 m² per 1,000 "
        "residents; the town living room 城镇客厅 of the national guideline",
    ),
    "market": ServiceStandard(
        unit="market and shop floor m²",
        per_1000=500.0,
        land_m2_per_unit=1.0,
        min_land_m2=1500.0,
        source="菜市场 + 商业 ≥ 1,500 m² site (GB 50180-2018 appendix B); 500 m² floor per 1,000 residents",
    ),
    "transit": ServiceStandard(
        unit="bus bays",
        per_1000=0.2,
        land_m2_per_unit=1000.0,
        min_land_m2=1000.0,
        source="公交首末站 ≥ 1,000 m² site (GB 50180-2018 appendix B); one bay per 5,000 residents",
    ),
}

#: Service use of each standard key.
SERVICE_KEYS: dict[str, Use] = {
    "school": Use.SCHOOL,
    "clinic": Use.CLINIC,
    "elderly": Use.ELDERLY,
    "culture": Use.CULTURE,
    "market": Use.MARKET,
    "transit": Use.TRANSIT,
}

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class ObjectiveWeights(FrozenModel):
    """Weights of the design objective (minimised; see :func:`xiaozhen.design.evaluate_objective`)."""

    compact_per_edge: float = Field(
        default=1.0, ge=0, description="per cell side shared by two different uses"
    )
    road_access_per_km: float = Field(
        default=4.0, ge=0, description="per production cell per km to the nearest road"
    )
    greenfield_per_cell: float = Field(
        default=1.0, ge=0, description="construction on land that is not built (idle land costs 0)"
    )
    redevelop_per_cell: float = Field(
        default=0.3, ge=0, description="construction on built land still in use (relocation)"
    )
    farmland_per_cell: float = Field(
        default=2.0, ge=0, description="extra, for converting (non-basic) cropland to another use"
    )
    green_new_per_cell: float = Field(default=0.2, ge=0, description="planting a new green cell")
    jobs_per_km: float = Field(
        default=2.0, ge=0, description="per residential cell per km walk to the nearest job cell"
    )
    jobs_step_m: float = Field(default=250.0, gt=0, description="distance band width, m")
    jobs_max_m: float = Field(
        default=2000.0, gt=0, description="distance beyond which no extra cost"
    )


class DesignRules(FrozenModel):
    """Hard constraints, programme and objective of a town design (frozen; defaults cite sources).

    See the module docstring for the sources of every threshold.
    """

    cell_size_m: float = Field(default=50.0, ge=10.0, le=200.0, description="design grid cell, m")
    construction_min_km2: float = Field(
        default=0.5, gt=0, description="≥ 0.5 km² construction land (发改规划〔2021〕1383号)"
    )
    construction_max_km2: float = Field(
        default=1.0,
        gt=0,
        description="about 1 km² built (浙特镇办〔2015〕9号); raise for tourism towns",
    )
    construction_target_km2: float | None = Field(
        default=None, gt=0, description="programme size; default construction_max_km2"
    )
    residential_share_max: Fraction = Field(
        default=0.30, description="residential ≤ 30 % of construction land (1383号)"
    )
    residential_share_encouraged: Fraction = Field(
        default=0.25, description="< 25 % encouraged (1383号), a soft check"
    )
    residential_share_target: Fraction = Field(
        default=0.24, description="programme share of residential land"
    )
    support_share_target: Fraction = Field(
        default=0.10, description="programme share of supporting production"
    )
    road_share_target: Fraction = Field(
        default=0.15,
        description="programme share of roads (GB 50137-2011: 道路与交通设施用地 15–25 % of urban land)",
    )
    green_cover_min: Fraction = Field(default=0.30, description="green cover ≥ 30 % (1383号)")
    slope_max_industry_pct: float = Field(default=10.0, gt=0, description="CJJ 83-99: ≤ 10 %")
    slope_max_residential_pct: float = Field(default=25.0, gt=0, description="CJJ 83-99: ≤ 25 %")
    slope_max_public_pct: float = Field(default=20.0, gt=0, description="CJJ 83-99: ≤ 20 %")
    slope_max_road_pct: float = Field(default=8.0, gt=0, description="CJJ 83-99: new roads ≤ 8 %")
    walk_max_m: float = Field(
        default=800.0,
        ge=200.0,
        le=2000.0,
        description="walk from every home to each service (GB 50180-2018: 500–1,000 m)",
    )
    polluting_industry: bool = Field(
        default=False, description="characteristic industry pollutes (needs a buffer from homes)"
    )
    pollution_buffer_m: float = Field(
        default=100.0, ge=0, description="buffer between polluting industry and sensitive uses, m"
    )
    require_urban_boundary: bool = Field(
        default=False,
        description="construction only inside the urban development boundary 城镇开发边界",
    )
    residents_per_ha: float = Field(
        default=200.0, gt=0, description="gross residential density (mid-rise, FAR ≈ 1.2–1.5)"
    )
    jobs_per_ha_industry: float = Field(default=80.0, ge=0, description="jobs per ha")
    jobs_per_ha_support: float = Field(default=60.0, ge=0, description="jobs per ha")
    jobs_per_ha_services: float = Field(default=50.0, ge=0, description="jobs per ha")
    jobs_min: float = Field(default=2000.0, ge=0, description="≥ 2,000 jobs (1383号), soft check")
    investment_yuan_per_mu: float = Field(
        default=2_000_000.0,
        ge=0,
        description="fixed investment per mu of construction land (1383号: ≥ 2 million yuan/mu)",
    )
    services: dict[str, ServiceStandard] = Field(
        default_factory=lambda: dict(DEFAULT_SERVICE_STANDARDS),
        description="capacity standard of each public service (GB 50180-2018 and sector norms)",
    )
    weights: ObjectiveWeights = Field(
        default_factory=ObjectiveWeights, description="weights of the design objective's terms"
    )
    milp_max_cells: int = Field(
        default=150, ge=0, description="use the exact MILP up to this many site cells"
    )
    time_limit_s: float = Field(default=30.0, gt=0, description="solver time limit, s")
    heuristic_iterations: int = Field(default=20000, ge=0, description="simulated-annealing moves")

    @model_validator(mode="after")
    def _check(self) -> DesignRules:
        problems: list[str] = []
        if self.construction_min_km2 > self.construction_max_km2:
            problems.append(
                f"construction_min_km2={self.construction_min_km2} exceeds construction_max_km2="
                f"{self.construction_max_km2}; set min ≤ max"
            )
        target = self.construction_target_km2
        if target is not None and not (
            self.construction_min_km2 <= target <= self.construction_max_km2
        ):
            problems.append(
                f"construction_target_km2={target} must lie in [construction_min_km2, "
                f"construction_max_km2] = [{self.construction_min_km2}, {self.construction_max_km2}]"
            )
        if self.residential_share_target > self.residential_share_max:
            problems.append(
                f"residential_share_target={self.residential_share_target} exceeds "
                f"residential_share_max={self.residential_share_max}; lower the target"
            )
        shares = self.residential_share_target + self.support_share_target + self.road_share_target
        if shares >= 0.9:
            problems.append(
                f"residential + support + road targets sum to {shares:.2f}; leave ≥ 10 % for "
                "industry and services"
            )
        unknown = set(self.services) - set(SERVICE_KEYS)
        missing = set(SERVICE_KEYS) - set(self.services)
        if unknown or missing:
            problems.append(
                f"services: keys must be exactly {sorted(SERVICE_KEYS)}; unknown {sorted(unknown)}, "
                f"missing {sorted(missing)}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def target_km2(self) -> float:
        """Programme construction area, km²."""
        return self.construction_target_km2 or self.construction_max_km2

    def slope_limit(self, use: Use) -> float:
        """Slope limit (%) of a construction use, ``inf`` for others."""
        if use in (Use.INDUSTRY, Use.SUPPORT):
            return self.slope_max_industry_pct
        if use == Use.RESIDENTIAL:
            return self.slope_max_residential_pct
        if use in SERVICE_USES:
            return self.slope_max_public_pct
        if use == Use.ROAD:
            return self.slope_max_road_pct
        return math.inf
