"""The migrations build exactly the tables the models describe, and leave Rasa's conversation table alone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from privacy_desk import db
from privacy_desk.models import Base


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        with engine.begin() as connection:
            # Rasa's SQL tracker store creates this in the same database; the migrations must not want it gone.
            connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                                    "timestamp FLOAT, data TEXT)"))
            connection.execute(text("CREATE INDEX ix_events_sender_id ON events (sender_id)"))
            context = MigrationContext.configure(connection, opts={"include_object": db.include_object})
            assert compare_metadata(context, Base.metadata) == []
            tables = set(inspect(connection).get_table_names())
        assert {"audit_events", "events", "tickets", "messages"} <= tables
    finally:
        engine.dispose()
