"""docker-compose.yml is valid and keeps the local stack's Label Studio settings."""
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from stack import services

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"LABEL_STUDIO_API_KEY": "k", "POSTGRES_PASSWORD": "p", "LABEL_STUDIO_PASSWORD": "s",
           "BASIC_AUTH_PASS": "b"}


def _config() -> dict:
    assert shutil.which("docker-compose"), "docker-compose missing: run scripts/system_deps.sh"
    out = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
                         env={**os.environ, **SECRETS}, capture_output=True, text=True, check=True)
    return yaml.safe_load(out.stdout)


def test_compose_file_is_valid_and_refuses_missing_secrets():
    assert set(_config()["services"]) == {"db", "label-studio", "ml-backend", "importer"}
    bare = {k: v for k, v in os.environ.items() if k not in SECRETS}
    out = subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"],
                         env=bare, capture_output=True, text=True)
    assert out.returncode != 0 and "Missing mandatory value" in out.stderr


def test_label_studio_settings_match_the_local_stack(tmp_path):
    compose = _config()["services"]["label-studio"]["environment"]
    local = services.label_studio(tmp_path, tmp_path / "files", 1, "u", "p", "t").env
    for name in ("LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN", "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED",
                 "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK", "ML_BLOCK_LOCAL_IP", "SSRF_PROTECTION_ENABLED",
                 services.PREDICTIONS_BULK_IMPORT):
        assert compose[name] == local[name], name
    assert compose["LABEL_STUDIO_USER_TOKEN"] == SECRETS["LABEL_STUDIO_API_KEY"]
    assert compose["DJANGO_DB"] == "default" and compose["POSTGRE_HOST"] == "db"


def test_backend_shares_the_crop_volume_and_credentials():
    services_ = _config()["services"]
    backend, studio = services_["ml-backend"], services_["label-studio"]
    assert backend["environment"]["LABEL_STUDIO_API_KEY"] == studio["environment"]["LABEL_STUDIO_USER_TOKEN"]
    assert (backend["environment"]["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"]
            == studio["environment"]["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"])
    volume = lambda svc: {v.split(":")[0] for v in svc["volumes"] if v.split(":")[1] == "/data/files"}
    assert volume(backend) == volume(studio) and volume(backend)
    assert backend["environment"]["BASIC_AUTH_PASS"] == SECRETS["BASIC_AUTH_PASS"]
