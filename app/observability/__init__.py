"""Operations: Prometheus metrics of the data plane."""
