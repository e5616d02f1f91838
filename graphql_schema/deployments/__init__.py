"""Model deployments kept in the database: read by anyone signed in, changed by admins."""
