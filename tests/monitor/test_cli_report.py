"""``xiaozhen monitor`` end to end: template, grade, the folder it writes, and its report."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from xiaozhen.cli import main
from xiaozhen.monitor import AssessmentRules, example_portfolio, grade_portfolio
from xiaozhen.report.sections import monitor_report, monitor_section

from .conftest import frame


def _exit_code(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code or 0)


def test_template_then_grade_a_reported_portfolio(tmp_path, capsys):
    template = tmp_path / "portfolio.xlsx"
    main(["monitor", "template", str(template)])
    table = pd.read_excel(template, sheet_name="portfolio")
    table["provenance"] = "reported"
    table.to_excel(template, sheet_name="portfolio", index=False)
    out = tmp_path / "out"
    main(["monitor", "grade", str(template), "--year", "2016", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "1 towns assessed for 2016 (indicators reported)" in printed
    for name in ("grades.csv", "consequences.csv", "distribution.csv", "trends.csv",
                 "grades.gpkg", "map_grades.png", "distribution.png", "report.html",
                 "portfolio.csv", "rules.json", "manifest.json"):  # fmt: skip
        assert (out / name).is_file(), name
    grades = pd.read_csv(out / "grades.csv")
    assert grades["year"].tolist() == [2015, 2016]  # the history for the trends
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "monitor"
    assert manifest["year"] == 2016
    assert "grades.csv" in manifest["outputs_sha256"]
    # a second run does not replace the folder without --force
    assert _exit_code(["monitor", "grade", str(template), "--out", str(out)]) == 2
    assert "exists already; pass --force" in capsys.readouterr().err


def test_a_bad_portfolio_exits_2_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    frame({"year": 2015, "fai_total_bn_yuan": -1}).to_csv(bad, index=False)
    out = tmp_path / "never"
    assert _exit_code(["monitor", "grade", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "row 2 (测试装备小镇, 2015): negative fai_total_bn_yuan (-1)" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temporary folder left behind
    assert _exit_code(["monitor", "grade", "--out", str(out)]) == 2
    assert "give exactly one of PORTFOLIO, --from-run RUN or --example" in capsys.readouterr().err


def test_the_example_with_the_clawback_switch(tmp_path, capsys):
    out = tmp_path / "ex"
    main(
        ["monitor", "grade", "--example", "--year", "2018", "--double-clawback", "--out", str(out)]
    )
    assert "37 towns assessed for 2018 (indicators simulated)" in capsys.readouterr().out
    rules = json.loads((out / "rules.json").read_text(encoding="utf-8"))
    assert rules["double_clawback"] is True
    trends = pd.read_csv(out / "trends.csv", index_col=0)
    assert trends.index.tolist() == [2015, 2016, 2017, 2018]
    assert (trends.sum(axis=1) <= 37).all()
    written = tmp_path / "example.csv"
    main(["monitor", "example", str(written)])
    assert set(pd.read_csv(written)["provenance"]) == {"simulated"}


def test_the_report_section_of_an_assessment(counties):
    result = grade_portfolio(example_portfolio(), AssessmentRules(), 2018)
    section = monitor_section(result, counties)
    assert section.id == "monitor"
    assert {f.path for f in section.figures} == {"map_grades.png", "distribution.png"}
    assert all(f.png.startswith(b"\x89PNG") for f in section.figures)
    layers = section.maps[0].layers
    assert len(layers[1].geojson["features"]) == 37
    legend = dict(layers[1].legend.entries).values()
    assert set(legend) <= {
        "excellent",
        "good",
        "pass",
        "warning",
        "demoted",
        "eliminated",
        "not_assessed",
    }
    assert section.warnings
    assert "SIMULATED" in section.warnings[0]
    assert len(section.charts) == 1  # four years graded: the trend chart
    distribution = section.tables[0]
    assert distribution.columns[:4] == ("tier", "grade", "grade_zh", "towns")
    html = monitor_report(result, section)
    assert "优秀" in html
    assert "降格" in html
    assert "<svg" in html
