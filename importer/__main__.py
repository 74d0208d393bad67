"""``python -m importer``: the command line (see importer.cli)."""
from importer.cli import main

main()
