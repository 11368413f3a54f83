"""Ingestion of Al Kamel timing files into DuckDB's `raw` schema. Plain Python: no Dagster here."""

from .formats import KINDS, KINDS_BY_NAME, ReportKind
from .layout import RawFile, discover
from .load import IngestReport, ingest

__all__ = ["KINDS", "KINDS_BY_NAME", "IngestReport", "RawFile", "ReportKind", "discover", "ingest"]
