"""Model deployments and gateway settings stored in the database."""
