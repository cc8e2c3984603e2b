"""The store: a folder of Parquet tables with a manifest (DESIGN.md "The store")."""

from kakehashi.store.store import Store, Transaction, Version

__all__ = ["Store", "Transaction", "Version"]
