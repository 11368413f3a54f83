"""The warehouse and its servers, plain Python (no Dagster import): paths and environment (settings),
the warehouse lock (runlock), the dbt build state (build_state) and the local PostgreSQL server (postgres).
"""
