"""Organizations and teams: the tenancy hierarchy that owns users, keys and budgets."""
