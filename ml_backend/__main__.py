"""``python -m ml_backend``: run the ML backend's HTTP server (options default from the environment)."""

from __future__ import annotations

import argparse
import logging

from ml_backend.settings import BackendSettings
from settings.fields import add_options, from_args

DESCRIPTION = ("Label Studio ML backend: pre-annotates crops with an EfficientNet-Lite0 + linear head, "
               "retrains in the background on every annotation change and re-scores all tasks so Label "
               "Studio serves the most uncertain first. For production: gunicorn --workers 1 --threads 8 "
               "ml_backend.server:app (one worker: the trainer and its model live in that process).")


def build_parser() -> argparse.ArgumentParser:
    """Command-line options, one per setting, each defaulting from its environment variable."""
    parser = argparse.ArgumentParser(prog="python -m ml_backend", description=DESCRIPTION)
    add_options(parser, BackendSettings)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse options, configure logging and serve until interrupted."""
    config = from_args(BackendSettings, build_parser().parse_args(argv))
    logging.basicConfig(level=config.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per SDK request otherwise
    from ml_backend.server import create_app
    create_app(config).run(host=config.host, port=config.port, threaded=True)


if __name__ == "__main__":
    main()
