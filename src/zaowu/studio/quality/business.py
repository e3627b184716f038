"""Sanity rules for the numbers of a business plan, with the repairs code can make.

``review_business_plan(plan, idea=…, budget=…, currency=…)`` checks the 8-part plan's first-year
costs and prices:

- a software business (SaaS, app, platform, 小程序/软件/平台) budgets hosting/cloud and API or
  third-party services, a web shop or booking page at least hosting: a missing line is added with an
  estimated amount and flagged ``added`` (``costs.required``);
- the same cost item listed twice with different amounts is a contradiction: the first amount is
  kept (``costs.duplicates``);
- a price stated per unit ("$30 per repair", "每杯 15 元", "客单价 25 元") must be the same wherever
  the plan states it: later mentions are set to the first (``prices.agree``);
- a total cost the text states equals the sum of the cost lines (``costs.total``); every line has an
  amount, and the total stays within the budget given (``costs.budget``, reported; the app may ask
  the model once more for the cost lines), using at least a fifth of it (a few dollars is no estimate).
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from .checks import CheckList
from .claims import scrub_claims_in

__all__ = ["ADDED_SHARES", "TEXT_FIELDS", "is_software", "parse_amount", "review_business_plan"]

TEXT_FIELDS = ("pitch", "target_users", "value_proposition", "revenue_and_costs", "key_activities", "risks")
ADDED_SHARES = {"hosting": 0.06, "third_party": 0.04}  # an added line's estimate, as a share of the other costs
MIN_ADDED = {"¥": 1000.0, "$": 200.0, "€": 200.0, "£": 200.0}  # and at least this much
BUDGET_SLACK = 1.0  # the total may reach the budget, not pass it
MIN_BUDGET_USE = 0.2  # a first-year total under this share of the budget is not a real estimate

_SOFTWARE = re.compile(
    r"\bsaas\b|software|(?<![a-z])apps?(?![a-z])|mobile\s+app|\bapis?\b|web\s*app|online\s+tool|"
    r"(?<![a-z])ai(?![a-z])|plug-?in|chatbot|小程序|软件|应用程序|云服务|在线工具|人工智能|开发",
    re.IGNORECASE,
)
_WEB = re.compile(
    r"website|web\s*(?:site|page|shop|store)|online\s+(?:store|shop|booking|ordering)|e-?commerce|"
    r"网站|网店|电商|官网|在线预约|线上商城|小程序",
    re.IGNORECASE,
)
_HOSTING = re.compile(
    r"host|cloud|server|aws|azure|gcp|aliyun|vercel|heroku|infrastructure|\bcdn\b|domain|"
    r"托管|服务器|云|带宽|域名|主机|基础设施",
    re.IGNORECASE,
)
_THIRD_PARTY = re.compile(
    r"\bapis?\b|third[- ]party|3rd[- ]party|subscriptions?|licen[cs]es?|saas\s+(?:tools?|services?)|"
    r"software\s+(?:tools?|services?|licen[cs]es?)|tools?\b|"
    r"payment|stripe|\bsms\b|openai|\bllm\b|接口|第三方|订阅|授权|许可|短信|支付|工具|软件",
    re.IGNORECASE,
)
_ADDED_NAMES = {
    "hosting": ("Cloud hosting and servers", "云服务器与托管"),
    "third_party": ("APIs and third-party services", "API 与第三方服务"),
}

# a price per unit: "$30 per repair", "$25/month", "15元/杯", "每杯15元", "客单价25元"
_EN_PRICE = re.compile(
    r"([$€£¥])\s?(\d[\d,]*(?:\.\d+)?)(?!\s*(?:-|–|to)\s*[$€£¥]?\d)\s*(?:/\s*|\s+(?:per|a|an|each)\s+)"
    r"([a-z]+)",
    re.IGNORECASE,
)
_ZH_UNITS = r"杯|份|次|件|单|个|月|年|小时|人|位|套|瓶|盒|节|课|天|周|张|本"
_ZH_PRICE_AFTER = re.compile(
    rf"(?<![\d.\-~])(\d+(?:\.\d+)?)(?!\s*[-~～到至]\s*\d)\s*(?:元|块)\s*(?:/|每|一)\s*({_ZH_UNITS})"
)
_ZH_PRICE_BEFORE = re.compile(
    rf"(?:每|一)({_ZH_UNITS})\s*(?:约|只要|仅|为|是)?\s*(?:¥|￥)?\s*(\d+(?:\.\d+)?)(?!\s*[-~～到至]\s*\d)"
    r"\s*(?:元|块)"
)
_ZH_NAMED = re.compile(
    r"(客单价|单价|均价|月费|年费|会员费|定价|售价|人均消费|人均)\s*(?:为|是|约|在|:|：)?\s*(?:¥|￥)?\s*"
    r"(\d+(?:\.\d+)?)(?!\s*[-~～到至]\s*\d)\s*(?:元|块)?"
)
_UNIT_ALIASES = {"mo": "month", "months": "month", "yr": "year", "hr": "hour", "hrs": "hour", "hours": "hour"}
_STATED_TOTAL = re.compile(
    r"(?:total|overall)\s+(?:first[- ]year\s+)?(?:costs?|expenses?|spend(?:ing)?|investment)"
    r"(?:\s+(?:of|is|are|at|about|around|:))*\s*([$€£¥]?\s?\d[\d,]*(?:\.\d+)?\s*(?:k|万)?)|"
    r"(?:总成本|总费用|总投入|费用合计|成本合计|合计费用|第一年费用)\s*(?:为|是|约|共|:|：)?\s*"
    r"((?:¥|￥)?\s*\d[\d,]*(?:\.\d+)?\s*(?:万)?\s*元?)",
    re.IGNORECASE,
)


def parse_amount(text: str | None) -> float | None:
    """'$20,000' → 20000, '15 万元' → 150000, '20k' → 20000, '¥50,000' → 50000; None when no amount."""
    if not text:
        return None
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(万|千|k|m)?", text.replace(" ", ""), re.IGNORECASE)
    if not m:
        return None
    value = float(m[1].replace(",", ""))
    return value * {"万": 1e4, "千": 1e3, "k": 1e3, "m": 1e6}.get((m[2] or "").lower(), 1)


def is_software(idea: str) -> bool:
    return bool(_SOFTWARE.search(idea))


def _costs(plan: dict) -> list[dict]:
    costs = [c for c in plan.get("first_year_costs") or [] if isinstance(c, dict)]
    plan["first_year_costs"] = costs
    return costs


def _amount(cost: dict) -> float:
    try:
        value = float(cost.get("amount") or 0)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _key(name: Any) -> str:
    return re.sub(r"[\s\W_]+", "", str(name).casefold())


def _dedupe(plan: dict, checks: CheckList) -> None:
    seen: dict[str, dict] = {}
    kept, notes, contradictions = [], [], []
    for cost in _costs(plan):
        key = _key(cost.get("item", ""))
        if key in seen:
            first = seen[key]
            if abs(_amount(first) - _amount(cost)) > 0.005:
                contradictions.append(f"'{cost.get('item')}' {_amount(first):,.0f} and {_amount(cost):,.0f}")
            else:
                notes.append(f"'{cost.get('item')}' listed twice")
            continue
        seen[key] = cost
        kept.append(cost)
    plan["first_year_costs"] = kept
    if contradictions:
        checks.add(
            "costs.duplicates", True, "repaired: contradicting amounts, the first kept: " + "; ".join(contradictions)
        )
    elif notes:
        checks.add("costs.duplicates", True, "repaired: " + "; ".join(notes))
    else:
        checks.add("costs.duplicates", True, "each cost item listed once")


def _required(plan: dict, idea: str, language: str, currency: str, checks: CheckList) -> None:
    text = " ".join([idea, str(plan.get("pitch") or "")])
    needs = ["hosting", "third_party"] if is_software(text) else ["hosting"] if _WEB.search(text) else []
    if not needs:
        return
    costs = _costs(plan)
    names = " ".join(str(c.get("item", "")) for c in costs)
    base = sum(_amount(c) for c in costs)
    added = []
    for need in needs:
        if (_HOSTING if need == "hosting" else _THIRD_PARTY).search(names):
            continue
        estimate = max(MIN_ADDED.get(currency, 200.0), round(base * ADDED_SHARES[need], -2 if currency == "¥" else -1))
        item = _ADDED_NAMES[need][1 if language == "zh" else 0]
        costs.append({"item": item, "amount": float(estimate), "added": True})
        added.append(f"{item} ≈ {currency}{estimate:,.0f} (estimate: review it)")
    kind = "software" if len(needs) == 2 else "web"
    detail = (
        f"repaired: added {'; '.join(added)}"
        if added
        else f"a {kind} business: hosting" + (" and third-party services budgeted" if len(needs) == 2 else " budgeted")
    )
    checks.add("costs.required", True, detail)


def _price_mentions(text: str) -> list[tuple[str, float, int, int]]:
    """(unit, value, start, end of the number) for each price per unit in ``text``."""
    out = []
    for m in _EN_PRICE.finditer(text):
        unit = m[3].lower()
        unit = _UNIT_ALIASES.get(unit, unit[:-1] if unit.endswith("s") and len(unit) > 3 else unit)
        out.append((f"{m[1]}/{unit}", float(m[2].replace(",", "")), m.start(2), m.end(2)))
    for m in _ZH_PRICE_AFTER.finditer(text):
        out.append((f"元/{m[2]}", float(m[1]), m.start(1), m.end(1)))
    for m in _ZH_PRICE_BEFORE.finditer(text):
        out.append((f"元/{m[1]}", float(m[2]), m.start(2), m.end(2)))
    for m in _ZH_NAMED.finditer(text):
        out.append((m[1], float(m[2]), m.start(2), m.end(2)))
    return out


def _format_number(value: float, like: str) -> str:
    if "," in like:
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return f"{value:g}"


def _prices(plan: dict, checks: CheckList) -> None:
    first: dict[str, tuple[float, str]] = {}
    changed = []
    for field in TEXT_FIELDS:
        text = plan.get(field)
        if not isinstance(text, str):
            continue
        mentions = _price_mentions(text)
        local = {unit for unit, *_ in mentions}
        tiers = {unit for unit in local if len({v for u, v, *_ in mentions if u == unit}) > 1}
        edits = []
        for unit, value, start, end in mentions:  # prices differing within one part are tiers, not contradictions
            if unit in tiers:
                continue
            if unit in first and first[unit][1] != field and abs(first[unit][0] - value) > 0.005:
                edits.append((start, end, _format_number(first[unit][0], text[start:end])))
                changed.append(f"{unit} {value:g} in {field} (first stated {first[unit][0]:g} in {first[unit][1]})")
        for unit, value, *_ in mentions:
            if unit in local and unit not in first:
                first[unit] = (value, field)
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        plan[field] = text
    detail = (
        f"repaired: set to the first price stated: {'; '.join(changed)}"
        if changed
        else f"{len(first)} prices per unit, each stated once or alike"
        if first
        else "no price per unit stated"
    )
    checks.add("prices.agree", True, detail)


def _round_amount(value: float) -> float:
    step = 100 if value >= 1000 else 10 if value >= 100 else 1
    return float(max(step, round(value / step) * step))


def _fit_budget(costs: list[dict], limit: float | None, budget: str | None) -> str | None:
    """Scale the cost lines to the budget the user gave when they exceed it (their proportions
    kept, rounded); what was done, in words, or None."""
    total = sum(_amount(c) for c in costs)
    if not limit or total <= limit * BUDGET_SLACK or total <= 0:
        return None
    factor = limit * 0.95 / total
    for cost in costs:
        if _amount(cost) > 0:  # a line without an amount stays without one (reported by costs.amounts)
            cost["amount"] = _round_amount(_amount(cost) * factor)
    while sum(_amount(c) for c in costs) > limit and any(_amount(c) > 1 for c in costs):
        biggest = max(costs, key=_amount)
        biggest["amount"] = _round_amount(_amount(biggest) * 0.95)
    return f"scaled from {total:,.0f} by {factor:.2f} to fit the budget {budget}"


def _totals(plan: dict, budget: str | None, currency: str, checks: CheckList) -> None:
    costs = _costs(plan)
    scaled = _fit_budget(costs, parse_amount(budget), budget)
    total = sum(_amount(c) for c in costs)
    empty = [str(c.get("item")) for c in costs if _amount(c) <= 0]
    checks.add(
        "costs.amounts",
        bool(costs) and not empty,
        f"no amount for {', '.join(empty)}" if empty else f"{len(costs)} cost lines, each with an amount",
    )
    stated = []
    for field in TEXT_FIELDS:
        text = plan.get(field)
        if not isinstance(text, str):
            continue
        edits = []
        for m in _STATED_TOTAL.finditer(text):
            group = 1 if m[1] else 2
            value = parse_amount(m[group])
            if value is not None and total and abs(value - total) > max(1.0, total * 0.01):
                stated.append(f"{field} said {m[group].strip()}")
                edits.append((m.start(group), m.end(group), f"{currency}{total:,.0f}"))
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + (" " if text[end - 1 : end] == " " else "") + text[end:]
        plan[field] = text
    detail = f"the {len(costs)} cost lines add up to {currency}{total:,.0f}"
    checks.add("costs.total", True, f"repaired: {'; '.join(stated)}; now {detail}" if stated else detail)
    limit = parse_amount(budget)
    if limit:
        over, under = total > limit * BUDGET_SLACK, total < limit * MIN_BUDGET_USE
        checks.add(
            "costs.budget",
            not over and not under,
            ("repaired: " + scaled + "; " if scaled else "")
            + f"first-year costs {currency}{total:,.0f} "
            + (
                f"exceed the budget {budget}"
                if over
                else f"use under {MIN_BUDGET_USE:.0%} of the budget {budget}"
                if under
                else f"within the budget {budget}"
            ),
        )


def _claims(plan: dict, idea: str, checks: CheckList) -> None:
    """Absolute and comparative claims the idea does not state, rewritten in every text of the plan."""
    found = [c.text for c in scrub_claims_in(plan, idea)]
    checks.add(
        "claims",
        True,
        f"repaired: rewrote {', '.join(repr(f) for f in found[:8])}"
        if found
        else "no unsupported absolute or comparative claims",
    )


def review_business_plan(
    plan: dict, *, idea: str, budget: str | None = None, language: str = "en", currency: str = "$"
) -> tuple[dict, CheckList]:
    """The plan with its costs and prices repaired where code can, and the checks that ran."""
    plan, checks = copy.deepcopy(plan), CheckList()
    _dedupe(plan, checks)
    _required(plan, idea, language, currency, checks)
    _prices(plan, checks)
    _totals(plan, budget, currency, checks)
    _claims(plan, idea, checks)
    return plan, checks
