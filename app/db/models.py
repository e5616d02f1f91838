"""Every table model, imported in one place so ``SQLModel.metadata`` is complete.

Alembic's ``env.py`` and the drift test import this module; application code imports
the domain modules directly.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from app.audit.models import AuditLog
from app.auth.models import RecoveryCode, UserSession
from app.cluster.models import ClusterLease
from app.deployments.models import GatewaySetting, ModelDeployment
from app.keys.models import KeyModelSpend, VirtualKey
from app.orgs.models import Organization, Team
from app.responses.models import StoredResponse
from app.spend.models import AlertState, DailySpend, SpendLog
from app.users.models import EndUser, OrgMembership, TeamMembership, User

__all__ = [
    "AlertState",
    "AuditLog",
    "ClusterLease",
    "DailySpend",
    "EndUser",
    "GatewaySetting",
    "KeyModelSpend",
    "ModelDeployment",
    "OrgMembership",
    "Organization",
    "RecoveryCode",
    "SpendLog",
    "StoredResponse",
    "Team",
    "TeamMembership",
    "User",
    "UserSession",
    "VirtualKey",
    "metadata",
]

metadata = SQLModel.metadata
"""The metadata holding every table above."""
