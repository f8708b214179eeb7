"""Alembic's environment: migrations run on the connection `warehouse.migrate` hands over,
inside its transaction (and its lock), never on a connection of their own."""

from alembic import context

from tiktok_assets.warehouse.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
