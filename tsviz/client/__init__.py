"""The server's side of the worker boundary: run a job from the job table in the sandboxed worker.

Pages (through tsviz.ui) and the command line both call `run`: the same queue, limits, messages and cache.
Results are cached by a hash of the job (the file's bytes and every option), so a rerun costs nothing.
Nothing here imports torch or the worker's code; the worker's answer is JSON, rebuilt into the job's result
type or refused (tsviz/client/answers.py). Big results (a converted archive, a .pt2) come back beside the answer as
job files the server keeps and streams (tsviz/client/files.py; how they travel: tsviz/model/jobfiles.py).
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import asdict, replace
from typing import Any

from tsviz.client import files, sandbox, startcache
from tsviz.client.answers import outcome, parse_cost, result_or_raise
from tsviz.client.cache import Cache
from tsviz.client.pool import OnWait, preload, run_alone, shared_pool
from tsviz.model.jobs import Limits, filename_of, job, model_of, with_model
from tsviz.model.jsonio import to_data
from tsviz.model.types import ErrorInfo
from tsviz.model.uploads import content_digest

__all__ = ["Limits", "OnWait", "clear_cache", "files", "kept", "last_worker", "ping", "preload", "run", "warm_up"]

_CACHE = Cache()
_LAST = threading.local()
_FLIGHTS: dict[str, threading.Event] = {}  # job keys under way: a second run of one waits for the first's answer
_FLIGHTS_LOCK = threading.Lock()


def run(name: str, request: object = None, *, limits: Limits | None = None, on_wait: OnWait | None = None,
        owner: str | None = None, persist: bool = False, background: bool = False) -> Any:
    """Run the job `name` of the job table on `request` in the worker: its result, or its TsvizError raised.

    `on_wait` hears "Waiting for the worker: N jobs ahead of yours" while others hold the worker. `owner` names a
    session's page: it keeps at most one job waiting (a newer one takes the older one's place).
    A CUDA job runs in a sandboxed worker started for it alone, whose sandbox also holds the GPUs' device nodes,
    without the address-space limit (CUDA reserves far more than it uses). The device probe runs there too.
    `persist`: the answer is also kept on disk for the next server start, and taken from there when it is
    (tsviz/client/startcache.py: the server's own opening view, never a user's file). A `background` job (the
    server's own, made ahead) waits in the pool's queue until no user's job is waiting or running.
    """
    spec = job(name)
    limits = limits or spec.limits
    filename = filename_of(request)
    cuda = getattr(request, "device", "") == "cuda"
    if cuda:
        limits = replace(limits, memory_mb=0)
    key = _key(name, request, limits)
    _LAST.worker = {}
    if spec.cached and (hit := _CACHE.get(key)) is not None and files.held(hit):  # its job files still here
        return result_or_raise(hit)
    if not spec.cached:
        return _run(spec, name, request, key, limits, filename, cuda, on_wait, owner, persist, background)
    with _FLIGHTS_LOCK:  # the same job already under way (the opening view made ahead, another visitor): its answer
        flight = _FLIGHTS.get(key)
        if flight is None:
            _FLIGHTS[key] = threading.Event()
    if flight is not None:
        flight.wait()
        if (hit := _CACHE.get(key)) is not None and files.held(hit):
            return result_or_raise(hit)
        return run(name, request, limits=limits, on_wait=on_wait, owner=owner, persist=persist, background=background)
    try:
        return _run(spec, name, request, key, limits, filename, cuda, on_wait, owner, persist, background)
    finally:
        with _FLIGHTS_LOCK:
            _FLIGHTS.pop(key).set()


def _key(name: str, request: object, limits: Limits) -> str:
    # The key names the file by its digest (remembered), instead of base64-encoding it on every rerun of a page.
    return hashlib.sha256(json.dumps([name, to_data(request, bytes_as=content_digest), asdict(limits)],
                                     sort_keys=True).encode()).hexdigest()


def kept(name: str, request: object) -> bool:
    """Whether the start cache holds this job's answer (tsviz/client/startcache.py): no worker is needed for it."""
    return startcache.has(_key(name, request, job(name).limits))


def _run(spec, name: str, request: object, key: str, limits: Limits, filename: str, cuda: bool,
         on_wait: OnWait | None, owner: str | None, persist: bool, background: bool = False) -> Any:
    if persist and spec.cached and (kept := startcache.load(key)) is not None:
        found = files.take_over(outcome(kept[0], kept[1], spec.result, limits, filename), kept[2], filename)
        if not isinstance(found, ErrorInfo):
            _CACHE.put(key, found, parse_cost(kept[1]))
            return found
    model = model_of(request)
    if model is not None and model.local_path:  # the worker reads it where its sandbox mounts it
        root = sandbox.local_mount() if model.local_path == sandbox.local_file() else ""
        request = with_model(request, replace(model, local_path=sandbox.inside(model.local_path),
                                              project_root=sandbox.inside(root) if root != model.local_path else ""))
    model = model_of(request)
    if model is not None and model.weights_path:  # read where the sandbox mounts it, like the local file
        request = with_model(request, replace(model, weights_path=sandbox.inside_weights(model.weights_path)))
    # A file this server holds (a .py's saved archive) is given to the job's server by name, never sent as bytes.
    inputs = {model.job_file.name: files.path(model.job_file)} if model is not None and model.job_file else {}
    if model is not None and model.weights_file is not None:  # uploaded weights, held by this server
        inputs[model.weights_file.name] = files.path(model.weights_file)
    message = {"job": name, "request": to_data(request), "memory_mb": limits.memory_mb}
    if cuda or not spec.user_content:
        header, answer, taken = run_alone(message, limits, filename, inputs)
    else:
        header, answer, taken = shared_pool().run(message, limits, filename, on_wait, owner, inputs, background)
    _LAST.worker = {k: header.get(k) for k in ("seconds", "max_rss_mb", "vm_peak_mb", "vm_base_mb")}
    # Big results came back as job files: checked and moved into the store (tsviz/client/files.py)
    found = files.take_over(outcome(header, answer, spec.result, limits, filename), taken, filename)
    if spec.cached:
        _CACHE.put(key, found, parse_cost(answer))  # about what the rebuilt result holds in memory
        if persist and not isinstance(found, ErrorInfo):
            startcache.save(key, header, answer, found)
    return result_or_raise(found)


def last_worker() -> dict:
    """What this thread's last job took in the worker, as its fork server measured it: seconds, peak resident
    memory, peak address space and the warm server's own address space in MB ({} when it came from the cache).
    For benchmarks."""
    return dict(getattr(_LAST, "worker", {}))


def ping(on_wait: OnWait | None = None) -> float:
    """One empty job through the queue and a fresh child; the seconds it took (health checks, benchmarks)."""
    start = time.perf_counter()
    run("ping", on_wait=on_wait)
    return time.perf_counter() - start


def warm_up() -> None:
    """Start the worker pool in the background, so the first job does not wait for torch to import."""
    shared_pool().warm_up()


def clear_cache() -> None:
    _CACHE.clear()
