"""Asset definitions: the raw schema (ingestion) and the dbt project."""
