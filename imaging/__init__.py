"""Images: safe opening and decoding of untrusted files, their border, letterboxing."""
