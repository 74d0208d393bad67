"""Session fixtures: one real Label Studio (and ML backend) for the whole test run."""
from __future__ import annotations

from pathlib import Path

import pytest

from stack.services import free_port
from stack.local import LocalStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> LocalStack:
    """Label Studio on SQLite plus the ML backend, on free loopback ports, for the session."""
    state = tmp_path_factory.mktemp("stack")
    with LocalStack(state, ls_port=free_port(), backend_port=free_port(),
                    backend_env={"TRAIN_DEBOUNCE_SECONDS": "0.5"}) as running:
        yield running


@pytest.fixture(scope="session")
def pg_stack(tmp_path_factory) -> LocalStack:
    """The same stack with Label Studio on a real PostgreSQL server started for the session."""
    from stack.postgres import postgres_server
    state = tmp_path_factory.mktemp("pg-stack")
    with postgres_server(free_port()) as database, \
            LocalStack(state, ls_port=free_port(), backend_port=free_port(), database=database,
                       backend_env={"TRAIN_DEBOUNCE_SECONDS": "0.5"}) as running:
        yield running


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def any_stack(request) -> LocalStack:
    """Each database Label Studio runs on in this project: SQLite locally, PostgreSQL in production."""
    return request.getfixturevalue("stack" if request.param == "sqlite" else "pg_stack")


