"""The `boxoffice` command line (typer)."""

from __future__ import annotations

import json
import os
import time
from typing import Annotated

import typer

from api.process_tuning import tune_gc
from api.settings import load_settings

app = typer.Typer(help="boxoffice: ticketing and monetization for live audio rooms", no_args_is_help=True)
project = typer.Typer(help="Projections: run, status, rebuild", no_args_is_help=True)
app.add_typer(project, name="project")
payouts_cli = typer.Typer(help="Creator payouts", no_args_is_help=True)
app.add_typer(payouts_cli, name="payouts")
keys_cli = typer.Typer(help="Admission token signing keys", no_args_is_help=True)
app.add_typer(keys_cli, name="keys")
reactors_cli = typer.Typer(help="Reactors: the LiveKit reactor and the webhook dispatcher", no_args_is_help=True)
app.add_typer(reactors_cli, name="reactors")


def _services():  # noqa: ANN202
    """The services of this process, from the composition root (imported late: `boxoffice token` needs none)."""
    from api.bootstrap import build_services

    return build_services(load_settings())


def _when(value: str | None, name: str):  # noqa: ANN202
    from datetime import datetime

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{name} must be an RFC 3339 timestamp, e.g. 2026-12-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{name} needs a timezone offset (Z or +00:00)")
    return moment


@payouts_cli.command("run")
def payouts_run(
    as_of: Annotated[str | None, typer.Option("--as-of", help="RFC 3339 moment; default now")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be paid; write nothing")] = False,
) -> None:
    """Release due earnings and pay every creator owed at least the minimum (idempotent per period)."""
    services = _services()
    report = services.payouts.run(_when(as_of, "--as-of"), dry_run=dry_run, requested_by="cli")
    services.projector.catch_up()
    typer.echo(json.dumps({"id": str(report.run_id) if report.run_id else None, **report.summary()}, indent=2))


@app.command()
def reconcile(
    from_: Annotated[str, typer.Option("--from", help="RFC 3339 start (inclusive)")],
    to: Annotated[str, typer.Option("--to", help="RFC 3339 end (exclusive)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the whole result as JSON")] = False,
) -> None:
    """Match the ledger against the processor's balance transactions; exit 1 if anything differs."""
    from payouts.reconcile import run_reconciliation

    services = _services()
    result = run_reconciliation(services.app, services.db, services.projector.catch_up,
                                _when(from_, "--from"), _when(to, "--to"), "cli")
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(f"reconciliation {result['run_id']} ({result['provider']}) {result['from']} .. {result['to']}")
        for category, total in result["totals"].items():
            amounts = ", ".join(f"{v} {c}" for c, v in total["amounts"].items()) or "-"
            typer.echo(f"  {category:<22} {total['count']:>6}  {amounts}")
        for item in result["items"]:
            if item["category"] != "matched":
                typer.echo(f"  ! {item['category']}: {item['type']} {item['reference']} ledger={item['ledger_amount']}"
                           f" processor={item['processor_amount']} fee {item['ledger_fee']}/{item['processor_fee']}")
    raise typer.Exit(0 if result["clean"] else 1)


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Make a new current signing key; the previous one stays published until its tokens expire."""
    services = _services()
    kid, pruned = services.keys.rotate()
    typer.echo(f"current key {kid}" + (f"; pruned {', '.join(pruned)}" if pruned else ""))


@reactors_cli.command("run")
def reactors_run() -> None:
    """Run the reactors as a worker process until interrupted (with BOXOFFICE_REACTORS=worker)."""
    services = _services()
    typer.echo(f"reactors running (pid {os.getpid()}): {', '.join(r.name for r in services.reactors.all)}")
    services.reactors.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        services.reactors.stop()


@reactors_cli.command("status")
def reactors_status() -> None:
    """Each reactor's position, lag, pending and failed work (JSON)."""
    typer.echo(json.dumps(_services().reactors.status(), indent=2))


@keys_cli.command("rotate-kek")
def keys_rotate_kek() -> None:
    """Re-seal the signing keys under the first BOXOFFICE_KEY_ENCRYPTION_KEY (list the old one after it)."""
    services = _services()
    services.keys.rotate_kek()
    typer.echo("admission signing keys re-sealed under the current key-encryption key; "
               "the older keys may now be removed from BOXOFFICE_KEY_ENCRYPTION_KEY")


@keys_cli.command("new-kek")
def keys_new_kek() -> None:
    """Print a fresh key-encryption key (a Fernet key) for BOXOFFICE_KEY_ENCRYPTION_KEY."""
    from api.key_encryption import KeyEncryption

    typer.echo(KeyEncryption.new_key())


@app.command()
def migrate() -> None:
    """Create or upgrade every table (alembic upgrade head); safe to run twice."""
    from migrations.runner import current_revision, upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    typer.echo(f"database at revision {current_revision(settings.database_url)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8000,
    workers: Annotated[int, typer.Option(help="API worker processes")] = 1,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate", help="apply migrations before serving")] = True,
) -> None:
    """Serve the HTTP API (uvicorn)."""
    import uvicorn

    from api.serving import Supervisor, balanced_workers_supported

    settings = load_settings()
    if migrate_first:
        from migrations.runner import upgrade

        upgrade(settings.database_url)
    if workers > 1:
        _metrics_directory()
    gateway = "stripe" if settings.gateway_name == "stripe" else "sandbox (no money moves)"
    typer.echo(f"boxoffice on http://{host}:{port} (docs at /docs), database {settings.database_url.split('@')[-1]}, "
               f"payments: {gateway}, workers: {workers}")
    if workers > 1 and balanced_workers_supported():  # a listening socket per worker: api/serving.py says why
        raise typer.Exit(Supervisor(host, port, workers, settings.log_level.lower()).run())
    uvicorn.run("api.asgi:app", host=host, port=port, workers=workers, loop="auto", http="auto",
                log_level=settings.log_level.lower(), access_log=False)


def _metrics_directory() -> None:
    """Several workers add their metrics up through files in one fresh directory (prometheus-client's
    multiprocess mode); set before the workers start, emptied so a restart does not count twice."""
    import os
    import shutil
    import tempfile

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        shutil.rmtree(given, ignore_errors=True)
        os.makedirs(given, exist_ok=True)
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="boxoffice-metrics-")


@app.command()
def token(
    sub: Annotated[str, typer.Argument(help="user id (the JWT `sub`)")],
    role: Annotated[list[str], typer.Option("--role", "-r", help="listener, creator, finance, media or admin")],
    ttl: Annotated[int, typer.Option(help="lifetime in seconds")] = 3600,
) -> None:
    """Print a signed JWT for local use, with the configured BOXOFFICE_AUTH_SECRET."""
    from api.auth import issue_token

    try:
        typer.echo(issue_token(load_settings().auth_secret, sub, role, ttl))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def demo(
    database: Annotated[str | None, typer.Option(help="database URL; default a fresh SQLite file")] = None,
) -> None:
    """Tell the whole story on a fresh embedded store and print what happened."""
    from api.demo import run_demo

    run_demo(database)


@project.command("run")
def project_run(
    poll: Annotated[float, typer.Option(help="seconds between polls when idle")] = 0.05,
) -> None:
    """Run the projector as its own worker process until interrupted."""
    services = _services()
    projector = services.projector
    tune_gc()  # a long-running process: its start-up objects frozen (api/process_tuning.py)
    typer.echo(f"projector running (pid {os.getpid()})")
    try:
        projector.run_forever(poll)
    except KeyboardInterrupt:
        pass


@project.command("status")
def project_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each projection's position and lag behind the event log, and what fails where one cannot go on."""
    services = _services()
    statuses = services.projector.status()
    if as_json:
        typer.echo(json.dumps([{"name": s.name, "position": s.position, "head": s.head, "lag": s.lag,
                                 **({"failing": {**s.fault.for_operators(), "stuck": s.stuck}} if s.fault else {})}
                                for s in statuses]))
        return
    for s in statuses:
        typer.echo(f"{s.name:<12} position {s.position:>10}  head {s.head:>10}  lag {s.lag}")
        if s.fault:  # cannot apply the next event: retried with backoff, never skipped (projections/faults.py)
            typer.echo(f"  {'STUCK' if s.stuck else 'failing'}: {s.fault.detail}")


@project.command("rebuild")
def project_rebuild(name: Annotated[list[str], typer.Argument(help="projection names, or all")]) -> None:
    """Rebuild projections from zero into fresh tables and swap them in (one pass over the log)."""
    services = _services()
    projector = services.projector
    names = list(projector.projections) if name == ["all"] else name
    unknown = [n for n in names if n not in projector.projections]
    if unknown:
        raise typer.BadParameter(f"unknown projection {unknown[0]!r}; known: {', '.join(projector.projections)}")
    started = time.monotonic()
    position = projector.rebuild(*names)
    typer.echo(f"rebuilt {', '.join(names)} up to position {position} in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    app()
