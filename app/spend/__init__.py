"""Spend: one log row per request, daily aggregates, and budget alert state."""
