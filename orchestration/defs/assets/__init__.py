"""Asset definitions: the raw schema (ingestion) and the dbt project."""

# Shown on every asset in the UI (asset graph, catalog): who to ask.
OWNERS = ["team:pitwall"]
