"""Export: the curated training set written from a Label Studio project."""
