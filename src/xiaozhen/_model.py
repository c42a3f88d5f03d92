"""The frozen pydantic base of every configuration model (scenario sections, policy, design rules).

Pydantic's lax mode turns ``true`` into ``1.0`` for a number field; a scenario that says
``quota_reward_share = true`` is a mistake, so booleans are refused wherever a number is expected
(found by the schemathesis test of the web API).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def _wants_number_not_bool(annotation: Any) -> bool:
    """Whether a field annotation admits int or float but not bool (``float``, ``float | None``)."""
    if annotation is bool:
        return False
    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        return bool not in args and any(a in (int, float) for a in args)
    return False


class FrozenModel(BaseModel):
    """Frozen, no unknown keys, and no booleans where numbers belong."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                value = data.get(field.alias or name, data.get(name))
                if isinstance(value, bool) and _wants_number_not_bool(field.annotation):
                    raise ValueError(
                        f"{name} must be a number, got {value!r} (a boolean); write e.g. "
                        f"{name} = {field.default!r}"
                    )
        return data
