"""The eventsourcing event store (what the library would create with CREATE_TABLE=true).

Matches eventsourcing 9.5.x: on PostgreSQL the `boxoffice_events` table, its
notification index, the `stored_event_uuid` composite type and the
`es_insert_events_uuid` function; on SQLite the `stored_events` table.

Revision ID: 0001
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TABLE IF NOT EXISTS stored_events (originator_id TEXT, originator_version INTEGER,"
            " topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        return
    op.execute(
        "CREATE TABLE IF NOT EXISTS boxoffice_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
        " topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
    )
    op.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS boxoffice_events_notification_id_idx"
        " ON boxoffice_events (notification_id ASC)"
    )
    op.execute(
        "DO $$ BEGIN"
        " CREATE TYPE stored_event_uuid AS (originator_id uuid, originator_version bigint, topic text, state bytea);"
        " EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )
    op.execute(
        "CREATE OR REPLACE FUNCTION es_insert_events_uuid(events stored_event_uuid[]) RETURNS SETOF bigint"
        " LANGUAGE plpgsql AS $BODY$BEGIN SET LOCAL lock_timeout = '0s'; NOTIFY boxoffice_events; RETURN QUERY"
        " INSERT INTO boxoffice_events AS t (originator_id, originator_version, topic, state)"
        " SELECT originator_id, originator_version, topic, state FROM unnest(events)"
        " RETURNING notification_id; END;$BODY$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS stored_events")
        return
    op.execute("DROP FUNCTION IF EXISTS es_insert_events_uuid(stored_event_uuid[])")
    op.execute("DROP TABLE IF EXISTS boxoffice_events")
    op.execute("DROP TYPE IF EXISTS stored_event_uuid")
