"""The importer: a scraped heap split into crops and pushed into Label Studio as tasks (the import stages)."""
