"""Declared checks for structured outputs: the ``checks:`` section of a template.

A template that writes a list of variants says what must hold, and code makes it hold or reports
it::

    checks:
      lists:
        - path: slogans            # a top-level array of the output
          text: [text]             # the item fields that make two items "the same" (none: string items)
          count: count             # the variable (or a number) giving how many items were asked for
          distinct: true           # near-duplicates are rewritten, then reported (default true)
          lengths:                 # item field → limit; the text is trimmed there at a boundary
            text: {zh: 16, en: 60}
          require:                 # item field → facts each item must carry, inserted in code where missing
            text:                  # (within the length limit), then re-checked and reported
              - {variable: link}   # a variable's value, copied exactly (nothing required when it is empty)
              - {name: opt-out, text: {zh: [拒收请回复R], en: [Reply STOP to opt out]},
                 accept: {zh: [回T退订], en: [Text STOP]}}   # a fixed text; other wordings that count
      lengths: {title: 20}         # top-level string fields → limit
      hashtags: {path: hashtags, style: tag}   # normalised: no '#', no spaces, no duplicates
                                   # (no path, for a text output: inline tags rewritten to the style)
      items: {marker: "第\\s*\\d+\\s*条", count: count}  # a text output's items, each starting with the marker
      paragraphs: body             # short paragraphs, each opened by an emoji marker
      sections: {empty: {zh: ["- 无"], en: ["- None reported"]}}  # a text output's Markdown heading left empty
                                   # (its invented lines removed, or none written) gets this line, reported
      keep:                        # what a text output must keep from the request, added as lines where missing
        - {variable: when_where, label: {zh: 时间地点, en: When and where}}  # the value, word for word
        - {variable: details, dates: true}   # each day the value names (2月13日, Feb 13), with its clause
      language: true               # the output is in the run's language (default true)
      latin: true                  # Chinese output loses Latin words the input lacks (default: copy categories)
      claims: true                 # absolute/comparative claims not in the variables removed (default true)
      numbers: false               # numbers the variables do not state removed or reported (default false)

A limit is a number of characters, ``{zh: 16, en: 60}`` by language, ``{variable: platform,
values: {taobao: {max: 30, unit: zh_width}, amazon: 200}}`` by an enum variable, or ``{max: 30,
unit: zh_width}`` (Taobao's rule: two Latin letters or digits count as one character).

``polish_output`` applies the rules to a parsed output and returns it with its checks and the list
items worth regenerating; ``narrow_schema`` writes the rules into the request's schema before
generation (the requested count as minItems/maxItems, each checked text given slack past its limit).
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .checks import Check, check_count, check_distinct, check_language
from .claims import Claim, describe_claims, scrub_claims
from .dates import drop_date_echo
from .facts import drop_unsupported_numbers, unsupported_numbers
from .formats import (
    add_emoji_markers,
    fit_text,
    normalize_hashtags,
    restyle_hashtags,
    short_lines,
    short_paragraphs,
)
from .latin import strip_foreign_latin, strip_stray_cjk
from .musts import clause_of, explicit_facts, must_carry
from .redate import date_check, move_dates, recheck, request_periods, stated_days
from .required import Carried, Requirement, SectionRule, carry, check_required, fill_empty_sections
from .text import CJK, trim_to_boundary
from .today import today
from .variants import (
    ANGLES,
    aggregate_checks,
    angle_for,
    differs,
    duplicates_of_others,
    fact_slots,
    slot_choices,
    with_slack,
)

__all__ = [
    "OutputChecks",
    "ListRule",
    "ComposeRule",
    "Cap",
    "polish_output",
    "narrow_schema",
    "measure",
    "compose_duplicates",
]

_NAME = r"^[a-z_][a-z0-9_]*$"
EMOJI_ROOM = 12  # characters kept free for the emoji leads added after the facts are carried
PARAGRAPH_MAX = {"zh": 60, "en": 160}  # characters in one paragraph of a field with `paragraphs`


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Cap(_Strict):
    max: int = Field(ge=1, le=20000)
    unit: Literal["chars", "zh_width"] = "chars"


class ByLanguage(_Strict):
    zh: int | Cap
    en: int | Cap


class ByVariable(_Strict):
    variable: str = Field(pattern=_NAME)
    values: dict[str, int | Cap] = Field(min_length=1)


Limit = int | Cap | ByLanguage | ByVariable


class Pattern(_Strict):
    zh: str = Field(min_length=1, max_length=400)
    en: str = Field(min_length=1, max_length=400)

    def get(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


class ComposeRule(_Strict):
    """How code writes an item when regeneration left it a near-duplicate: each field's pattern filled
    with the variables, ``{facts}`` (distinct phrases of the ``facts`` variables, ``slots`` of them, all
    in order when unset, joined by ``join``), ``{lead}`` and ``{angle}`` (an angle's opening and name)."""

    facts: list[str] = Field(min_length=1)
    slots: int | None = Field(default=None, ge=1, le=6)
    join: Pattern = Pattern(zh="，", en=", ")
    fields: dict[str, Pattern] = Field(min_length=1)


class ListRule(_Strict):
    path: str = Field(pattern=_NAME)
    text: list[str] = Field(default_factory=list)
    count: str | int | None = None
    distinct: bool = True
    lengths: dict[str, Limit] = Field(default_factory=dict)
    max_chars: Limit | None = None  # for a list of strings
    compose: ComposeRule | None = None  # the last resort against near-duplicates (object items only)
    require: dict[str, list[Requirement]] = Field(default_factory=dict)  # item field → facts it must carry


class HashtagRule(_Strict):
    path: str | None = Field(default=None, pattern=_NAME)  # None: the inline tags of a text output
    style: Literal["tag", "weibo"] = "tag"


class TextItems(_Strict):
    """The items of a plain-text output ("第 1 条 …", "Post 2 …"), found by the marker that starts each."""

    marker: str = Field(min_length=1, max_length=200)
    count: str | int | None = None
    distinct: bool = True

    @field_validator("marker")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


class DurationRule(_Strict):
    """Timed items (shots, scenes) whose seconds must add up to the requested length: scaled in code."""

    path: str = Field(pattern=_NAME)  # the array of timed items
    field: str = Field("seconds", pattern=_NAME)  # each item's length in seconds
    total: str | int  # the variable (or a number) giving the requested length in seconds


class KeepRule(_Strict):
    """A variable a text output must keep: its value word for word (added as the line ``label: value`` when
    missing), or with ``dates`` each day the value names (its clause added when the text lacks that day)."""

    variable: str = Field(pattern=_NAME)
    label: Pattern | None = None
    dates: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> KeepRule:
        if (self.label is None) == (not self.dates):
            raise ValueError(f"keep.{self.variable}: give a label (keep the value) or dates: true, not both")
        return self


class OutputChecks(_Strict):
    lists: list[ListRule] = Field(default_factory=list)
    durations: DurationRule | None = None
    lengths: dict[str, Limit] = Field(default_factory=dict)
    hashtags: HashtagRule | None = None
    paragraphs: str | None = Field(default=None, pattern=_NAME)
    items: TextItems | None = None
    sections: SectionRule | None = None  # a text output's Markdown headings left empty get a line
    keep: list[KeepRule] = Field(default_factory=list, max_length=8)  # request details a text output keeps
    language: bool = True
    latin: bool | None = None  # Latin words the input lacks removed from Chinese text (default: copy templates)
    claims: bool = True
    numbers: bool = False

    @property
    def structural(self) -> bool:
        return bool(
            self.lists or self.lengths or (self.hashtags and self.hashtags.path) or self.paragraphs or self.durations
        )

    @model_validator(mode="after")
    def _unique_lists(self) -> OutputChecks:
        paths = [r.path for r in self.lists]
        if len(set(paths)) != len(paths):
            raise ValueError(f"lists: each path once ({paths})")
        return self

    def validate_against(self, schema: dict[str, Any] | None, variables: dict[str, Any]) -> None:
        """Raise ValueError naming the field when a rule points at nothing: a path missing from the
        output schema, a count variable that is not an integer, a limit above the schema's maxLength."""
        if self.structural and schema is None:
            raise ValueError("checks: lists, lengths, hashtags and paragraphs need an output_schema")
        props = (schema or {}).get("properties", {})
        for i, rule in enumerate(self.lists):
            _validate_list(rule, props, variables, f"checks.lists.{i}")
        if self.durations is not None:
            where = "checks.durations"
            if props.get(self.durations.path, {}).get("type") != "array":
                raise ValueError(f"{where}.path: '{self.durations.path}' is not an array of the output schema")
            if isinstance(self.durations.total, str) and self.durations.total not in variables:
                raise ValueError(f"{where}.total: no variable '{self.durations.total}'")
        for name, limit in self.lengths.items():
            _validate_limit(limit, _string(props, name, f"checks.lengths.{name}"), variables, f"checks.lengths.{name}")
        if self.hashtags and self.hashtags.path is None and schema is not None:
            raise ValueError("checks.hashtags.path: name the array of tags in output_schema")
        if self.hashtags and self.hashtags.path:
            tags = props.get(self.hashtags.path)
            if not tags or tags.get("type") != "array" or tags.get("items", {}).get("type") != "string":
                raise ValueError(
                    f"checks.hashtags.path: '{self.hashtags.path}' is not an array of strings in output_schema"
                )
        if self.paragraphs:
            _string(props, self.paragraphs, "checks.paragraphs")
        self._validate_text_rules(schema is None, variables)

    def _validate_text_rules(self, text_output: bool, variables: dict[str, Any]) -> None:
        """The rules only a text (Markdown) output takes: items, sections, keep."""
        if self.items is not None:
            if not text_output:
                raise ValueError("checks.items: only for a text output (a JSON output uses lists)")
            if (
                isinstance(self.items.count, str)
                and getattr(variables.get(self.items.count), "type", None) != "integer"
            ):
                raise ValueError(f"checks.items.count: '{self.items.count}' is not an integer variable")
        if self.sections is not None and not text_output:
            raise ValueError("checks.sections: only for a text (Markdown) output")
        if self.keep and not text_output:
            raise ValueError("checks.keep: only for a text (Markdown) output")
        for i, rule in enumerate(self.keep):
            if rule.variable not in variables:
                raise ValueError(f"checks.keep.{i}.variable: no variable '{rule.variable}'")


def _string(props: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    field = props.get(name)
    if not isinstance(field, dict) or field.get("type") != "string":
        raise ValueError(f"{where}: '{name}' is not a string field of output_schema")
    return field


def _validate_list(rule: ListRule, props: dict[str, Any], variables: dict[str, Any], where: str) -> None:
    array = props.get(rule.path)
    if not isinstance(array, dict) or array.get("type") != "array":
        raise ValueError(f"{where}.path: '{rule.path}' is not an array in output_schema")
    items = array.get("items", {})
    if isinstance(rule.count, str):
        var = variables.get(rule.count)
        if var is None or var.type != "integer":
            raise ValueError(f"{where}.count: '{rule.count}' is not an integer variable")
    if items.get("type") == "string":
        if rule.compose is not None or rule.require:
            raise ValueError(f"{where}: compose and require are only for a list of objects")
        if rule.text or rule.lengths:
            raise ValueError(f"{where}: the items are strings; use max_chars, not text or lengths")
        if rule.max_chars is not None:
            _validate_limit(rule.max_chars, items, variables, f"{where}.max_chars")
        return
    fields = items.get("properties", {})
    if rule.max_chars is not None:
        raise ValueError(f"{where}.max_chars: the items are objects; use lengths")
    if not rule.text:
        raise ValueError(f"{where}.text: name the item fields that hold the text")
    for name in rule.text:
        _string(fields, name, f"{where}.text")
    for name, limit in rule.lengths.items():
        _validate_limit(limit, _string(fields, name, f"{where}.lengths.{name}"), variables, f"{where}.lengths.{name}")
    if rule.compose is not None:
        _validate_compose(rule.compose, fields, variables, f"{where}.compose")
    _validate_require(rule.require, fields, variables, f"{where}.require")


def _validate_require(
    require: dict[str, list[Requirement]], fields: dict[str, Any], variables: dict[str, Any], where: str
) -> None:
    for name, requirements in require.items():
        _string(fields, name, where)
        for k, req in enumerate(requirements):
            if req.variable is not None and req.variable not in variables:
                raise ValueError(f"{where}.{name}.{k}.variable: no variable '{req.variable}'")


def _validate_compose(rule: ComposeRule, fields: dict[str, Any], variables: dict[str, Any], where: str) -> None:
    for name in rule.facts:
        if name not in variables:
            raise ValueError(f"{where}.facts: no variable '{name}'")
    dummy = dict.fromkeys(variables, "x") | {"facts": "x", "lead": "x", "angle": "x"}
    for name, pattern in rule.fields.items():
        _string(fields, name, f"{where}.fields")
        for text in (pattern.zh, pattern.en):
            try:
                text.format_map(dummy)
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"{where}.fields.{name}: '{text}' names no variable, facts, lead or angle ({exc})"
                ) from None


def _caps(limit: Limit) -> list[Cap]:
    if isinstance(limit, int):
        return [Cap(max=limit)]
    if isinstance(limit, Cap):
        return [limit]
    values = [limit.zh, limit.en] if isinstance(limit, ByLanguage) else list(limit.values.values())
    return [v if isinstance(v, Cap) else Cap(max=v) for v in values]


def _validate_limit(limit: Limit, field: dict[str, Any], variables: dict[str, Any], where: str) -> None:
    if isinstance(limit, ByVariable):
        var = variables.get(limit.variable)
        if var is None or var.type != "enum":
            raise ValueError(f"{where}.variable: '{limit.variable}' is not an enum variable")
        unknown = set(limit.values) - {c.value for c in var.choices}
        if unknown:
            raise ValueError(f"{where}.values: {sorted(unknown)} are not choices of '{limit.variable}'")
    schema_max = field.get("maxLength")
    for cap in _caps(limit):
        if schema_max is not None and cap.max > schema_max:
            raise ValueError(f"{where}: the limit {cap.max} is above the schema's maxLength {schema_max}")


# ---------------------------------------------------------------- resolving limits and counts


def resolve_limit(limit: Limit | None, language: str, values: dict[str, Any]) -> Cap | None:
    if limit is None:
        return None
    if isinstance(limit, ByLanguage):
        limit = limit.zh if language == "zh" else limit.en
    elif isinstance(limit, ByVariable):
        limit = limit.values.get(str(values.get(limit.variable)))  # type: ignore[assignment]
        if limit is None:
            return None
    return limit if isinstance(limit, Cap) else Cap(max=int(limit))  # type: ignore[arg-type]


def measure(text: str, unit: str = "chars") -> int:
    """Length in the limit's unit: characters, or Taobao's width (CJK and full-width 1, others ½)."""
    if unit == "chars":
        return len(text)
    return math.ceil(sum(1 if CJK.match(c) or ord(c) > 0xFF00 else 0.5 for c in text))


def _char_limit(text: str, cap: Cap) -> int:
    """The most characters of ``text`` that fit the cap."""
    if cap.unit == "chars":
        return cap.max
    width, n = 0.0, 0
    for c in text:
        width += 1 if CJK.match(c) or ord(c) > 0xFF00 else 0.5
        if math.ceil(width) > cap.max:
            break
        n += 1
    return n


def expected_count(rule: ListRule | TextItems, values: dict[str, Any]) -> int | None:
    if isinstance(rule.count, int):
        return rule.count
    if isinstance(rule.count, str) and isinstance(values.get(rule.count), int):
        return values[rule.count]
    return None


def narrow_schema(
    checks: OutputChecks, schema: dict[str, Any], language: str, values: dict[str, Any]
) -> dict[str, Any]:
    """The request's schema: each checked list holds exactly the requested count (within the schema's own
    bounds) and each checked text gets slack past its limit, so the grammar never cuts it mid-word."""
    schema = copy.deepcopy(schema)
    props = schema.get("properties", {})
    for rule in checks.lists:
        array = props[rule.path]
        count = expected_count(rule, values)
        if count is not None:
            low, high = array.get("minItems", 0), array.get("maxItems", count)
            array["minItems"] = array["maxItems"] = max(low, min(high, count))
        items = array.get("items", {})
        if items.get("type") == "string":
            _slack(items, resolve_limit(rule.max_chars, language, values))
        for name, limit in rule.lengths.items():
            _slack(items["properties"][name], resolve_limit(limit, language, values))
    for name, limit in checks.lengths.items():
        _slack(props[name], resolve_limit(limit, language, values))
    return schema


def _slack(field: dict[str, Any], cap: Cap | None) -> None:
    if cap is not None:
        field["maxLength"] = with_slack(cap.max * (2 if cap.unit == "zh_width" else 1))


# ---------------------------------------------------------------- applying the rules


class _Run:
    """One polish pass: the changes it made and what it found."""

    def __init__(self, checks: OutputChecks, language: str, facts: str, values: dict[str, Any]):
        self.rules, self.language, self.facts, self.values = checks, language, facts, values
        self.claims: list[Claim] = []
        self.kept_claims: list[str] = []
        self.removed: list[str] = []
        self.left: list[str] = []
        self.lengths: list[Check] = []
        self.latin: list[str] = []  # Latin words removed from Chinese text
        self.periods = request_periods(facts, today())  # the dates the request names
        self.moved: list[str] = []  # dates moved into the requested period
        self.dates_left: list[str] = []  # dates still outside it after the repair

    def text(self, value: str, schema: dict[str, Any]) -> str:
        """Claims and invented numbers out of one free-text string, never below its minLength and
        never past its maxLength (a rewrite such as "best" → "great" can lengthen a text)."""
        if "enum" in schema or "const" in schema:
            return value
        minimum = schema.get("minLength", 0)
        echo = drop_date_echo(value)
        value = echo if len(echo) >= minimum else value
        if self.rules.claims:
            cleaned, found = scrub_claims(value, self.facts)
            if found and schema.get("maxLength") and len(cleaned) > schema["maxLength"]:
                cleaned = trim_to_boundary(cleaned, schema["maxLength"])
            if found and len(cleaned) >= minimum:
                value = cleaned
                self.claims += found
            elif found:
                self.kept_claims += [c.text for c in found]
        if self.rules.language and self.language == "en":
            stray = strip_stray_cjk(value, self.facts)
            if len(stray.text) >= minimum:
                value = stray.text
                self.latin += stray.removed
        if self.rules.language and self.rules.latin and self.language == "zh":
            latin = strip_foreign_latin(value, self.facts)
            if len(latin.text) >= minimum:
                value = latin.text
                self.latin += latin.removed
        if self.periods:
            moved = move_dates(value, self.periods)
            value, self.moved = moved.text, self.moved + moved.moved
            self.dates_left += recheck(value, self.periods)
        if self.rules.numbers:
            fix = drop_unsupported_numbers(value, self.facts)
            if len(fix.text) >= minimum:
                value = fix.text
                self.removed += fix.removed
                self.left += fix.left
            else:
                self.left += fix.left or fix.removed
        return value

    def walk(self, value: Any, schema: dict[str, Any]) -> Any:
        kind = schema.get("type")
        if isinstance(value, str) and kind == "string":
            return self.text(value, schema)
        if isinstance(value, list) and kind == "array":
            return [self.walk(v, schema.get("items", {})) for v in value]
        if isinstance(value, dict) and kind == "object":
            props = schema.get("properties", {})
            return {k: self.walk(v, props.get(k, {})) for k, v in value.items()}
        return value

    def fit(self, value: str, limit: Limit | None, name: str, schema: dict[str, Any]) -> str:
        cap = resolve_limit(limit, self.language, self.values)
        if cap is None or not isinstance(value, str):
            return value
        fit = fit_text(value, _char_limit(value, cap))
        ok = fit.boundary and measure(fit.text, cap.unit) <= cap.max and len(fit.text) >= schema.get("minLength", 0)
        unit = "" if cap.unit == "chars" else " (Taobao width)"
        detail = fit.describe(cap.max, len(value)) + unit
        self.lengths.append(Check(name=f"length.{name}", ok=ok, detail=detail))
        return fit.text if len(fit.text) >= schema.get("minLength", 0) else value


def _item_text(item: Any, rule: ListRule) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return "\n".join(str(item.get(f) or "") for f in rule.text)
    return ""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def polish_output(
    checks: OutputChecks,
    output: Any,
    schema: dict[str, Any] | None,
    *,
    language: str,
    facts: str,
    values: dict[str, Any],
) -> tuple[Any, list[Check], dict[str, list[int]]]:
    """Apply the rules to a parsed output (or plain text when ``schema`` is None).

    Returns the repaired output, its checks, and per checked list the indices worth regenerating
    (near-duplicates, texts that could not be trimmed at a boundary)."""
    run = _Run(checks, language, facts, values)
    if schema is None or not isinstance(output, (dict, str)):
        if not isinstance(output, str):
            return output, _summary(run, output, []), {}
        output = run.text(output, {})
        if checks.hashtags and checks.hashtags.path is None:
            output = restyle_hashtags(output, checks.hashtags.style)
        output, sections = _sections(checks.sections, output, language)
        output, kept = keep_details(checks.keep, output, language, values)
        return output, _summary(run, output, [*_text_items(checks.items, output, values), *sections, *kept]), {}
    output = run.walk(copy.deepcopy(output), schema)
    props = schema.get("properties", {})
    if isinstance(output, dict):
        _fields(run, output, props)
    list_checks, redo = _lists(run, output, props) if isinstance(output, dict) else ([], {})
    return output, _summary(run, output, list_checks), redo


def fit_durations(lengths: list[float], target: float) -> list[int]:
    """Whole seconds, each at least 1, in the given proportions, adding up to ``target`` exactly
    (equal parts when no length is given)."""
    n = len(lengths)
    if not n or target < n:
        return [max(1, round(x)) for x in lengths]
    total = sum(x for x in lengths if x > 0)
    shares = [x / total if total and x > 0 else 1 / n for x in lengths]
    out = [max(1, round(share * target)) for share in shares]
    while sum(out) != target:  # rounding: the longest item absorbs the difference
        i = max(range(n), key=lambda k: out[k])
        step = 1 if sum(out) < target else -1
        if out[i] + step < 1:
            break
        out[i] += step
    return out


def _durations(run: _Run, output: dict[str, Any]) -> None:
    rule = run.rules.durations
    items = output.get(rule.path) if rule else None
    if rule is None or not isinstance(items, list) or not items:
        return
    try:
        target = int(float(run.values.get(rule.total, rule.total) if isinstance(rule.total, str) else rule.total))
    except (TypeError, ValueError):
        return
    timed = [i for i in items if isinstance(i, dict)]
    lengths = []
    for item in timed:
        try:
            lengths.append(max(0.0, float(item.get(rule.field) or 0)))
        except (TypeError, ValueError):
            lengths.append(0.0)
    before = sum(lengths)
    fitted = fit_durations(lengths, target)
    for item, seconds in zip(timed, fitted):
        item[rule.field] = seconds
    ok = sum(fitted) == target
    detail = f"{len(timed)} {rule.path} add up to {sum(fitted)} s of {target} s"
    if ok and abs(before - target) > 1e-6:
        detail = f"repaired: {before:g} s scaled to {target} s; " + detail
    run.lengths.append(Check(name=f"duration.{rule.path}", ok=ok, detail=detail))


def _carry_facts(run: _Run, text: str, schema: dict[str, Any]) -> str:
    """``text`` with the request's promo codes and first figure (``musts``) inserted where missing."""
    wanted = must_carry(explicit_facts(run.facts), run.language)
    if not wanted or not text.strip():
        return text
    cap = schema.get("maxLength")
    carried = carry(text, wanted, run.language, run.values, lambda t: not cap or len(t) <= cap - EMOJI_ROOM)
    missing = [m for m in carried.missing if m != "length"]
    parts = [f"added {carried.added}" if carried.added else "", f"missing {missing}" if missing else ""]
    detail = "; ".join(p for p in parts if p) or "the request's codes and figures are all there"
    run.lengths.append(Check(name="facts.required", ok=not missing, detail=detail))
    return carried.text


def _fields(run: _Run, output: dict[str, Any], props: dict[str, Any]) -> None:
    rules = run.rules
    _durations(run, output)
    if rules.paragraphs and isinstance(output.get(rules.paragraphs), str):
        output[rules.paragraphs] = _carry_facts(run, output[rules.paragraphs], props.get(rules.paragraphs, {}))
        output[rules.paragraphs] = short_lines(
            add_emoji_markers(short_paragraphs(output[rules.paragraphs], PARAGRAPH_MAX[run.language]))
        )
    for name, limit in rules.lengths.items():
        if isinstance(output.get(name), str):
            output[name] = run.fit(output[name], limit, name, props.get(name, {}))
    if rules.hashtags and isinstance(output.get(rules.hashtags.path), list):
        tag_schema = props.get(rules.hashtags.path, {})
        high = tag_schema.get("maxItems")
        max_chars = tag_schema.get("items", {}).get("maxLength", 20)
        tags = normalize_hashtags(output[rules.hashtags.path], max_count=high, max_chars=max_chars)
        low = tag_schema.get("minItems", 0)
        if len(tags) < low:  # duplicates dropped: fill with the facts' own short phrases
            phrases = [p for p in re.split(r"[\n，,;；。.、]", run.facts) if p.strip()]
            tags = normalize_hashtags([*tags, *phrases], max_count=high, max_chars=max_chars)
        run.lengths.append(
            Check(
                name="format.hashtags",
                ok=len(tags) >= low,
                detail=f"{len(tags)} hashtags, shown as {'#话题#' if rules.hashtags.style == 'weibo' else '#tag'}",
            )
        )
        if len(tags) >= low:
            output[rules.hashtags.path] = tags


def _lists(run: _Run, output: dict[str, Any], props: dict[str, Any]) -> tuple[list[Check], dict[str, list[int]]]:
    out: list[Check] = []
    redo: dict[str, list[int]] = {}
    for rule in run.rules.lists:
        items = output.get(rule.path)
        if not isinstance(items, list):
            out.append(Check(name=f"count.{rule.path}", ok=False, detail=f"no '{rule.path}' in the output"))
            continue
        item_schema = props.get(rule.path, {}).get("items", {})
        broken = set()
        for i, item in enumerate(items):
            before = len(run.lengths)
            if isinstance(item, str):
                items[i] = run.fit(item, rule.max_chars, rule.path, item_schema)
            elif isinstance(item, dict):
                for name, limit in rule.lengths.items():
                    if isinstance(item.get(name), str):
                        item[name] = run.fit(
                            item[name], limit, f"{rule.path}.{name}", item_schema.get("properties", {}).get(name, {})
                        )
            if any(not c.ok for c in run.lengths[before:]):
                broken.add(i)
        out += _require(run, rule, items)
        expected = expected_count(rule, run.values)
        if expected is not None:
            out.append(check_count(rule.path, len(items), expected))
        texts = [_item_text(item, rule) for item in items]
        if run.rules.numbers:  # an invented number its clause could not lose: worth another try
            broken |= {i for i, t in enumerate(texts) if unsupported_numbers(t, run.facts)}
        if rule.distinct:
            out.append(check_distinct(rule.path, texts))
            broken |= duplicates_of_others(texts)
        if broken:
            redo[rule.path] = sorted(broken)
    return out, redo


def _require(run: _Run, rule: ListRule, items: list[Any]) -> list[Check]:
    """The facts each item's fields must carry, inserted where missing: one check per field."""
    out = []
    for name, requirements in rule.require.items():
        cap = resolve_limit(rule.lengths.get(name), run.language, run.values)

        def fits(text: str, cap: Cap | None = cap) -> bool:
            return cap is None or measure(text, cap.unit) <= cap.max

        results: list[Carried] = []
        for item in items:
            if isinstance(item, dict) and isinstance(item.get(name), str):
                result = carry(item[name], requirements, run.language, run.values, fits)
                item[name] = result.text
                results.append(result)
        out.append(check_required(rule.path, name, results))
    return out


def _sections(rule: SectionRule | None, text: str, language: str) -> tuple[str, list[Check]]:
    """Markdown headings left with nothing under them get the rule's line, and are reported."""
    if rule is None:
        return text, []
    placeholder = rule.empty.get(language)[0]
    text, filled = fill_empty_sections(text, placeholder)
    detail = f"nothing left under {filled}: each given '{placeholder}'" if filled else "every section has content"
    return text, [Check(name="sections", ok=True, detail=detail)]


_LOOSE = re.compile(r"[\s*_`>#]+")
_COLON = {"zh": "：", "en": ": "}


def _loose(text: str) -> str:
    """Text compared without spacing, Markdown emphasis or case."""
    return _LOOSE.sub("", text).casefold()


def keep_details(rules: list[KeepRule], text: str, language: str, values: dict[str, Any]) -> tuple[str, list[Check]]:
    """``text`` with what each rule keeps added where missing, as lines before a closing ``---`` block (or at
    the end), and one check per rule: what was there, what was added."""
    lines: list[str] = []
    checks = []
    for rule in rules:
        value = _plain(values.get(rule.variable)).strip()
        if not value:
            continue
        name = f"keep.{rule.variable}"
        if rule.label is not None:
            if _loose(value) in _loose(text):
                checks.append(Check(name=name, ok=True, detail="written as given"))
                continue
            lines.append(f"- **{rule.label.get(language)}**{_COLON[language]}{value}")
            checks.append(Check(name=name, ok=True, detail=f"repaired: added the line '{lines[-1]}'"))
            continue
        written = {day for day, _ in stated_days(text)}
        clauses = []
        for day, (start, end) in stated_days(value):
            if day not in written:
                written.add(day)
                clause = clause_of(value, start, end)
                if _loose(clause) not in {_loose(c) for c in clauses}:
                    clauses.append(clause)
        lines += [f"- {c}" for c in clauses]
        detail = f"repaired: added {clauses}" if clauses else "every day the request names is written"
        checks.append(Check(name=name, ok=True, detail=detail))
    if not lines:
        return text, checks
    block = "\n".join(lines)
    closing = re.search(r"\n\s*(?:---|\*\*\*)\s*\n(?![\s\S]*\n\s*(?:---|\*\*\*)\s*\n)", text)
    if closing:
        return f"{text[: closing.start()].rstrip()}\n\n{block}\n\n{text[closing.start() :].lstrip()}", checks
    return f"{text.rstrip()}\n\n{block}\n", checks


def _text_items(rule: TextItems | None, text: str, values: dict[str, Any]) -> list[Check]:
    if rule is None:
        return []
    marker = re.compile(rf"^[ \t>#*]*(?:{rule.marker})", re.MULTILINE)
    starts = [m.start() for m in marker.finditer(text)]
    items = [text[s:e].strip() for s, e in zip(starts, [*starts[1:], len(text)])]
    items = [marker.sub("", item, count=1).strip() for item in items]
    out = []
    expected = expected_count(rule, values)
    if expected is not None:
        out.append(check_count("items", len(items), expected))
    if rule.distinct:
        out.append(check_distinct("items", items))
    return out


def _summary(run: _Run, output: Any, list_checks: list[Check]) -> list[Check]:
    checks = list(list_checks)
    by_name: dict[str, list[Check]] = {}
    for c in run.lengths:
        by_name.setdefault(c.name, []).append(c)
    for found in by_name.values():
        checks += aggregate_checks([[c] for c in found], label="item") if len(found) > 1 else found
    rules = run.rules
    if rules.language:
        language = check_language("output", "\n".join(_strings(output)), run.language, allow=run.facts)
        if run.latin:
            foreign = "Chinese" if run.language == "en" else "Latin"
            language.detail = f"removed {foreign} words not in the input: {run.latin}; {language.detail}"
        checks.append(language)
    if rules.claims:
        detail = describe_claims(run.claims) if run.claims else "none found"
        if run.kept_claims:
            detail += f"; kept (removing them would empty the field): {run.kept_claims}"
        checks.append(Check(name="claims", ok=not run.kept_claims, detail=detail))
    if rules.numbers:
        parts = [f"removed {run.removed}" if run.removed else "", f"not in the input: {run.left}" if run.left else ""]
        checks.append(
            Check(name="facts.numbers", ok=not run.left, detail="; ".join(p for p in parts if p) or "none invented")
        )
    if run.periods:
        checks.append(date_check(run.periods, run.moved, run.dates_left))
    return checks


# ---------------------------------------------------------------- composed variants, the last resort


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return "" if value is None else str(value)


def _fits(item: dict[str, Any], rule: ListRule, language: str, values: dict[str, Any]) -> bool:
    for name, limit in rule.lengths.items():
        cap = resolve_limit(limit, language, values)
        if cap is not None and measure(str(item.get(name) or ""), cap.unit) > cap.max:
            return False
    return True


def _compositions(rule: ListRule, index: int, count: int, language: str, values: dict[str, Any]):
    """Items for position ``index`` built from the rule's patterns: fact subsets starting at a slot of
    their own first, then each angle's lead."""
    comp = rule.compose
    assert comp is not None
    slots = fact_slots(*(_plain(values.get(name)) for name in comp.facts))
    mapping = {name: _plain(value) for name, value in values.items()}
    for round_ in range(len(ANGLES)):
        angle = angle_for(index, round_, count)
        for chosen in slot_choices(slots, comp.slots, index):
            fill = mapping | {
                "facts": comp.join.get(language).join(chosen),
                "lead": angle.lead(language),
                "angle": angle.name(language),
            }
            item = {
                name: re.sub(r"\s{2,}", " ", pattern.get(language).format_map(fill)).strip()
                for name, pattern in comp.fields.items()
            }
            if _fits(item, rule, language, values):
                yield item


def compose_duplicates(checks: OutputChecks, output: Any, *, language: str, values: dict[str, Any]) -> list[Check]:
    """Replace each item that is still a near-duplicate of an earlier one by an item composed from the
    input's facts (lists with a ``compose`` rule; ``output`` changed in place), never a duplicate of the
    others; one ``repair.<path>`` check per list that needed it."""
    out: list[Check] = []
    if not isinstance(output, dict):
        return out
    for rule in checks.lists:
        items = output.get(rule.path)
        if rule.compose is None or not rule.distinct or not isinstance(items, list):
            continue
        texts = [_item_text(item, rule) for item in items]
        dups = sorted(duplicates_of_others(texts))
        if not dups:
            continue
        done, left = [], []
        for i in dups:
            for candidate in _compositions(rule, i, len(items), language, values):
                text = _item_text(candidate, rule)
                if differs(text, texts, i):
                    base = items[i] if isinstance(items[i], dict) else {}
                    items[i], texts[i] = {**base, **candidate}, text
                    done.append(i + 1)
                    break
            else:
                left.append(i + 1)
        parts = [
            f"{rule.path} {done} composed from the input's facts" if done else "",
            f"{rule.path} {left}: no composition differs enough" if left else "",
        ]
        out.append(
            Check(
                name=f"repair.{rule.path}",
                ok=not left,
                detail="near-duplicates after regeneration; " + "; ".join(p for p in parts if p),
            )
        )
    return out
