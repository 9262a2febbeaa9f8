"""The SQLAlchemy RLS guide, natively: models declare the policy, Alembic autogenerate
writes the migration, and each tenant sees only its users through rls_context.

    python examples/sqlalchemy/main.py

Starts a throwaway PostgreSQL (local server binaries; removed on exit), so nothing else
is needed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from models import User  # noqa: E402

from pgpolicy.sqlalchemy import rls_context  # noqa: E402
from pgpolicy.testing import EmbeddedPostgres  # noqa: E402


def alembic_config(url: str, versions: Path) -> Config:
    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("version_locations", str(versions))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def main() -> None:
    with EmbeddedPostgres() as pg, tempfile.TemporaryDirectory() as versions:
        pg.create_database("example")
        url = pg.sqlalchemy_url("example")
        cfg = alembic_config(url, Path(versions))

        script = command.revision(cfg, message="users and tenants", autogenerate=True)
        path = Path(script.path)  # type: ignore[union-attr]
        print(f"-- alembic revision --autogenerate wrote {path.name}:")
        body = path.read_text()
        upgrade = body[body.index("def upgrade()") : body.index("def downgrade()")]
        print("\n".join(l for l in upgrade.splitlines() if "op.create_table" in l or "rls" in l or "policy" in l))
        command.upgrade(cfg, "head")
        print("-- alembic upgrade head: done")

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO tenants (id, name) VALUES (1, 'Acme'), (2, 'Globex')"))
            conn.execute(text("INSERT INTO users (id, name, tenant_id) VALUES (1, 'John', 1), (2, 'Sarah', 2)"))
            # The application's role: not the owner (owners bypass RLS), SELECT only.
            conn.execute(text("CREATE ROLE client NOLOGIN"))
            conn.execute(text("GRANT SELECT ON users, tenants TO client"))

        with Session(engine) as session:
            with rls_context(session, role="client", settings={"app.current_tenant": "1"}):
                for user1 in session.scalars(select(User)):
                    print(f"{user1.name=}")

        with Session(engine) as session:
            with rls_context(session, role="client", settings={"app.current_tenant": "2"}):
                for user2 in session.scalars(select(User)):
                    print(f"{user2.name=}")
        engine.dispose()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "default")
    main()
