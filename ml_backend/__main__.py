"""``python -m ml_backend``: run the ML backend's HTTP server (options default from the environment)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from ml_backend.server import Config, create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; each defaults from the environment variable named in its help."""
    env = Config.from_env()
    parser = argparse.ArgumentParser(
        prog="python -m ml_backend",
        description="Label Studio ML backend: pre-annotates crops with an EfficientNet-Lite0 + "
                    "linear head, retrains in the background on every annotation change and "
                    "re-scores all tasks so Label Studio serves the most uncertain first. "
                    "For production: gunicorn --workers 1 --threads 8 ml_backend.server:app "
                    "(one worker: the trainer and its model live in that process).")
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"), help="bind address (HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 9090)), help="port (PORT, 9090)")
    parser.add_argument("--label-studio-url", default=env.label_studio_url,
                        help="Label Studio base URL (LABEL_STUDIO_URL)")
    parser.add_argument("--api-key", default=env.api_key,
                        help="Label Studio legacy API token (LABEL_STUDIO_API_KEY); prefer the variable")
    parser.add_argument("--model-dir", type=Path, default=env.model_dir,
                        help="models, 'latest' pointers and the feature cache (MODEL_DIR)")
    parser.add_argument("--document-root", type=Path, default=env.document_root,
                        help="read /data/local-files/ images from here "
                             "(LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT); else fetched over HTTP")
    parser.add_argument("--basic-auth-user", default=env.basic_auth_user,
                        help="require HTTP basic auth except on / and /health (BASIC_AUTH_USER)")
    parser.add_argument("--basic-auth-pass", default=env.basic_auth_pass, help="(BASIC_AUTH_PASS)")
    parser.add_argument("--debounce", type=float, default=env.debounce,
                        help="seconds without new annotations before retraining (TRAIN_DEBOUNCE_SECONDS)")
    parser.add_argument("--reject-cost", type=float, default=env.reject_cost,
                        help="how many lost keepers one kept reject is worth; 2.5 suits a bar of "
                             "precision 0.98 and recall 0.95, i.e. (1 - recall) / (1 - precision) "
                             "(REJECT_COST)")
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"), help="(LOG_LEVEL)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Parse options, configure logging and serve until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per SDK request otherwise
    config = Config(label_studio_url=args.label_studio_url, api_key=args.api_key,
                    model_dir=args.model_dir, document_root=args.document_root,
                    basic_auth_user=args.basic_auth_user, basic_auth_pass=args.basic_auth_pass,
                    debounce=args.debounce, reject_cost=args.reject_cost)
    create_app(config).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
