"""ML Metadata: connect to the store, record runs, look up the cache, query lineage.

Only the `ml-metadata` package is imported here (lazily, when a function runs).
"""

from tfxkit.metadata.store import PASSWORD_ENV, connect, parse

__all__ = ["PASSWORD_ENV", "connect", "parse"]
