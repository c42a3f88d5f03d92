"""The strict pydantic base of every configuration model, and one way to explain its errors.

Pydantic's lax mode reads ``true`` as ``1.0``, ``"3"`` as ``3`` and ``3.0`` as ``3``; in a scenario
TOML or a JSON request each of those is a mistake that would silently change a plan. Every model of
the package (scenario sections, policy, model parameters, design rules, import config, sweep file,
web requests) inherits :class:`StrictModel` or :class:`FrozenModel`, which

* refuse booleans and strings for ``int`` / ``float`` fields, floats for ``int`` fields and anything
  but ``true`` / ``false`` for ``bool`` fields — at any nesting depth, inside nested models, lists,
  tuples and dicts (every number leaf of the model's own schema is guarded);
* refuse NaN and ±infinity unless a field says ``Field(allow_inf_nan=True)``;
* refuse unknown keys.

Everything else stays lax on purpose: a TOML or JSON list fills a ``tuple`` field, a string a
``Path`` field. numpy numbers (``np.int64``, ``np.float32``) pass, so code can build models from
arrays. Each refusal carries what was expected, what was received and the fix in its message;
:func:`validation_problems` adds the full dotted path (``design.weights.compact_per_edge``), a
did-you-mean for unknown keys and the allowed range, one line per problem.
"""

from __future__ import annotations

import difflib
import math
import numbers
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, core_schema

__all__ = ["FrozenModel", "StrictModel", "dotted_path", "validation_problems"]

_CONTAINERS = (dict, tuple, list, set, frozenset)

#: Core-schema keys whose values are data, not schemas (never rewritten).
_DATA_KEYS = frozenset({"metadata", "serialization", "default", "expected", "cls", "ref"})


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, numbers.Integral):
        return "a whole number"
    if isinstance(value, numbers.Real):
        return "a number"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing"
    return f"a {type(value).__name__}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _refuse(kind: str, value: Any, expected: str, fix: str) -> PydanticCustomError:
    return PydanticCustomError(
        kind,
        "expected {expected}, received {received} ({what}); {fix}",
        {"expected": expected, "received": _shown(value), "what": _kind(value), "fix": fix},
    )


def _number_fix(value: Any) -> str:
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return "write a number such as 0.5"
        return f"write it without quotes: {value.strip()}"
    if isinstance(value, bool):
        return "write a number such as 1.0 (true/false are for on/off switches)"
    return "write a single number such as 0.5"


def _guard_float(allow_inf_nan: bool) -> Callable[[Any], Any]:
    def guard(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise _refuse("float_type", value, "a number", _number_fix(value))
        if not allow_inf_nan and not math.isfinite(value):
            raise _refuse(
                "finite_number",
                value,
                "a finite number",
                "NaN and infinity are not allowed here; write a finite number",
            )
        return value

    return guard


def _guard_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            fix = f"write it without a decimal point: {int(value)}"
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            fix = "write a whole number such as 3"
        else:
            fix = _number_fix(value).replace("0.5", "3").replace("1.0", "3")
        raise _refuse("int_type", value, "a whole number", fix)
    return value


def _guard_bool(value: Any) -> Any:
    if not isinstance(value, bool) and type(value).__name__ != "bool_":  # numpy's bool passes
        raise _refuse("bool_type", value, "true or false", "write true or false, without quotes")
    return value


def _guarded(node: Any, allow_inf_nan: bool) -> Any:
    """``node`` (a core schema) with every int / float / bool leaf behind its guard."""
    if isinstance(node, list):
        return [_guarded(item, allow_inf_nan) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "float":
        allowed = node.get("allow_inf_nan", allow_inf_nan)
        return core_schema.no_info_before_validator_function(_guard_float(allowed), node)
    if kind == "int":
        return core_schema.no_info_before_validator_function(_guard_int, node)
    if kind == "bool":
        return core_schema.no_info_before_validator_function(_guard_bool, node)
    return {k: v if k in _DATA_KEYS else _guarded(v, allow_inf_nan) for k, v in node.items()}


class StrictModel(BaseModel):
    """No unknown keys, no NaN or infinity, and numbers, whole numbers and booleans only where
    they belong (see the module docstring). Use for models that are built and then changed."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        schema = handler(source)
        guarded: core_schema.CoreSchema = _guarded(
            schema, bool(cls.model_config.get("allow_inf_nan", False))
        )
        return guarded


class FrozenModel(StrictModel):
    """A :class:`StrictModel` that cannot be changed once built (every configuration model)."""

    model_config = ConfigDict(frozen=True)


# ------------------------------------------------------------------------- explaining errors
def dotted_path(loc: Sequence[int | str]) -> str:
    """``('design', 'weights', 'compact_per_edge')`` → ``design.weights.compact_per_edge``;
    list positions in brackets (``layout.frontier_shares[2]``)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _strip_optional(annotation: Any) -> Any:
    """The type a path can step into: ``Annotated`` and ``None`` removed, a union's model or
    container member preferred."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _strip_optional(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [_strip_optional(a) for a in typing.get_args(annotation) if a is not type(None)]
        for member in members:
            if (isinstance(member, type) and issubclass(member, BaseModel)) or typing.get_origin(
                member
            ) in _CONTAINERS:
                return member
        return members[0] if members else annotation
    return annotation


def _constraints(annotation: Any) -> list[Any]:
    """The constraints an ``Annotated[float, Field(ge=...)]`` item type carries."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return []
    found: list[Any] = []
    for extra in typing.get_args(annotation)[1:]:
        found += extra.metadata if isinstance(extra, FieldInfo) else [extra]
    return found


def _locate(
    root: type[BaseModel], loc: Sequence[int | str]
) -> tuple[type[BaseModel] | None, list[Any]]:
    """The model holding the last key of ``loc``, and the constraints of the value it names
    (a field's, or a list item type's)."""
    annotation: Any = root
    model: type[BaseModel] | None = None
    constraints: list[Any] = []
    for part in loc:
        annotation = _strip_optional(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model, field = annotation, annotation.model_fields.get(str(part))
            if field is None:
                return model, []
            annotation, constraints = field.annotation, list(field.metadata)
        elif origin is dict:
            annotation = typing.get_args(annotation)[1]
            constraints = _constraints(annotation)
        elif origin in _CONTAINERS[1:]:
            annotation = typing.get_args(annotation)[0]
            constraints = _constraints(annotation)
        else:
            break
    return model, constraints


def _range_of(constraints: Sequence[Any]) -> str:
    parts = []
    for item in constraints:
        if isinstance(item, Ge):
            parts.append(f"≥ {item.ge}")
        elif isinstance(item, Gt):
            parts.append(f"> {item.gt}")
        elif isinstance(item, Le):
            parts.append(f"≤ {item.le}")
        elif isinstance(item, Lt):
            parts.append(f"< {item.lt}")
    return " and ".join(parts)


def _did_you_mean(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if not allowed:
        return "; remove it"
    shown = ", ".join(sorted(allowed)[:30])
    return f"; allowed keys: {shown}" + (" …" if len(allowed) > 30 else "")


_RANGE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_TABLE = "write a table: a [section] in TOML, an object in JSON"
#: The fix of pydantic's own type errors that the guards do not raise.
_FIXES = {
    "string_type": "write it in quotes",
    "tuple_type": "write a list in square brackets",
    "list_type": "write a list in square brackets",
    "dict_type": _TABLE,
    "model_type": _TABLE,
    "model_attributes_type": _TABLE,
}


def validation_problems(
    exc: ValidationError, model: type[BaseModel], *, prefix: str = ""
) -> list[str]:
    """One line per error of ``exc`` (raised by ``model``): the dotted path, what is wrong, what
    was received, and the fix.

    Parameters
    ----------
    exc
        The error pydantic raised while validating ``model``.
    model
        The model that was validated (used for did-you-mean and allowed ranges).
    prefix
        Dotted path of ``model`` inside a larger file (``"base"`` for a sweep's base scenario).
    """
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = dotted_path(((prefix,) if prefix else ()) + loc)
        kind, received = err["type"], err.get("input")
        holder, constraints = _locate(model, loc)
        if kind == "extra_forbidden":
            allowed = list(holder.model_fields) if holder is not None and loc else []
            problems.append(f"{where}: unknown key{_did_you_mean(str(loc[-1]), allowed)}")
        elif kind == "missing":
            problems.append(f"{where}: required key is missing; add it")
        elif kind in _RANGE_ERRORS:
            allowed_range = _range_of(constraints)
            fix = f"; use a value {allowed_range}" if allowed_range else ""
            problems.append(f"{where}: {err['msg']} (received {_shown(received)}){fix}")
        elif kind in ("float_type", "int_type", "bool_type", "finite_number") and "received" in (
            err.get("ctx") or {}
        ):
            problems.append(f"{where}: {err['msg']}")  # our guards name received value and fix
        elif kind == "value_error":
            problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        else:
            shown = "" if isinstance(received, dict) else f" (received {_shown(received)})"
            fix = f"; {_FIXES[kind]}" if kind in _FIXES else ""
            problems.append(f"{where}: {err['msg']}{shown}{fix}")
    return problems
