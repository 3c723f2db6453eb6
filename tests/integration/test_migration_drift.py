"""Migrations and projections declare the same read tables, on SQLite and on PostgreSQL; downgrades undo upgrades.

Migrations hold their DDL as frozen literal SQL; each projection declares the
tables it rebuilds into. This test runs `upgrade head` on one fresh database
and the projections' own DDL on another, and compares the two, normalised
through SQLAlchemy's inspector: tables, columns in order (type, nullability,
default), primary key, unique and check constraints, and indexes (name,
columns, uniqueness, partial-index predicate). Index names must be equal too:
a rebuild swaps tables and indexes in by name, and queries name them in plans.
A change to one side without the other fails here, and so does a table the
migrations create that neither a projection declares nor OWNED_ELSEWHERE lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, pool

from api.bootstrap import Services
from migrations.runner import alembic_config, upgrade
from store.env import sqlalchemy_url
from tests.integration.empty_databases import empty_database

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

# Tables `upgrade head` creates that no projection declares, and who owns them. A read table a
# projection stops declaring (still created by the migrations) or a new table nobody owns fails here.
OWNED_ELSEWHERE = {
    "alembic_version": "alembic",
    "stored_events": "the event store on SQLite (0001)",
    "boxoffice_events": "the event store on PostgreSQL (0001)",
    "projection_positions": "the projector (projections/batches.py)",
    "projection_faults": "the projector: projections that cannot apply an event (projections/faults.py, 0021)",
    **dict.fromkeys(("seat_inventory", "seat_holds", "tier_inventory", "code_inventory", "creator_revenue",
                     "processed_keys", "payout_accounts"), "the write guards (store/guards_sql.py)"),
    "waitlist": "the waitlist's line, a write guard (store/waitlist_guards_sql.py)",
    "admission_keyring": "the admission signing keys (store/keyring_sql.py, for api/admission/keystore.py)",
    **dict.fromkeys(("reactor_positions", "livekit_calls", "webhook_messages", "webhook_deliveries",
                     "webhook_attempts", "webhook_endpoint_health"), "the integrations' reactors (integrations/)"),
    **dict.fromkeys(("rate_buckets", "payment_queue"), "Stripe pacing (0013)"),
    "revenue_slices": "the write guards (store/revenue_guards_sql.py, 0016)",
}


def declared_read_tables(services: Services) -> list[tuple[str, str, list[str]]]:
    """(table, CREATE TABLE, [CREATE INDEX]) of every projection the composition root registers.

    The one place that knows how projections expose their DDL: when that changes
    (view classes, another registry), adapt this function and nothing else.
    """
    return [table for projection in services.projector.projections.values() for table in projection.tables()]


def schema_of(database_url: str, tables: list[str]) -> dict[str, Any]:
    """Each table's normalised schema as the database reports it (None: the table is missing)."""
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        inspector = inspect(engine)
        return {table: _table_schema(inspector, table) if inspector.has_table(table) else None for table in tables}
    finally:
        engine.dispose()


def _table_schema(inspector: Any, table: str) -> dict[str, Any]:
    return {
        "columns": [(c["name"], str(c["type"]), bool(c["nullable"]), c["default"]) for c in inspector.get_columns(table)],
        "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
        "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
        "checks": sorted(str(c["sqltext"]) for c in inspector.get_check_constraints(table)),
        "indexes": sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]),
             tuple(sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items())))
            for i in inspector.get_indexes(table)
        ),
    }


def create_declared(database_url: str, declared: list[tuple[str, str, list[str]]]) -> None:
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            for _, create, indexes in declared:
                conn.exec_driver_sql(create)
                for index in indexes:
                    conn.exec_driver_sql(index)
    finally:
        engine.dispose()


@pytest.mark.parametrize("engine", ENGINES)
def test_upgrade_head_creates_exactly_the_read_tables_the_projections_declare(
    engine: str, services: Services, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    admin = request.getfixturevalue("postgres_admin_url") if engine == "postgresql" else None
    declared = declared_read_tables(services)
    tables = [table for table, _, _ in declared]
    assert tables and len(set(tables)) == len(tables), tables

    with empty_database(engine, tmp_path, admin) as migrated, empty_database(engine, tmp_path, admin) as projected:
        upgrade(migrated)
        create_declared(projected, declared)

        from_migrations, from_projections = schema_of(migrated, tables), schema_of(projected, tables)
        undeclared = set(table_names(migrated)) - set(tables)

    assert from_migrations == from_projections, drift(from_migrations, from_projections)
    event_store_elsewhere = "boxoffice_events" if engine == "sqlite" else "stored_events"
    assert undeclared == set(OWNED_ELSEWHERE) - {event_store_elsewhere}, (
        "tables upgrade head creates that no projection declares, or owned tables missing:"
        f" {sorted(undeclared ^ (set(OWNED_ELSEWHERE) - {event_store_elsewhere}))}; a read table belongs in its"
        " projection's DDL, any other in OWNED_ELSEWHERE with its owner")


def table_names(database_url: str) -> list[str]:
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def drift(from_migrations: dict[str, Any], from_projections: dict[str, Any]) -> str:
    """What differs, table by table and key by key, in a form a reader can act on."""
    lines = []
    for table, migrated in from_migrations.items():
        projected = from_projections[table]
        if migrated is None or projected is None:
            lines.append(f"{table}: {'missing after upgrade head' if migrated is None else 'not created by its DDL'}")
            continue
        for key in migrated:
            if migrated[key] != projected[key]:
                lines.append(f"{table}.{key}:\n  migrations:  {migrated[key]}\n  projection:  {projected[key]}")
    return "read tables drifted from the projections' DDL:\n" + "\n".join(lines)


@pytest.mark.parametrize("engine", ENGINES)
def test_downgrading_to_base_and_upgrading_again_gives_the_schema_of_a_fresh_upgrade(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    admin = request.getfixturevalue("postgres_admin_url") if engine == "postgresql" else None
    with empty_database(engine, tmp_path, admin) as fresh, empty_database(engine, tmp_path, admin) as round_trip:
        upgrade(fresh)
        upgrade(round_trip)

        command.downgrade(alembic_config(round_trip), "base")
        left = set(table_names(round_trip)) - {"alembic_version"}
        upgrade(round_trip)

        tables = table_names(fresh)
        assert left == set(), left
        assert sorted(table_names(round_trip)) == sorted(tables)
        assert schema_of(round_trip, tables) == schema_of(fresh, tables)
