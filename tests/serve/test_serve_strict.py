"""The web API's request model refuses wrong types at any depth, naming the dotted path."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from xiaozhen.serve.models import JobRequest


def test_job_request_refuses_a_nested_boolean_number():
    with pytest.raises(
        ValidationError,
        match=r"scenario\.design\.weights\.compact_per_edge\n.*expected a number, received True",
    ):
        JobRequest.model_validate({"scenario": {"design": {"weights": {"compact_per_edge": True}}}})


def test_job_request_refuses_unknown_keys():
    with pytest.raises(ValidationError, match=r"scenaro\n.*Extra inputs are not permitted"):
        JobRequest.model_validate({"scenaro": {}})


def test_posting_wrong_types_gives_422_with_every_path(make_client):
    client = make_client()
    response = client.post(
        "/api/jobs",
        json={
            "scenario": {
                "layout": {"frontier_shares": [0.0, "0.2"], "n_towns": 12.5},
                "policy": {"hukou_priority": 1},
            }
        },
    )
    assert response.status_code == 422
    text = "\n".join(response.json()["problems"])
    assert "body.scenario.layout.frontier_shares.1: expected a number, received '0.2'" in text
    assert "body.scenario.layout.n_towns: expected a whole number, received 12.5" in text
    assert "body.scenario.policy.hukou_priority: expected true or false, received 1" in text
    checked = client.post("/api/scenario/check", json={"design": {"weights": {"jobs_max_m": True}}})
    assert checked.json()["problems"] == [
        "design.weights.jobs_max_m: expected a number, received True (a boolean); "
        "write a number such as 1.0 (true/false are for on/off switches)"
    ]
