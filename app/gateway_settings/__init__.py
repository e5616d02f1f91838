"""Router, health-check, cache and guardrail settings that admins change at run time."""
