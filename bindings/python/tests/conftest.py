"""Fixtures: one throwaway PostgreSQL per test session, a fresh database per test."""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import sqlalchemy as sa

from pgpolicy.testing import EmbeddedPostgres

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "sqlalchemy"
_counter = itertools.count()


def corpus_dir() -> Path:
    """The project's corpus (tests/corpus), or $PGPOLICY_CORPUS. A missing corpus is an error."""
    env = os.environ.get("PGPOLICY_CORPUS")
    path = Path(env) if env else REPO / "tests" / "corpus"
    if not (path / "policies.jsonl").is_file():
        raise FileNotFoundError(f"corpus not found at {path} (tests/corpus in the repository, or set PGPOLICY_CORPUS)")
    return path


@pytest.fixture(scope="session")
def pg() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        yield server


@pytest.fixture
def new_db(pg: EmbeddedPostgres) -> Callable[[], str]:
    """Creates a database; returns its name."""

    def make() -> str:
        name = f"t{os.getpid()}_{next(_counter)}"
        pg.create_database(name)
        return name

    return make


@pytest.fixture
def db(new_db: Callable[[], str]) -> str:
    return new_db()


@pytest.fixture
def engine(pg: EmbeddedPostgres, db: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(pg.sqlalchemy_url(db))
    yield eng
    eng.dispose()


@pytest.fixture
def alembic_project(tmp_path: Path) -> Callable[..., Any]:
    """An Alembic Config over the example's env.py, with versions in a temporary
    directory and the given metadata as target."""
    from alembic.config import Config

    def make(url: str, metadata: sa.MetaData, **configure_options: Any) -> Config:
        versions = tmp_path / "versions"
        versions.mkdir(exist_ok=True)
        cfg = Config()
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("script_location", str(EXAMPLE / "migrations"))
        cfg.set_main_option("version_locations", str(versions))
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        cfg.attributes["target_metadata"] = metadata
        cfg.attributes["configure_options"] = configure_options
        return cfg

    return make


def pytest_configure(config: Any) -> None:
    if str(EXAMPLE) not in sys.path:
        sys.path.insert(0, str(EXAMPLE))
    if shutil.which("runuser") is None and os.geteuid() == 0:  # pragma: no cover
        raise pytest.UsageError("runuser is needed to start PostgreSQL as root")
