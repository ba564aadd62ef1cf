"""The C++ runner's build, without building: the cache key, a machine without a compiler, the curve's points."""
from __future__ import annotations

from pathlib import Path

import pytest

from tsviz.deploy import build
from tsviz.model.deploy import thread_counts

pytestmark = pytest.mark.unit


def test_a_machine_without_a_compiler_gets_the_skip_reason_not_a_crash(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    built = build.ensure_built(tmp_path)
    assert not built.ok
    assert built.reason == "C++ rung skipped: no g++ found (install build-essential)"
    assert not (tmp_path / built.key).exists()  # not remembered: installing g++ later is enough


def test_the_cache_key_names_the_torch_version_and_changes_with_the_source(monkeypatch, tmp_path: Path) -> None:
    key = build.cache_key()
    assert key.startswith("torch-2.")
    copy = tmp_path / "cpp"
    copy.mkdir()
    for name in build.FILES:
        (copy / name).write_text((build.SOURCES / name).read_text())
    monkeypatch.setattr(build, "SOURCES", copy)
    assert build.cache_key() == key
    (copy / "runner.cpp").write_text((copy / "runner.cpp").read_text() + "\n// edited\n")
    assert build.cache_key() != key


def test_a_cached_runner_is_found_without_building(monkeypatch, tmp_path: Path) -> None:
    folder = tmp_path / build.cache_key()
    folder.mkdir()
    (folder / build.BINARY).write_text("")
    built = build.Built(True, build.cache_key(), f"{build.cache_key()}/{build.BINARY}", seconds=12.5, tool="cmake")
    build._write_record(folder, built)
    monkeypatch.setattr(build, "_compile", lambda *a: pytest.fail("built again"))
    found = build.ensure_built(tmp_path)
    assert found.ok and found.cached and found.seconds == 12.5
    assert "built with cmake in 12.5 s" in found.note() and "found in the cache" in found.note()


def test_the_throughput_curve_doubles_up_to_the_threads_asked() -> None:
    assert thread_counts(1) == (1,)
    assert thread_counts(4) == (1, 2, 4)
    assert thread_counts(6) == (1, 2, 4, 6)


def test_deploys_default_tolerances_are_trace_vs_scripts() -> None:
    from tsviz.graph.verdict import DEFAULT_ATOL, DEFAULT_RTOL
    from tsviz.model.deploy import DeployRequest
    from tsviz.model.types import InspectRequest

    request = DeployRequest(InspectRequest("m.pt", b""))
    assert (request.atol, request.rtol, request.measure) == (DEFAULT_ATOL, DEFAULT_RTOL, 0)
