"""The report's sections, one per stage, each built from that stage's value (nothing is read).

``region_section``, ``assess_section``, ``position_section``, ``layout_section``,
``county_section``, ``simulate_section``, ``overview_section`` and ``monitor_section`` (the
programme office's annual assessment) return a
:class:`~xiaozhen.report.ReportSection`; figures that the run folder also keeps carry their
``path``.
"""

from __future__ import annotations

from xiaozhen.report.sections.assess import assess_section, position_section
from xiaozhen.report.sections.county import county_section, designs_table, sitings_table
from xiaozhen.report.sections.layout import layout_section
from xiaozhen.report.sections.monitor import grade_layer, monitor_report, monitor_section
from xiaozhen.report.sections.overview import overview_section
from xiaozhen.report.sections.region import region_section
from xiaozhen.report.sections.simulate import KEY_INDICATORS, simulate_section

__all__ = [
    "KEY_INDICATORS",
    "assess_section",
    "county_section",
    "designs_table",
    "grade_layer",
    "layout_section",
    "monitor_report",
    "monitor_section",
    "overview_section",
    "position_section",
    "region_section",
    "simulate_section",
    "sitings_table",
]
