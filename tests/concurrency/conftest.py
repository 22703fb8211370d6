import threading

import pytest


@pytest.fixture(autouse=True)
def _threads_in_system_scope(monkeypatch):
    """The worker threads of these tests call services directly, like background jobs: each
    thread runs in the system scope (scopes live in context variables, which threads do not
    inherit)."""
    from terminarz.core.tenancy import system_scope

    original = threading.Thread.run

    def run(self):
        with system_scope():
            original(self)

    monkeypatch.setattr(threading.Thread, "run", run)
