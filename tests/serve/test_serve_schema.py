"""Property-based API test: schemathesis generates requests from the OpenAPI spec and checks that
no endpoint errors (5xx) and every response matches its documented status code and schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from xiaozhen.scenario import Scenario  # noqa: E402
from xiaozhen.serve import ServeSettings, create_app  # noqa: E402

from .conftest import FAKE_STAGES, write_fake_run  # noqa: E402

_RUNS = Path(tempfile.mkdtemp(prefix="xiaozhen-schemathesis-"))
write_fake_run(Scenario(name="seeded"), _RUNS / "seeded", lambda name: None)
app = create_app(
    ServeSettings(runs_dir=_RUNS, runner=write_fake_run, stage_names=FAKE_STAGES, max_queued=2)
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schemathesis.serializer("application/toml")
def _toml(ctx, value):  # generated strings are sent as the raw TOML text
    return value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")


@schemathesis.serializer("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def _xlsx(ctx, value):  # generated portfolio uploads go as raw bytes (non-workbooks get a 400)
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


#: Checks left out, and why:
#: - positive_data_acceptance: a scenario has cross-field rules (e.g. construction_min_km2 <=
#:   construction_max_km2, the service keys of a design) that JSON schema cannot express, so
#:   schema-valid bodies are rightly refused with 422 and every problem listed;
EXCLUDED = (schemathesis.checks.positive_data_acceptance,)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_spec(case):
    case.call_and_validate(excluded_checks=EXCLUDED)
