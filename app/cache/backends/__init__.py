"""Where cached answers live: process memory, Redis, or S3-compatible object storage."""
