"""The ``cluster_leases`` table: who holds which background job's lease, and until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.db.columns import time_field

__all__ = ["ClusterLease"]


class ClusterLease(SQLModel, table=True):
    """A lease held by one instance until ``expires_at`` (used where there is no Redis)."""

    __tablename__ = "cluster_leases"

    name: str = Field(sa_type=String(128), primary_key=True)
    holder: str = Field(sa_type=String(255))
    expires_at: datetime = time_field(nullable=False)
