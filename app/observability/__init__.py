"""Operations: request ids, structured logs, traces and Prometheus metrics."""
