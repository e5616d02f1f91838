"""The performance benchmark: ``just bench`` (``python -m tests.benchmarks.run``).

Not part of the test suite: it measures throughput and latency straight to a mock upstream
and through the gateway, and prints them against the targets in the README.
"""
