"""The Dagster definitions: assets, jobs, schedules and sensors, resources, and the instance's run storage.

`orchestration.definitions` composes them into the code location's `Definitions`.
"""
