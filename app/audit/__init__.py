"""The audit log: who changed what, before and after, and when."""
