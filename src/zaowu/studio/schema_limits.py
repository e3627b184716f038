"""Bounds on the JSON schemas that structured output compiles into a decoding grammar.

llama.cpp turns a schema into a grammar, and every sampled token is checked against every live
alternative of that grammar inside the decode loop that all requests of a model share. A schema
with thousands of ``enum`` values therefore slows everyone's tokens, not only its sender's (a
3,000-value enum took other users' 4-token chats from 0.3 s to 20 s; 100,000 values hung the
server). These limits keep a schema's grammar small enough that its cost stays with its sender.
They are generous for real use: zaowu's own largest schema (the music plan) has 34 nodes and 204
enum values; measured with SmolLM2 beside a 4-token chat, an enum of 256 values added 0.05 s to the
other chat, 1,000 values 0.3 s.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidRequest

__all__ = ["SchemaLimits", "check_schema_cost"]

PARAM = "response_format.json_schema.schema"


class SchemaLimits:
    max_bytes = 64 * 1024  # the schema as compact JSON
    max_nodes = 2000  # objects and arrays anywhere in the schema
    max_depth = 32  # nesting of objects/arrays
    max_enum_values = 256  # in one enum
    max_enum_total = 512  # all enum values and consts together
    max_enum_value_chars = 500  # one enum value or const, as JSON
    max_pattern_chars = 256  # one regular expression (pattern, patternProperties keys)
    max_patterns = 32


def _refuse(what: str, where: str, limit: int, fix: str) -> InvalidRequest:
    place = f" at {where}" if where else ""
    return InvalidRequest(
        f"The JSON schema is too costly to decode: {what}{place} exceeds the limit of {limit}. {fix}",
        param=PARAM,
        code="schema_too_complex",
    )


def check_schema_cost(schema: Any, limits: type[SchemaLimits] = SchemaLimits) -> None:
    """Raise InvalidRequest (400, param naming the schema) when a schema exceeds a limit."""
    size = len(json.dumps(schema, ensure_ascii=False, separators=(",", ":")))
    if size > limits.max_bytes:
        raise _refuse(f"its size ({size} bytes)", "", limits.max_bytes, "Send a smaller schema.")
    counts = {"nodes": 0, "enum": 0, "patterns": 0}
    stack: list[tuple[Any, str, int]] = [(schema, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        counts["nodes"] += 1
        if counts["nodes"] > limits.max_nodes:
            raise _refuse("the number of schema nodes", "", limits.max_nodes, "Simplify the schema.")
        if depth > limits.max_depth:
            raise _refuse("the nesting depth", where or "(root)", limits.max_depth, "Flatten the schema.")
        if isinstance(node, list):
            stack.extend((v, f"{where}/{i}", depth + 1) for i, v in enumerate(node))
            continue
        _check_keywords(node, where, counts, limits)
        stack.extend((v, f"{where}/{k}", depth + 1) for k, v in node.items())


def _check_keywords(node: dict[str, Any], where: str, counts: dict[str, int], limits: type[SchemaLimits]) -> None:
    values = list(node["enum"]) if isinstance(node.get("enum"), list) else []
    if len(values) > limits.max_enum_values:
        raise _refuse(
            f"an enum of {len(values)} values",
            f"{where}/enum",
            limits.max_enum_values,
            "Use a plain string and check the value afterwards, or split the choice.",
        )
    if "const" in node:
        values.append(node["const"])
    counts["enum"] += len(values)
    if counts["enum"] > limits.max_enum_total:
        raise _refuse(
            "the number of enum and const values", where or "(root)", limits.max_enum_total, "Use fewer fixed values."
        )
    for value in values:
        if len(json.dumps(value, ensure_ascii=False)) > limits.max_enum_value_chars:
            raise _refuse("an enum value's length", f"{where}/enum", limits.max_enum_value_chars, "Shorten it.")
    patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    if isinstance(node.get("patternProperties"), dict):
        patterns.extend(node["patternProperties"])
    for pattern in patterns:
        counts["patterns"] += 1
        if len(pattern) > limits.max_pattern_chars:
            raise _refuse("a pattern's length", f"{where}/pattern", limits.max_pattern_chars, "Use a shorter pattern.")
    if counts["patterns"] > limits.max_patterns:
        raise _refuse("the number of patterns", where or "(root)", limits.max_patterns, "Use fewer patterns.")
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        raise InvalidRequest(
            f"The JSON schema refers to '{ref[:100]}' at {where or '(root)'}; only local references "
            "('#/$defs/...') are allowed, nothing is fetched.",
            param=PARAM,
        )
