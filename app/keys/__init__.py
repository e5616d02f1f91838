"""Virtual keys: the secrets applications call the gateway with."""
