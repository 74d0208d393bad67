"""Settings: dataclass fields that carry their environment variable, and the CLI options and readers built from them."""
