"""Run work in parallel threads, each with its own database connection, lined up on a barrier.

A broken barrier (a thread that never arrived, a timeout) would quietly turn a race into a
sequential run and a concurrency test into a plain one, so it is a failure, never swallowed."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from terminarz.booking.errors import SlotTaken


class BarrierBroken(AssertionError):
    """The threads were not lined up: the run was not the race the test meant."""


def run_lined_up(calls: list, *, n_threads: int | None = None, barrier_timeout: float = 60) -> list:
    """Run each zero-argument callable in a thread; every `n_threads` of them pass the barrier
    together. Returns, in order, each call's result or the exception it raised; fails with
    BarrierBroken when any thread saw a broken barrier."""
    n_threads = n_threads or len(calls)
    barrier = threading.Barrier(min(n_threads, len(calls)))
    broken: list[int] = []

    def worker(numbered):
        index, call = numbered
        try:
            try:
                barrier.wait(timeout=barrier_timeout)
            except threading.BrokenBarrierError:
                broken.append(index)
                raise
            try:
                return call()
            except Exception as exc:  # the caller inspects what each thread got
                return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        futures = [pool.submit(worker, numbered) for numbered in enumerate(calls)]
        outcomes = []
        for future in futures:
            exc = future.exception()
            outcomes.append(exc if exc is not None else future.result())
    if broken:
        raise BarrierBroken(f"{len(broken)} of {len(calls)} threads saw a broken barrier: the run was not parallel")
    return outcomes


def run_parallel(n_threads: int, jobs: list, fn, *, barrier_timeout: float = 60) -> list:
    """fn(job) for every job; "taken" for SlotTaken, "error: …" for anything else raised."""

    def label(outcome):
        if isinstance(outcome, SlotTaken):
            return "taken"
        if isinstance(outcome, Exception):
            return f"error: {type(outcome).__name__}: {outcome}"
        return outcome

    calls = [lambda job=job: fn(job) for job in jobs]
    return [label(o) for o in run_lined_up(calls, n_threads=n_threads, barrier_timeout=barrier_timeout)]
