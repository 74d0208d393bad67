"""The ML backend: pre-annotates crops, retrains on every label, serves the most uncertain task first."""
