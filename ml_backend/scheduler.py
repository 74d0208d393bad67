"""The retrain scheduler: one background thread, debounced per project, one job at a time, failed ones retried with backoff."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

log = logging.getLogger("ml_backend.trainer")  # the trainer's log, where its trainings are


class Scheduler:
    """Runs ``job(pid)`` in one background thread when a project's requests have settled.

    ``request`` returns at once. The worker waits until no request came for ``debounce``
    seconds (but never longer than ``max_wait`` after the first), runs one job at a time,
    and runs it again if requests arrived meanwhile. A failed job is tried again after
    ``retry_delay`` seconds, doubling up to five minutes. The thread runs ``nice``
    steps nicer than the process (and so do the threads it starts, torch's among them), so
    that on a machine Label Studio shares, a person's requests get the cores before a retrain.
    """

    def __init__(self, debounce: float = 1.5, max_wait: float = 10.0, retry_delay: float = 5.0,
                 nice: int = 0):
        if not 0 <= nice <= 19:  # lowering it needs privileges: the thread would die at its start
            raise ValueError(f"nice must be 0-19, got {nice}")
        self.debounce, self.max_wait, self.retry_delay = debounce, max_wait, retry_delay
        self.nice = nice
        self.job: Callable[[int], object] = lambda pid: None
        self.trainings = 0  # finished, successful jobs
        self.failed = 0
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._retry: dict[int, float] = {}  # failed jobs: when to try again
        self._failures: dict[int, int] = {}
        self._running = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def request(self, pid: int) -> None:
        """Ask for a run for project ``pid``; returns immediately."""
        with self._cond:
            now = time.monotonic()
            self._first.setdefault(pid, now)
            self._last[pid] = now
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="trainer", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def waiting(self, pid: int) -> bool:
        """Whether a request for ``pid`` came after its current run started."""
        with self._cond:
            return pid in self._first

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is pending or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._first and not self._running, timeout)

    def _work(self) -> None:
        if self.nice:  # on Linux a thread id names one thread: only this one, and those it starts
            me = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + self.nice))
        while True:
            pid = self._next_due()
            try:
                self.job(pid)
                self._failures.pop(pid, None)
                with self._cond:
                    self.trainings += 1
            except Exception:
                with self._cond:
                    self.failed += 1
                failures = self._failures[pid] = self._failures.get(pid, 0) + 1
                delay = min(self.retry_delay * 2 ** (failures - 1), 300.0)
                log.exception("training project %s failed; the previous model stays in service, "
                              "retry in %.0f s", pid, delay)
                with self._cond:
                    self._retry[pid] = time.monotonic() + delay
            finally:
                with self._cond:
                    self._running = False
                    self._cond.notify_all()

    def _next_due(self) -> int:
        with self._cond:
            while True:
                now = time.monotonic()
                due = {pid: min(self._last[pid] + self.debounce, self._first[pid] + self.max_wait)
                       for pid in self._first}
                for pid, at in self._retry.items():
                    due[pid] = min(at, due.get(pid, at))
                ready = [pid for pid, at in due.items() if at <= now]
                if ready:
                    pid = min(ready, key=due.get)
                    for pending in (self._first, self._last, self._retry):
                        pending.pop(pid, None)
                    self._running = True
                    return pid
                self._cond.wait(min(due.values()) - now if due else None)
