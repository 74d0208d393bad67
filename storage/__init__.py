"""Files on disk: atomic writes and JSON Lines."""
