"""Open the history database: one engine per URL per process, migrated to the newest schema on first use.

SQLite (the default) runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE``, so page sessions, the Slack bot and the CLI can write at once without losing rows
or failing on a lock upgrade. Any other SQLAlchemy URL (PostgreSQL for a shared deployment) works the
same way: the schema uses portable types only. Failures become a StoreError that says what is wrong.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_S = 15.0
WRITE = "kubewhy_write"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class StoreError(Exception):
    """The history database cannot be used (locked, damaged, unreachable, bad URL)."""


def describe_url(url: str) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(unparsable URL)"
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def engine_for(url: str) -> Engine:
    """The migrated engine for ``url`` (created once per process)."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create(url)
            try:
                with translate_errors(url):
                    migrate(engine)
            except BaseException:
                engine.dispose()
                raise
            _engines[url] = engine
        return engine


def _create(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"KUBEWHY_DATABASE_URL {url!r} is not a database URL") from None
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise StoreError(f"cannot use {describe_url(url)}: {exc} (install the database driver)") from None
    if parsed.database and parsed.database != ":memory:":
        _create_private(Path(parsed.database).expanduser())
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _create_private(path: Path) -> None:
    """Create a missing history file 0600 in a 0700 folder: it holds every question and answer.

    SQLite gives its -wal and -shm files the main file's mode, so they stay private too. An existing
    file or folder keeps the mode its owner gave it.
    """
    try:
        if not path.parent.exists():
            path.parent.parent.mkdir(parents=True, exist_ok=True)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            os.chmod(path.parent, 0o700)  # mkdir's mode is masked by the umask
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            os.chmod(path, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot create the history database {path}: {exc}") from None


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's implicit transactions are off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction (on SQLite it holds the write lock from its first statement)."""
    with engine.connect().execution_options(**{WRITE: True}) as connection, connection.begin():
        yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection, connection.begin():
        yield connection


def migrate(engine: Engine) -> None:
    """``alembic upgrade head`` on this engine; concurrent starters serialize on the write lock.

    A SQLite file migrated by these very scripts carries their digest in its header (``user_version``),
    so the next process (every `kubewhy ask`) can tell the schema is current without loading Alembic.
    """
    stamp = migrations_stamp()
    if _stamped(engine) == stamp:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # "heads": revisions added side by side on separate branches of work each apply, in any order.
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with reading(engine) as connection:
        current = set(MigrationContext.configure(connection).get_current_heads()) == heads
    if not current:
        try:
            with writing(engine) as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
        except SQLAlchemyError:
            # Another process may have migrated at the same moment (PostgreSQL has no database-wide lock
            # here): fine if the schema is now current, else the error stands.
            with reading(engine) as connection:
                if set(MigrationContext.configure(connection).get_current_heads()) != heads:
                    raise
    _stamp(engine, stamp)


def migrations_stamp() -> int:
    """A digest of the migration scripts, as a positive 31-bit number (what SQLite's user_version holds)."""
    digest = hashlib.sha256()
    for script in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        digest.update(script.name.encode() + b"\0" + script.read_bytes())
    return int.from_bytes(digest.digest()[:4], "big") & 0x7FFFFFFF or 1


def _stamped(engine: Engine) -> int | None:
    if engine.dialect.name != "sqlite":
        return None
    with reading(engine) as connection:
        return int(connection.exec_driver_sql("PRAGMA user_version").scalar_one())


def _stamp(engine: Engine, stamp: int) -> None:
    """Best effort: a file this process may only read is still used, it just is not stamped."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with writing(engine) as connection:
            connection.exec_driver_sql(f"PRAGMA user_version = {int(stamp)}")
    except SQLAlchemyError:
        pass


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Database errors as one StoreError line that says what is wrong and what to do."""
    where = describe_url(url)
    try:
        yield
    except StoreError:
        raise
    except DBAPIError as exc:
        text = str(exc.orig) if exc.orig is not None else str(exc)
        lowered = text.lower()
        if "locked" in lowered or "busy" in lowered:
            message = (
                f"the history database {where} is locked by another program (waited {BUSY_TIMEOUT_S:g}s)"
            )
        elif "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
            message = (
                f"the history database {where} is damaged or not a SQLite database ({text}); "
                "move it aside or set KUBEWHY_DATABASE_URL to another file"
            )
        elif "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
            message = f"the history database {where} cannot be opened for writing ({text})"
        else:
            message = f"the history database {where} failed: {text.splitlines()[0] if text else exc}"
        raise StoreError(message) from None
    except SQLAlchemyError as exc:
        raise StoreError(f"the history database {where} failed: {exc}") from None
