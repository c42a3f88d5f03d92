"""Reading a portfolio: the template, CSV and XLSX, and one clear message per bad row."""

from __future__ import annotations

import pandas as pd
import pytest

from xiaozhen.errors import ConfigError, InputDataError
from xiaozhen.monitor import (
    PORTFOLIO_COLUMNS,
    AssessmentRules,
    load_rules,
    portfolio_from_bytes,
    portfolio_from_frame,
    read_portfolio,
    write_portfolio_template,
)

from .conftest import frame, portfolio


def test_template_round_trip_csv_and_xlsx(tmp_path):
    for name in ("t.csv", "t.xlsx"):
        path = write_portfolio_template(tmp_path / name)
        # the example rows are refused until replaced
        with pytest.raises(
            InputDataError, match=r"row 2 \(示例小镇 \(example\), 2015\): this is an example row"
        ):
            read_portfolio(path)
        table = (
            pd.read_excel(path, sheet_name="portfolio")
            if name.endswith("xlsx")
            else pd.read_csv(path)
        )
        assert list(table.columns) == [c.name for c in PORTFOLIO_COLUMNS]
        table["provenance"] = "reported"
        fixed = tmp_path / f"fixed-{name}"
        if name.endswith("xlsx"):
            table.to_excel(fixed, sheet_name="portfolio", index=False)
        else:
            table.to_csv(fixed, index=False)
        parsed = read_portfolio(fixed)
        assert list(parsed.towns.index) == ["EXAMPLE-1"]
        assert parsed.towns.loc["EXAMPLE-1", "county"] == "德清县"
        assert parsed.years == (2015, 2016)
        assert parsed.reports["fai_total_bn_yuan"].tolist() == pytest.approx([1.2, 1.9])
    docs = pd.read_csv(tmp_path / "t.columns.csv")
    assert "fai_total_bn_yuan" in set(docs["column"])
    assert set(pd.read_excel(tmp_path / "t.xlsx", sheet_name=None)) == {"portfolio", "columns"}
    with pytest.raises(ConfigError, match="exists; pass --force"):
        write_portfolio_template(tmp_path / "t.csv")
    with pytest.raises(ConfigError, match=r"use a \.csv or \.xlsx"):
        write_portfolio_template(tmp_path / "t.json")


def test_every_bad_row_gets_one_message_with_its_row_number():
    table = frame(
        {"year": 2015, "fai_total_bn_yuan": 1.0},  # row 2: fine
        {"year": 2016, "fai_total_bn_yuan": -3, "county": "德青县"},  # row 3: two problems
        {"year": None},  # row 4: missing year
        {"year": 2016, "tier": "cultivation", "town_id": "T1"},  # row 5: T1 in two tiers in 2016
        {"town_id": "T2", "year": 2016, "industry": "digtal"},  # row 6
        {"town_id": "T3", "year": 2016, "tier": "pilot", "fai_total_bn_yuan": "abc"},  # row 7
        {"town_id": "T4", "year": 2014},  # row 8: before creation (2015)
        {"town_id": "T5", "year": 2016, "fai_total_bn_yuan": 1, "fai_characteristic_bn_yuan": 2},
    )
    with pytest.raises(InputDataError) as info:
        portfolio_from_frame(table, source="towns.csv")
    text = str(info.value)
    lines = text.splitlines()
    assert lines[0] == "towns.csv: 7 bad row(s); nothing was graded or written:"
    assert (
        lines[1].strip().startswith("row 3 (测试装备小镇, 2016): negative fai_total_bn_yuan (-3)")
    )
    assert "unknown county '德青县' (did you mean 德清县, 330521?)" in lines[1]
    assert "row 4 (测试装备小镇): missing year" in text
    assert (
        "row 5 (测试装备小镇, 2016): the town is in two tiers in 2016: creation on row 3 and cultivation here"
        in text
    )
    assert "row 6 (测试装备小镇, 2016): unknown industry 'digtal' (did you mean 'digital'?)" in text
    assert "row 7" in text
    assert "unknown tier 'pilot'" in text
    assert "fai_total_bn_yuan is not a number ('abc')" in text
    assert "row 8 (测试装备小镇, 2014): year 2014 is before the creation year 2015" in text
    assert "row 9" in text
    assert "fai_characteristic_bn_yuan is larger than fai_total_bn_yuan" in text
    assert "row 2 " not in text


def test_a_town_keeps_its_county_industry_and_creation_year():
    table = frame({"year": 2015}, {"year": 2016, "county": "330110", "creation_year": 2016})
    with pytest.raises(
        InputDataError, match=r"row 3 .*county '330110' differs from '330521' on row 2"
    ):
        portfolio_from_frame(table)
    dup = frame({"year": 2015}, {"year": 2015})
    with pytest.raises(InputDataError, match=r"row 3 .*second row for 2015 \(first on row 2\)"):
        portfolio_from_frame(dup)


def test_header_problems_are_named_with_the_fix():
    table = frame({"year": 2015}).rename(columns={"visitors": "visitor"}).drop(columns=["year"])
    with pytest.raises(
        InputDataError, match=r"unknown column 'visitor'; did you mean 'visitors'\?"
    ) as info:
        portfolio_from_frame(table)
    assert "missing column(s) year; start from `xiaozhen monitor template FILE`" in str(info.value)


def test_counties_by_adcode_name_or_short_name_and_chinese_tiers():
    parsed = portfolio(
        {"town_id": "A", "year": 2015, "county": "景宁县", "tier": "创建"},
        {"town_id": "B", "year": 2015, "county": "德清"},
        {"town_id": "C", "year": 2015, "county": 330127, "tier": "培育"},
        {"town_id": "D", "year": 2015, "county": "余杭区", "tier": "命名"},
    )
    assert parsed.towns["adcode"].to_dict() == {
        "A": "331127",
        "B": "330521",
        "C": "330127",
        "D": "330110",
    }
    assert parsed.reports.set_index("town_id")["tier"].to_dict() == {
        "A": "creation", "B": "creation", "C": "cultivation", "D": "named"
    }  # fmt: skip
    assert parsed.provenance == "reported"


def test_blank_cells_are_not_reported_and_blank_rows_are_skipped():
    table = pd.concat([frame({"year": 2015}), pd.DataFrame([{}]), frame({"year": 2016})])
    parsed = portfolio_from_frame(table)
    assert parsed.years == (2015, 2016)
    assert parsed.reports["visitors"].isna().all()


def test_uploaded_bytes_and_unreadable_files(tmp_path):
    data = frame({"year": 2015, "fai_total_bn_yuan": 1.0}).to_csv(index=False).encode("utf-8-sig")
    assert portfolio_from_bytes(data, filename="up.csv").reports["fai_total_bn_yuan"].iat[0] == 1.0
    with pytest.raises(InputDataError, match=r"up\.xlsx: not a readable XLSX workbook"):
        portfolio_from_bytes(b"not a zip", filename="up.xlsx")
    with pytest.raises(InputDataError, match=r"unknown file type \.json; use \.csv or \.xlsx"):
        portfolio_from_bytes(data, filename="up.json")
    with pytest.raises(
        InputDataError, match="not found; write one from `xiaozhen monitor template"
    ):
        read_portfolio(tmp_path / "none.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(c.name for c in PORTFOLIO_COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="no rows"):
        read_portfolio(empty)


def test_rules_defaults_cite_the_brief_and_bad_rules_are_explained(tmp_path):
    rules = AssessmentRules()
    assert (rules.target_bn_yuan, rules.target_relaxed_bn_yuan) == (5.0, 3.0)
    assert (rules.quota_reward_share, rules.quota_reward_share_priority) == (0.5, 0.6)
    assert (rules.fiscal_return_full_years, rules.fiscal_return_half_years) == (3, 2)
    assert rules.double_clawback is False
    assert len(rules.less_developed_adcodes()) == 26
    assert "BRIEF §4.1" in AssessmentRules.model_fields["target_bn_yuan"].description
    with pytest.raises(ValueError, match="excellent_min ≥ good_min ≥ pass_min ≥ warning_min"):
        AssessmentRules(bands={"good_min": 95})
    with pytest.raises(ValueError, match="every criterion has 0 points"):
        AssessmentRules(points=dict.fromkeys(type(AssessmentRules().points).model_fields, 0))
    bad = tmp_path / "rules.toml"
    bad.write_text('double_clawbak = true\nvisitors_min = "many"\n[bands]\npass_min = 120\n')
    with pytest.raises(ConfigError) as info:
        load_rules(bad)
    text = str(info.value)
    assert "3 problem(s)" in text
    assert "double_clawbak: unknown key; did you mean 'double_clawback'?" in text
    assert "visitors_min" in text
    assert "bands.pass_min" in text
    good = tmp_path / "good.toml"
    good.write_text("double_clawback = true\n[bands]\nexcellent_min = 85\n")
    loaded = load_rules(good)
    assert loaded.double_clawback
    assert loaded.bands.excellent_min == 85
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(tmp_path / "missing.toml")
