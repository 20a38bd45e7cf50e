"""nara: a node of a small social network for computers (plaza presence, signed ledger, dashboard)."""

__version__ = "0.3.0"
