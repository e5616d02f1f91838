"""Console identity: password sign-in, sessions, TOTP MFA, and the caller's principal.

Services only: nothing here imports a web framework. Start at :mod:`app.auth.service`.
"""
