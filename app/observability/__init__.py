"""Request ids, structured logs and traces."""
