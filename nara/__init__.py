"""nara: a node of a small social network for computers: plaza presence, ledger, dashboard."""

__version__ = "0.3.0"
