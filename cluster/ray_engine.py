"""The Ray engine: a Ray session for one command, and an in-order parallel map on Ray Data.

``RAY_ADDRESS`` (Ray's own variable) names a running cluster to join; without it the
command starts a local Ray with as many CPUs as it has workers, the dashboard off and no
usage statistics, and stops it at the end. Ray is an optional extra: ``pip install .[ray]``.
On a cluster every node must see the heap and the output folder at the same paths (a shared
file system) and have this project installed.
"""
from __future__ import annotations

import os
import pickle
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

ENGINES = ("local", "ray")
DEFAULT_ENGINE = ENGINES[0]  # this machine's own processes; Ray only when asked for
RETRIES = 1  # a task whose worker dies runs once more (a node lost), then counts as lost


def all_cores() -> int:
    """The default number of workers, for either engine: every core of this machine."""
    return os.cpu_count() or 1


def import_ray():
    """The ``ray`` module with Ray Data, or a clear error naming the extra to install."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
        import ray.data  # noqa: F401  (Ray without its data extra has no ray.data)
    except ImportError as exc:
        raise ValueError("the ray engine needs Ray Data: pip install '.[ray]' "
                         f"(or pip install 'ray[data]'); {exc}") from None
    return ray


@contextmanager
def ray_session(num_cpus: int) -> Iterator[Any]:
    """Ray for the duration of a command: the running session if there is one, the cluster
    at ``RAY_ADDRESS`` if set, else a local Ray of ``num_cpus`` CPUs, stopped afterwards."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    if os.environ.get("RAY_ADDRESS"):
        ray.init(log_to_driver=False)
    else:
        ray.init(num_cpus=max(1, num_cpus), include_dashboard=False, log_to_driver=False)
    try:
        _quiet(ray)
        yield ray
    finally:
        ray.shutdown()


def _quiet(ray) -> None:
    """Ray Data keeps the caller's order and leaves progress to the caller's own bar."""
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False


def _apply(batch: dict, fn: Callable) -> dict:
    """One Ray Data batch: ``fn`` on each pickled item, results pickled (any Python value)."""
    return {"index": batch["index"],
            "result": [pickle.dumps(fn(pickle.loads(item)), protocol=5) for item in batch["item"]]}


def ordered_map(fn: Callable, items: Sequence, workers: int, batch_size: int = 4,
                lost: Callable[[Any], Any] | None = None) -> Iterator:
    """``map(fn, items)`` run by ``workers`` Ray tasks at a time, yielding results in the
    items' order as they stream back. Needs a Ray session (``ray_session``).

    A task whose worker dies is run once more (a node lost on a cluster), then it fails the
    stream (Ray Data would otherwise retry it for ever). With ``lost`` given, from the first
    item not yet yielded on, each item then runs as a task of its own until the one whose
    worker dies again is found, and ``lost(item)`` stands for its result (an item that kills
    its worker, most likely for want of memory); a new stream takes the rest, as the local
    engine's process pool does. Without ``lost``, the error is raised."""
    ray = import_ray()
    _quiet(ray)
    died = (ray.exceptions.WorkerCrashedError, ray.exceptions.OutOfMemoryError)
    done = 0
    while done < len(items):
        try:
            for result in _stream(ray, fn, items[done:], workers, batch_size):
                yield result
                done += 1
        except died:
            if lost is None:
                raise
            alone = ray.remote(num_cpus=1, max_retries=RETRIES)(fn)
            while done < len(items):
                try:
                    result, crashed = ray.get(alone.remote(items[done])), False
                except died:
                    result, crashed = lost(items[done]), True
                yield result
                done += 1
                if crashed:
                    break


def _stream(ray, fn: Callable, items: Sequence, workers: int, batch_size: int) -> Iterator:
    """``fn`` over ``items`` on Ray Data, in order (see ``ordered_map``)."""
    rows = [{"index": i, "item": pickle.dumps(item, protocol=5)} for i, item in enumerate(items)]
    with warnings.catch_warnings():  # max_retries goes through ray_remote_args, deprecated in 2.60
        warnings.filterwarnings("ignore", "`ray_remote_args` is deprecated")
        dataset = ray.data.from_items(rows).map_batches(
            _apply, fn_kwargs={"fn": fn}, batch_size=batch_size, num_cpus=1, max_retries=RETRIES,
            compute=ray.data.TaskPoolStrategy(size=max(1, workers)))
    for expected, row in enumerate(dataset.iter_rows()):
        if row["index"] != expected:  # preserve_order broken: never write crops out of order
            raise RuntimeError(f"Ray returned item {row['index']} where {expected} was due")
        yield pickle.loads(row["result"])
