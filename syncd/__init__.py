"""syncd: keeps a card seller's local inventory and their Managem listings in step."""

__version__ = "0.1.0"
