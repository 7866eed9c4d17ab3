"""Race tests: run jobs in threads with their own connections, released at once by a barrier
(cosmicpython's test_uow.py), and collect what each returned or raised."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from app.extensions import db


def race(app: Flask, jobs: list[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Run each job in its own thread and app context, all released at once; return what each
    returned or raised, in the order of ``jobs``."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = job()
            except Exception as exc:  # noqa: BLE001 - the result under test
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads)
    return results
