"""``zaowu safety events``: the safety filter's log (what it refused, warned about, logged or cut), and
``zaowu safety policy KEY``: a key's policy, for every category or per category."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from ..errors import InvalidRequest


def _when(value: str | None, option: str) -> float | None:
    """Unix seconds from seconds or an ISO date/time (UTC unless it says otherwise)."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            f"{option} '{value[:40]}' is neither Unix seconds nor an ISO date (2026-12-01 or 2026-12-01T10:00).",
            param=option.lstrip("-"),
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


@click.group()
def safety() -> None:
    """The safety filter: its events and the keys' policies."""


@safety.command("events")
@click.option("--since", help="from this time (Unix seconds or ISO date/time, UTC)")
@click.option("--until", help="before this time (Unix seconds or ISO date/time, UTC)")
@click.option("--key", help="one key's events (name or id)")
@click.option("--category", help="one category (e.g. violence)")
@click.option("--action", type=click.Choice(["refused", "warned", "logged", "cut"]))
@click.option("-n", "--limit", default=50, show_default=True, help="events per page (at most 500)")
@click.option("--before", type=int, help="events older than this event id (the next page)")
@click.option("--json", "as_json", is_flag=True, help="the page as JSON (with has_more and next_before)")
@click.pass_obj
def events(state, since, until, key, category, action, limit, before, as_json) -> None:
    """Newest first; the last line names the option for the next page."""
    page = state.studio().safety_events(
        since=_when(since, "--since"),
        until=_when(until, "--until"),
        key=key,
        category=category,
        action=action,
        limit=limit,
        before=before,
    )
    if as_json:
        click.echo(json.dumps(page, ensure_ascii=False, indent=2))
        return
    for e in page["data"]:
        at = datetime.fromtimestamp(e["at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"{e['id']:>6}  {at}  {e['action']:<7} {e['category']:<14} {e['param'] or '-':<24} "
            f"{e['caller'] or '-':<16} {e['key_id'] or 'local':<22} {e['term']}"
        )
    if page["has_more"]:
        click.echo(f"(more: --before {page['next_before']})", err=True)


def _policy(default: str | None, categories: tuple[str, ...]) -> str | dict[str, str] | None:
    """``--default`` and ``--category CAT=POLICY`` options as the policy KeyStore takes."""
    named = {}
    for item in categories:
        category, sep, policy = item.partition("=")
        if not sep or not category.strip():
            raise InvalidRequest(f"--category '{item[:40]}' should read CATEGORY=POLICY (violence=warn).", "category")
        named[category.strip()] = policy.strip()
    if not named:
        return default
    return {**named, **({"*": default} if default else {})}


@safety.command("policy")
@click.argument("key")
@click.option("--default", "default", type=click.Choice(["block", "warn", "log"]), help="every other category")
@click.option("--category", "categories", multiple=True, help="CATEGORY=block|warn|log (repeatable)")
@click.pass_obj
def policy(state, key, default, categories) -> None:
    """Set KEY's policy (without options: back to the safety_policy setting)."""
    row = state.studio().keys.set_safety(key, _policy(default, categories))
    shown = {**(row.get("safety_categories") or {}), "*": row.get("safety") or "(setting)"}
    click.echo(f"{row['name']}: " + ", ".join(f"{c}={p}" for c, p in shown.items()))
