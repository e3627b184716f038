"""``zaowu jobs …``, ``zaowu worker``, ``zaowu artifacts …`` and ``zaowu keys …``."""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

import click

from ..errors import InvalidRequest
from ..studio.jobs import FINAL_STATES


def _ts(t: float | None) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S") if t else "-"


def _bar(fraction: float, width: int = 30) -> str:
    return "#" * int(fraction * width) + "-" * (width - int(fraction * width))


def _wait(studio, job_id: str, quiet: bool = False) -> dict:
    """Follow a job with a progress bar until it ends."""
    while True:
        job = studio.jobs.get(job_id)
        if not quiet:
            msg = (job["message"] or job["state"])[:40]
            click.echo(f"\r[{_bar(job['progress'])}] {job['progress']:4.0%} {msg:<40}", nl=False, err=True)
        if job["state"] in FINAL_STATES:
            if not quiet:
                click.echo("", err=True)
            return job
        time.sleep(0.25)


def _finish(job: dict) -> None:
    if job["state"] == "succeeded":
        click.echo(json.dumps(job["result"], ensure_ascii=False, indent=2))
        return
    raise click.ClickException(f"job {job['id']} {job['state']}" + (f": {job['error']}" if job["error"] else ""))


@click.group()
def jobs() -> None:
    """Long-running work: submit, follow, cancel. Jobs survive restarts."""


@jobs.command()
@click.argument("kind")
@click.argument("request", required=False)
@click.option("--priority", type=int, default=0, help="-100..100, higher first")
@click.option("--wait", "wait_", is_flag=True, help="run it here and wait (no server needed)")
@click.pass_obj
def submit(state, kind: str, request: str | None, priority: int, wait_: bool) -> None:
    """Queue a job of KIND with REQUEST as JSON (or JSON on stdin)."""
    raw = request if request is not None else ("" if sys.stdin.isatty() else sys.stdin.read())
    try:
        body = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"REQUEST is not valid JSON: {exc}", param="request") from None
    studio = state.studio()
    job = studio.jobs.submit(kind, body, priority=priority, caller=_user())
    click.echo(job["id"], err=wait_)
    if wait_:
        studio.start_workers(1)
        _finish(_wait(studio, job["id"]))


def _user() -> str:
    from .text import _user as user

    return user()


@jobs.command("list")
@click.option("--state", "job_state", type=click.Choice(["queued", "running", "succeeded", "failed", "cancelled"]))
@click.option("--kind")
@click.option("-n", "--limit", default=20, show_default=True)
@click.pass_obj
def list_(state, job_state, kind, limit) -> None:
    """Most recent jobs first."""
    for j in state.studio().jobs.list(limit=limit, state=job_state, kind=kind):
        click.echo(
            f"{j['id']}  {_ts(j['created_at'])}  {j['kind']:<12} {j['state']:<10} {j['progress']:4.0%}  "
            f"p{j['priority']:<4} {(j['error'] or j['message'] or '')[:50]}"
        )


@jobs.command()
@click.argument("job_id")
@click.option("--events", is_flag=True, help="also print the job's events")
@click.pass_obj
def show(state, job_id: str, events: bool) -> None:
    """One job as JSON."""
    studio = state.studio()
    job = studio.jobs.get(job_id)
    if events:
        job["events"] = studio.jobs.events(job_id)
    click.echo(json.dumps(job, ensure_ascii=False, indent=2, default=str))


@jobs.command()
@click.argument("job_id")
@click.pass_obj
def cancel(state, job_id: str) -> None:
    """Cancel a queued or running job."""
    job = state.studio().jobs.cancel(job_id)
    click.echo(f"{job_id}: {job['state']}" + (" (stopping)" if job["state"] == "running" else ""))


@jobs.command()
@click.argument("job_id")
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.pass_obj
def wait(state, job_id: str, quiet: bool) -> None:
    """Follow a job with a progress bar; print its result, or fail with its error."""
    _finish(_wait(state.studio(), job_id, quiet))


def _names(value: str | None) -> list[str] | None:
    """'image, video' -> ['image', 'video']; None or blank -> None (all)."""
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    return names or None


def _stop_on_sigterm() -> None:
    """SIGTERM (a service manager, a container stop) stops the worker like Ctrl-C: jobs go back to the queue."""

    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@click.command()
@click.option("--threads", type=int, help="worker threads (default: the job_workers setting)")
@click.option("--kinds", help="serve only these job kinds, comma-separated (e.g. image,video on a GPU host)")
@click.option("--groups", help="serve only these concurrency groups (a name also serves its 'name:…' groups)")
@click.option("--name", help="this worker's name in the jobs table (default: host:pid)")
@click.pass_obj
def worker(state, threads: int | None, kinds: str | None, groups: str | None, name: str | None) -> None:
    """Run queued jobs from the shared database until interrupted (a separate worker process, on any host
    with the database URL)."""
    import logging

    studio = state.studio()
    logging.basicConfig(level=studio.settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        studio.artifacts.blobs.check()  # a worker that cannot store its outputs does not start
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    _stop_on_sigterm()
    pool = studio.start_workers(threads, kinds=_names(kinds), groups=_names(groups), name=name)
    from sqlalchemy.engine import make_url

    where = make_url(studio.settings.db_url).render_as_string(hide_password=True)
    serves = f"kinds {','.join(pool.kinds or ['all'])}; groups {','.join(pool.groups or ['all'])}"
    click.echo(f"worker {pool.name} running {pool.threads} thread(s) on {where} ({serves}); Ctrl-C stops", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopping; running jobs go back to the queue", err=True)


@click.group()
def artifacts() -> None:
    """Generated files, stored by content hash."""


@artifacts.command("list")
@click.option("--job", "job_id")
@click.option("-n", "--limit", default=20, show_default=True)
@click.pass_obj
def artifacts_list(state, job_id, limit) -> None:
    for a in state.studio().artifacts.list(job_id=job_id, limit=limit):
        click.echo(f"{a['id']}  {_ts(a['created_at'])}  {a['mime']:<28} {a['size_bytes']:>10}  {a['name'] or ''}")


@artifacts.command("get")
@click.argument("artifact_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="file (default: stdout)")
@click.pass_obj
def artifacts_get(state, artifact_id, output) -> None:
    """Write an artifact's bytes to a file or stdout."""
    data = state.studio().artifacts.read(artifact_id)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
        click.echo(f"wrote {len(data)} bytes to {output}", err=True)


@artifacts.command("prune")
@click.pass_obj
def artifacts_prune(state) -> None:
    """Delete expired artifacts (see the artifact_retention_days setting)."""
    rows, files = state.studio().artifacts.prune()
    click.echo(f"pruned {rows} artifact record(s) and {files} file(s)")


@click.group()
def keys() -> None:
    """API keys with scopes and quotas."""


@keys.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    default=("text",),
    show_default=True,
    help="text, image, audio, video, admin or unlabelled (repeatable)",
)
@click.option("--rpm", type=int, help="requests per minute")
@click.option("--tokens-per-day", type=int)
@click.option("--media-seconds-per-day", type=float)
@click.option(
    "--safety",
    type=click.Choice(["block", "warn", "log"]),
    help="the safety filter's policy for this key (default: the safety_policy setting)",
)
@click.option(
    "--safety-category",
    "safety_categories",
    multiple=True,
    help="CATEGORY=block|warn|log: the policy for one category, overriding --safety (repeatable)",
)
@click.pass_obj
def keys_create(state, name, scopes, rpm, tokens_per_day, media_seconds_per_day, safety, safety_categories) -> None:
    """Create a key; its secret is printed once."""
    from ..studio.keys import Quota
    from .safety import _policy

    quota = Quota(requests_per_minute=rpm, tokens_per_day=tokens_per_day, media_seconds_per_day=media_seconds_per_day)
    secret, row = state.studio().keys.create(name, list(scopes), quota, safety=_policy(safety, safety_categories))
    click.echo(f"created key '{name}' with scopes {', '.join(row['scopes'])}; store this secret now:", err=True)
    click.echo(secret)


@keys.command("list")
@click.pass_obj
def keys_list(state) -> None:
    for k in state.studio().keys.list():
        status = "revoked" if k["revoked_at"] else "active"
        limits = ", ".join(f"{n}={v}" for n, v in k["quota"].items() if v) or "no limits"
        click.echo(f"{k['name']:<20} {k['prefix']}…  {status:<8} {','.join(k['scopes']):<24} {limits}")


@keys.command("revoke")
@click.argument("name")
@click.pass_obj
def keys_revoke(state, name) -> None:
    state.studio().keys.revoke(name)
    click.echo(f"revoked '{name}'")


@keys.command("usage")
@click.argument("name", required=False)
@click.option("--days", default=7, show_default=True)
@click.pass_obj
def keys_usage(state, name, days) -> None:
    """Daily requests, tokens and media seconds per key."""
    store = state.studio().keys
    for k in [store.get(name)] if name else store.list():
        click.echo(f"{k['name']}:")
        for d in store.usage_for(k["id"], days):
            click.echo(
                f"  {d['day']}  {d['requests']:>6} req  {d['prompt_tokens'] + d['completion_tokens']:>9} tokens  "
                f"{d['media_seconds']:>8.1f} media s"
            )
