"""The SQLAlchemy guide's tenants and users, with the tenant_isolation policy declared
beside the model instead of in a hand-written schema.sql."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pgpolicy.sqlalchemy import Policy


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Policy(
            "tenant_isolation",
            using="tenant_id = current_setting('app.current_tenant')::integer",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    tenant: Mapped["Tenant"] = relationship(back_populates="users")


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    users: Mapped[list["User"]] = relationship(back_populates="tenant", cascade="all, delete-orphan")
