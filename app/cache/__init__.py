"""The response cache: exact-match answers for chat, completions and embeddings.

Imported only when a cache is configured; a gateway without one pays nothing for it.
"""
