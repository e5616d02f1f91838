"""Users (people who sign in), their org and team memberships, and end users."""
