"""The one way an e-mail address is compared: trimmed and lowercased.

Every path that finds a user by address (password sign-in, single sign-on, OIDC bearer
tokens, account creation, the first admin from the config) normalises with this, so
``Ada@Example.com `` and ``ada@example.com`` are one account everywhere.
"""

from __future__ import annotations

__all__ = ["email_domain", "normalise_email"]


def normalise_email(email: str) -> str:
    """The stored form of an address: trimmed and lowercased."""
    return email.strip().lower()


def email_domain(email: str) -> str:
    """The normalised domain of an address (after the last ``@``)."""
    return normalise_email(email).rpartition("@")[2]
