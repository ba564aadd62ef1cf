"""The command line: JSON contract, exit status 2 with one line for user errors, deterministic output, and
every job in the sandboxed worker (a hostile file is as contained here as on the page)."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from support.cli import tsviz
from support.samples import SAMPLES, request_for


def test_inspect_json_has_the_documented_keys() -> None:
    done = tsviz("inspect", str(SAMPLES / "data_dependent_if.py"), "--mode", "trace", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["mode"] == "trace" and data["entry"] == "model()" and data["code"].startswith("def forward")
    assert {"nodes", "edges", "op_counts"} <= data["graph"].keys()
    assert data["graph"]["op_counts"]["aten::tanh"] == 1
    warning = data["warnings"][0]
    assert warning == {**warning, "category": "TracerWarning", "file": "data_dependent_if.py", "line": 20}


def test_user_error_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import torch\nclass M(torch.nn.Module):\n    def forward(self, x):\n        return (lambda t: t)(x)\n"
    )
    done = tsviz("inspect", str(bad))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert done.stderr.startswith("tsviz: error: bad.py line 4: TorchScript cannot compile this line: it uses a lambda")


def test_missing_file_exits_2() -> None:
    done = tsviz("inspect", "no/such/model.py")
    assert done.returncode == 2 and "no such file" in done.stderr


def test_render_dot_is_byte_identical_across_runs(tmp_path: Path) -> None:
    outputs = []
    for i in range(2):
        out = tmp_path / f"g{i}.dot"
        assert (
            tsviz(
                "render", str(SAMPLES / "hybrid.py"), "--mode", "hybrid", "--view", "inlined", "--out", str(out)
            ).returncode
            == 0
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and b"cluster_" in outputs[0]


def test_render_svg_uses_dot(tmp_path: Path) -> None:
    out = tmp_path / "g.svg"
    done = tsviz("render", str(SAMPLES / "feed_forward.py"), "--format", "svg", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().lstrip().startswith("<?xml") and "aten::relu" in out.read_text()


def test_inspect_out_writes_the_archive_dot_and_code(tmp_path: Path) -> None:
    done = tsviz("inspect", str(SAMPLES / "recurrent_cell.py"), "--out", str(tmp_path), "--mode", "trace")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"recurrent_cell.trace.{s}" for s in ("code.py", "graph.dot", "inlined.dot", "json", "pt")]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--input", "2xbanana"], "cannot read the input '2xbanana'"),
        (["--init", "novalue"], "is not NAME=VALUE"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    done = tsviz("inspect", str(SAMPLES / "feed_forward.py"), *args)
    assert done.returncode == 2 and message in done.stderr


def test_diff_json_has_cases_verdicts_and_hazards() -> None:
    done = tsviz("diff", str(SAMPLES / "len_vs_shape.py"), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["verdict"]["trace"]["matches"] is False and data["verdict"]["script"]["matches"] is True
    first = data["cases"][0]
    assert first["shapes"] == ["4x3 float32"] and {"max_abs_diff", "max_rel_diff"} <= first["trace"].keys()
    assert {"kind": "frozen_constant", "line": 17} == {k: data["hazards"][1][k] for k in ("kind", "line")}
    assert all({"kind", "line", "message"} <= h.keys() for h in data["hazards"])


def test_diff_exits_0_on_a_divergence_and_prints_the_verdict() -> None:
    done = tsviz("diff", str(SAMPLES / "data_dependent_if.py"))
    assert done.returncode == 0, done.stderr
    assert "trace differs from eager on inputs" in done.stdout and "script matches eager" in done.stdout
    assert "data_dependent_if.py:20: Wrong output · Control flow lost" in done.stdout


def test_diff_user_error_exits_2_with_one_line() -> None:
    done = tsviz("diff", str(SAMPLES / "len_vs_shape.py"), "--entry", "Nope")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("tsviz: error: len_vs_shape.py: no entry point named 'Nope'")


def test_bench_csv_has_one_row_per_variant_and_batch_size() -> None:
    done = tsviz(
        "bench",
        str(SAMPLES / "feed_forward.py"),
        "--variants",
        "eager,script",
        "--batch-sizes",
        "1,2",
        "--min-run-time",
        "0.02",
        "--csv",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    header = lines[0].split(",")
    assert {"variant", "device", "batch_size", "median_s", "iqr_s", "runs", "matches_eager"} <= set(header)
    rows = [dict(zip(header, line.split(",", len(header) - 1))) for line in lines[1:]]
    assert [(r["variant"], r["batch_size"], r["matches_eager"]) for r in rows] == [
        ("eager", "1", "True"),
        ("eager", "2", "True"),
        ("script", "1", "True"),
        ("script", "2", "True"),
    ]


def test_bench_json_rows() -> None:
    done = tsviz(
        "bench",
        str(SAMPLES / "feed_forward.py"),
        "--variants",
        "frozen",
        "--batch-sizes",
        "3",
        "--min-run-time",
        "0.02",
        "--json",
    )
    rows = json.loads(done.stdout)
    assert len(rows) == 1 and rows[0]["variant"] == "frozen" and rows[0]["batch_size"] == 3 and rows[0]["median_s"] > 0


def test_bench_on_cuda_without_a_gpu_exits_2() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    done = tsviz("bench", str(SAMPLES / "feed_forward.py"), "--device", "cuda")
    assert (
        done.returncode == 2 and done.stderr.strip() == "tsviz: error: no CUDA GPU on this machine (use --device cpu)"
    )


def test_archive_on_the_command_line_reads_a_saved_model_without_running_it() -> None:
    done = tsviz("archive", str(SAMPLES / "feed_forward.py"), "--mode", "trace", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["file"] == "feed_forward.trace.pt" and data["format_version"] >= 1
    assert [m["path"] for m in data["modules"]] == ["", "fc1", "fc2", "head"]
    assert data["biggest"][0]["name"] == "fc2.weight"


def test_passes_on_the_command_line() -> None:
    done = tsviz("passes", str(SAMPLES / "resnet_style.py"), "--passes", "inline,freeze", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [s["pass"] for s in data["steps"]] == ["start", "inline", "freeze"]
    assert data["steps"][2]["summary"].startswith("freeze: 20 conv+bn folded")
    done = tsviz("passes", str(SAMPLES / "resnet_style.py"), "--passes", "inline,fuse_everything")
    assert done.returncode == 2 and "unknown pass(es) fuse_everything" in done.stderr


def test_migrate_gives_the_pages_json_and_writes_the_pt2(tmp_path: Path) -> None:
    """`tsviz migrate ARCHIVE --json` is the page's data (times aside), and --out writes a .pt2 that reloads."""
    import io

    import torch
    from support.samples import archive_bytes, inspect_sample

    from tsviz.analysis.migrate import migrate
    from tsviz.model.types import MigrateRequest
    from tsviz.report import views

    archive = tmp_path / "gate.pt"
    archive.write_bytes(archive_bytes(inspect_sample("data_dependent_if.py", "script")))
    done = tsviz("migrate", str(archive), "--json", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    here = views.export_data(migrate(MigrateRequest(request_for("gate.pt", archive.read_bytes()))))
    for found in (data, here):  # times, and the .pt2's size (it records the worker's own file paths), aside
        found["program"].pop("bytes")
        for rung in found["rungs"]:
            rung.pop("seconds")
    assert data == json.loads(json.dumps(here))
    assert data["kind"] == "pt" and data["exported"] and data["program"]["from"] == "ts2ep"
    program = torch.export.load(str(tmp_path / "gate.pt2")).module()
    x = torch.randn(2, 8)
    torch.testing.assert_close(program(x), torch.jit.load(io.BytesIO(archive.read_bytes()))(x))


def test_migrate_refuses_a_loop_archive_on_its_line(tmp_path: Path) -> None:
    from support.samples import archive_bytes, inspect_sample

    archive = tmp_path / "loop.pt"
    archive.write_bytes(archive_bytes(inspect_sample("loop_over_dim.py", "script")))
    done = tsviz("migrate", str(archive))
    assert done.returncode == 0, done.stderr
    assert "loop.pt: does not export" in done.stdout and "✘ fail      ts2ep" in done.stdout
    assert "loop.pt:12: unsupported op (ts2ep) (first written at loop_over_dim.py line 21)" in done.stdout


def test_export_check_on_the_command_line() -> None:
    done = tsviz("export-check", str(SAMPLES / "data_dependent_if.py"), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["exported"] is False
    assert data["blockers"][0] == {**data["blockers"][0], "line": 20, "kind": "data-dependent control flow"}
    assert "torch.cond" in data["blockers"][0]["fix"] and set(data["op_counts"]) == {"torch.export", "torchscript"}
    done = tsviz("export-check", str(SAMPLES / "feed_forward.py"), "--json")
    data = json.loads(done.stdout)
    assert (
        data["exported"] is True and data["blockers"] == [] and data["op_counts"]["torch.export"]["aten::linear"] == 3
    )


# ---- the command line runs every job in the sandboxed worker, as the dashboard does ------------------------


def test_a_pt_whose_load_writes_a_host_file_leaves_it_unchanged(tmp_path: Path) -> None:
    from support.bad_inputs import CANARY, host_canary_writer

    archive = tmp_path / "scribble.pt"
    archive.write_bytes(host_canary_writer(tmp_path))
    for command in ("inspect", "report", "archive"):
        extra = ["--out", str(tmp_path / "report.html")] if command == "report" else []
        done = tsviz(command, str(archive), *extra)
        assert (tmp_path / "canary.txt").read_text() == CANARY, f"{command} ran the archive's load on the host"
        assert "Traceback" not in done.stderr


def test_a_file_that_hangs_at_import_ends_at_the_stage_deadline_with_exit_2(tmp_path: Path) -> None:
    hang = tmp_path / "hang.py"
    hang.write_text("import torch\n\nwhile True:\n    pass\n")
    start = time.monotonic()
    done = tsviz("inspect", str(hang), "--stage-timeout", "5")
    took = time.monotonic() - start
    assert done.returncode == 2 and took < 5 + 15, took  # the worker's start (torch's import) and the deadline
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert re.match(r"tsviz: error: hang\.py line [34]: timed out after 5 s while importing hang\.py", done.stderr)


def test_a_segfaulting_file_gives_exit_2_and_one_line_naming_the_signal(tmp_path: Path) -> None:
    segv = tmp_path / "segv.py"
    segv.write_text("import ctypes\n\nctypes.string_at(0)\n")
    done = tsviz("diff", str(segv))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("tsviz: error: segv.py line 3: the worker process crashed (SIGSEGV) while importing")


def test_os_exit_in_the_model_file_is_named_not_passed_on(tmp_path: Path) -> None:
    quitter = tmp_path / "quitter.py"
    quitter.write_text("import os\n\nos._exit(3)\n")
    done = tsviz("export-check", str(quitter))
    assert done.returncode == 2
    assert done.stderr.startswith("tsviz: error: quitter.py: the worker process exited with status 3 while importing")


def test_the_worker_cannot_read_host_files_from_the_command_line(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    peek = tmp_path / "peek.py"
    peek.write_text(f"import torch\n\nSECRET = open({str(secret)!r}).read()\n\ndef f(x):\n    return x\n")
    done = tsviz("inspect", str(peek), "--json")
    assert done.returncode == 2 and "No such file or directory" in done.stderr and "s3cret" not in done.stdout


def test_in_process_runs_here_without_the_worker_and_says_what_it_gives_up(tmp_path: Path) -> None:
    done = tsviz("inspect", "--help")
    assert "--in-process" in done.stdout and "no sandbox" in " ".join(done.stdout.split())
    marker = tmp_path / "ran_here.txt"
    model = tmp_path / "mine.py"
    model.write_text(f"import torch\n\nopen({str(marker)!r}, 'w').write('x')\n\ndef f(x):\n    return x + 1\n")
    sandboxed = tsviz("inspect", str(model), "--json")
    assert sandboxed.returncode == 2 and not marker.exists()  # the host path is not there in the sandbox
    here = tsviz("inspect", str(model), "--json", "--in-process")
    assert here.returncode == 0, here.stderr
    assert marker.exists() and json.loads(here.stdout)["entry"] == "f"


def test_the_tsviz_console_script_is_installed() -> None:
    import shutil

    assert shutil.which("tsviz"), "pip install -e . installs the tsviz command"
    done = tsviz("--help")
    assert done.returncode == 0 and "export-check" in done.stdout


# ---- nothing comes back silently empty ------------------------------------------------------------------


def test_a_graph_too_big_to_extract_is_said_everywhere(tmp_path: Path) -> None:
    """The 12-layer encoder's inlined graph is counted, not extracted: inspect says so in words and in JSON,
    and render refuses with exit 2 instead of writing a blank drawing."""
    model = str(SAMPLES / "transformer_12_layers.py")
    done = tsviz("inspect", model)
    assert done.returncode == 0, done.stderr
    assert re.search(r"inlined: [\d,]+ IR nodes, counted, not extracted \(see the note\)", done.stdout)
    assert "note: The inlined graph has" in done.stdout and "Open one submodule at a time" in done.stdout
    data = json.loads(tsviz("inspect", model, "--json").stdout)
    assert any(note.startswith("The inlined graph has") for note in data["notes"])
    assert not data["inlined_graph"]["nodes"] and sum(data["inlined_graph"]["op_counts"].values()) > 6000
    out = tmp_path / "inlined.svg"
    done = tsviz("render", model, "--view", "inlined", "--format", "svg", "--out", str(out))
    assert done.returncode == 2 and "too many to extract or draw (the limit is 6,000)" in done.stderr
    assert not out.exists()


def test_one_node_count_with_folding_named() -> None:
    done = tsviz("inspect", str(SAMPLES / "feed_forward.py"))
    assert "module graph: 10 IR nodes (7 drawn, constants folded)" in done.stdout, done.stdout


def test_tsviz_file_is_the_serve_command_and_refuses_what_it_cannot_open(tmp_path: Path) -> None:
    from tsviz.cli import main

    notes = tmp_path / "notes.bin"
    notes.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(40))  # the kind is read from the content, not the name
    assert main([str(notes)]) == 2  # `tsviz FILE` with a file tsviz does not read: refused before any server
    assert main(["serve", str(tmp_path / "missing.pt")]) == 2


def test_tsviz_file_opens_the_dashboard_on_saved_tensors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    import tsviz.ui.serve
    from tsviz.cli import main

    opened = []
    monkeypatch.setattr(tsviz.ui.serve, "serve", lambda file, *args, **kwargs: opened.append(file))
    weights = tmp_path / "ckpt.tar"
    torch.save({"epoch": 1, "model_state_dict": {"fc.weight": torch.zeros(2, 2)}}, weights)
    assert main([str(weights)]) == 0 and opened == [weights]  # the Archive page lists its tensors


# ---- the model's own prints come back in the answer, never on the JSON stream -----------------------------

CHATTY = "tests/corpus/chatty_model.py"  # prints at import (Python and C), in its constructor and in forward
CHATTY_PRINTS = ["chatty_model: loading (v0.3)", "chatty_model: a C library says hello",
                 "building Chatty with hidden=8", "forward got torch.Size([2, 4])"]


@pytest.mark.parametrize("where", [[], ["--in-process"]], ids=["worker", "in-process"])
def test_a_models_prints_are_in_the_json_field_and_never_before_it(where: list[str]) -> None:
    done = tsviz("inspect", CHATTY, "--mode", "trace", "--json", *where)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("{\n"), done.stdout[:200]  # nothing before the object ...
    data = json.loads(done.stdout)  # ... nor after it: the whole of stdout is one JSON object
    assert data["entry"] == "Chatty" and data["graph"]["nodes"]
    assert set(CHATTY_PRINTS) <= set(data["stdout"].splitlines()), data["stdout"]
    assert not any(line in done.stderr for line in CHATTY_PRINTS)  # in the field, not also on stderr


def test_a_models_prints_are_printed_lines_of_the_text_output() -> None:
    done = tsviz("inspect", CHATTY, "--mode", "trace", "--in-process")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "chatty_model.py: Chatty (trace)"  # the heading first: no print of the model above it
    assert {f"printed: {line}" for line in CHATTY_PRINTS} <= set(lines)
