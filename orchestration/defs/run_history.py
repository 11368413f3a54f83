"""Dagster's run history in SQLite (its default layout under DAGSTER_HOME), with fewer engine start-ups.

Dagster's SQLite event log creates a new SQLAlchemy engine for every connection it opens: about
six per event, and a refresh stores ~230 events before its first step starts (one "planned" event
per asset and per asset check). Creating an engine costs more than the SQLite connection it wraps,
so this storage keeps one engine per database file and, as before, opens and closes a connection
(NullPool) each time: same files, same locking, same transactions. dagster.yaml (settings.py)
selects it; an instance written without it reads the same files.

No pitwall logic here: only Dagster's storage classes, configured.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

# One engine per run database: a long-lived process (the UI) keeps the most recent ones only.
MAX_ENGINES = 32


class EngineCachingSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose connections share one engine per database file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> EngineCachingSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=NullPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            self._engines[shard] = engine
            while len(self._engines) > MAX_ENGINES:
                self._engines.popitem(last=False)[1].dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # as Dagster's, without a new engine each time
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def dispose(self) -> None:
        super().dispose()
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


class PitwallSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (same folders under base_dir), with the engine-caching event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = EngineCachingSqliteEventLogStorage(self._event_log_storage._base_dir)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PitwallSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
