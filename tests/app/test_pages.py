"""Pages through Streamlit's AppTest: the app opens on a drawn sample, modes switch, uploads work, errors are shown."""
from __future__ import annotations

import io
import json
import re

import pytest
import torch
from streamlit.testing.v1 import AppTest
from support.samples import ROOT
from torch import nn

PLAIN = (b"import torch\nfrom torch import nn\n\n\nclass Tiny(nn.Module):\n    def __init__(self):\n"
         b"        super().__init__()\n        self.fc = nn.Linear(3, 3)\n\n    def forward(self, x):\n"
         b"        return torch.relu(self.fc(x))\n")


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def shown(element) -> str:
    """An element's markdown (or a label) as a reader sees it: text from a model or a link is escaped
    (tsviz.ui.text.plain)."""
    markdown = element if isinstance(element, str) else element.value
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("  \n", "\n")


def component_data(at: AppTest, name: str) -> list[dict]:
    """What the page sent to each of our browser components called `name` (tsviz_graph, tsviz_code)."""
    found = [json.loads(e.proto.json) for e in at.get("bidi_component") if e.proto.component_name == name]
    return [{k: json.loads(v) if k in ("marks", "focus", "lines", "highlight") else v for k, v in d.items()}
            for d in found]  # lists and dicts are sent as JSON text (tsviz/ui/viewer.py)


def graphs(at: AppTest) -> list[str]:
    """Every graph drawn on the page: DOT of st.graphviz_chart, SVG of the graph viewer."""
    return [g.proto.spec for g in at.get("graphviz_chart")] + [d["svg"] for d in component_data(at, "tsviz_graph")]


def code_texts(at: AppTest) -> list[str]:
    return [c.value for c in at.code] + ["\n".join(d["lines"]) for d in component_data(at, "tsviz_code")]


def table(at: AppTest, column: str):
    """The first table drawn with st.dataframe that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.sidebar.radio(key="source_kind").set_value("Upload a file").run()
    return at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()


def test_opens_on_a_converted_sample_with_its_graph_and_code() -> None:
    at = app()
    assert not at.exception
    assert shown(at.header[0]) == "data_dependent_if.py · model() · script"
    assert len(graphs(at)) == 1 and "prim::If" in graphs(at)[0]
    assert any("def forward" in text for text in code_texts(at))


@pytest.mark.parametrize("mode", ["trace", "script", "hybrid"])
def test_each_mode_draws_the_hybrid_sample(mode: str) -> None:
    at = app()
    at.sidebar.selectbox(key="sample").set_value("hybrid.py").run()
    at.sidebar.radio(key="mode").set_value(mode).run()
    assert not at.exception and not at.error
    assert shown(at.header[0]) == f"hybrid.py · model() · {mode}"
    assert len(graphs(at)) == 1
    if mode == "hybrid":
        assert "[traced]" in graphs(at)[0]


def test_trace_warning_is_shown_next_to_the_graph() -> None:
    at = app()
    at.sidebar.radio(key="mode").set_value("trace").run()
    assert any("TracerWarning" in shown(w) and "line 20" in shown(w) for w in at.warning)


def test_inlined_view_and_unfolded_constants() -> None:
    at = app()
    folded = graphs(at)[0]
    at.segmented_control(key="view").set_value("inlined").run()
    at.toggle(key="fold").set_value(False).run()
    unfolded = graphs(at)[0]
    assert "prim::Constant" in unfolded and "prim::Constant" not in folded


def test_upload_py_without_convention_scripts_then_traces_with_given_shapes() -> None:
    at = upload(app(), "tiny.py", PLAIN)
    assert shown(at.header[0]) == "tiny.py · Tiny · script" and len(graphs(at)) == 1
    shape_box = next(t for t in at.sidebar.text_input if t.key.startswith("inputs:"))
    assert shape_box.value == "2x3 float32"  # suggested from the first nn.Linear, ready for trace mode
    at.sidebar.radio(key="mode").set_value("trace").run()
    assert not at.error and "Float(2, 3)" in graphs(at)[0]
    shape_box = next(t for t in at.sidebar.text_input if t.key.startswith("inputs:"))
    shape_box.set_value("5x3 float32").run()
    assert not at.error and "Float(5, 3)" in graphs(at)[0]


def test_what_the_model_printed_is_under_an_expander_of_the_graph_page() -> None:
    at = upload(app(), "chatty_model.py", (ROOT / "tests" / "corpus" / "chatty_model.py").read_bytes())
    assert not at.exception and len(graphs(at)) == 1
    printed = next(e for e in at.expander if e.label == "The model printed")
    assert "building Chatty with hidden=8" in printed.code[0].value
    assert "chatty_model: loading (v0.3)" in printed.code[0].value


def test_unreadable_input_shape_is_explained() -> None:
    at = upload(app(), "tiny.py", PLAIN)
    next(t for t in at.sidebar.text_input if t.key.startswith("inputs:")).set_value("three by two").run()
    at.sidebar.radio(key="mode").set_value("trace").run()
    assert any("cannot read the input 'three by two'" in shown(e) for e in at.sidebar.error)


MNIST_SIZED = (b"import torch\nfrom torch import nn\n\n\nclass Digits(nn.Module):\n    def __init__(self):\n"
               b"        super().__init__()\n        self.conv = nn.Conv2d(1, 4, 3)\n"
               b"        self.fc = nn.Linear(4 * 26 * 26, 10)\n\n    def forward(self, x):\n"
               b"        return self.fc(torch.flatten(self.conv(x), 1))\n")


def test_input_fields_follow_the_workers_guess_until_edited() -> None:
    at = upload(app(), "digits.py", MNIST_SIZED)
    field = next(t for t in at.sidebar.text_input if t.key.startswith("inputs:"))
    assert field.value == "1x1x32x32 float32"  # script mode runs nothing, so its guess is not tried
    at.sidebar.radio(key="mode").set_value("trace").run()
    assert not at.exception and not at.error
    field = next(t for t in at.sidebar.text_input if t.key.startswith("inputs:"))
    assert field.value == "1x1x28x28 float32"  # the guess the model runs on, kept by the worker
    field.set_value("1x1x28x28 float64").run()
    assert next(t for t in at.sidebar.text_input if t.key.startswith("inputs:")).value == "1x1x28x28 float64"


def test_choices_survive_a_page_switch() -> None:
    at = app()
    at.sidebar.selectbox(key="sample").set_value("loop_over_dim.py").run()
    at.sidebar.radio(key="mode").set_value("trace").run()
    at.switch_page("pages/1_Model_overview.py").run()
    assert shown(at.header[0]) == "Overview of loop_over_dim.py"
    assert at.sidebar.radio(key="mode").value == "trace"


def test_upload_torchscript_archive() -> None:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Sequential(nn.Linear(2, 2), nn.Tanh())), buffer)
    at = upload(app(), "seq.pt", buffer.getvalue())
    assert shown(at.header[0]) == "seq.pt · forward · archive" and len(graphs(at)) == 1


def test_bad_upload_shows_an_error_and_the_app_keeps_working() -> None:
    at = upload(app(), "broken.py", b"import torch\n\nclass M(:\n")
    assert "broken.py line 3: syntax error" in shown(at.error[0]) and not at.exception
    at.sidebar.radio(key="source_kind").set_value("Sample model").run()
    assert not at.error and len(graphs(at)) == 1


def test_state_dict_upload_says_what_to_upload_instead() -> None:
    buffer = io.BytesIO()
    torch.save(nn.Linear(2, 2).state_dict(), buffer)
    at = upload(app(), "weights.pt", buffer.getvalue())
    assert "the **Archive** page lists them" in shown(at.sidebar.info[0]) and not at.exception
    message = shown(at.info[0])
    assert "torch.save file" in message and "state dict" in message and "the `.py` that defines it" in message


def test_model_overview_page() -> None:
    at = app()
    at.switch_page("pages/1_Model_overview.py").run()
    assert not at.exception
    assert shown(at.header[0]) == "Overview of data_dependent_if.py"
    assert "Ops in the inlined graph" in " ".join(shown(s) for s in at.subheader)
    assert at.dataframe[0].value["entry"].tolist() == ["model()", "Gate"]  # the entry points table


def diff_page(sample: str = "") -> AppTest:
    at = app()
    if sample:
        at.sidebar.selectbox(key="sample").set_value(sample).run()
    return at.switch_page("pages/2_Trace_vs_script.py").run()


def test_trace_vs_script_page_shows_verdicts_outputs_hazards_and_graphs() -> None:
    at = diff_page()
    assert not at.exception
    assert shown(at.header[0]) == "Trace vs script · data_dependent_if.py"
    assert shown(at.error[0]).startswith("trace differs from eager on inputs")
    assert shown(at.success[0]).startswith("script matches eager on all")
    table = at.dataframe[0].value
    assert table.loc[table["input"] == "example negated", "trace"].item().startswith("✘")
    assert at.radio(key="hazard").options == ["Wrong output · line 20 · TracerWarning",
                                              "Wrong output · line 20 · Control flow lost"]
    trace_svg, script_svg = graphs(at)
    assert "prim::If" in script_svg and "prim::If" not in trace_svg
    assert 'stroke="#c62828"' in script_svg  # nodes with no counterpart in the trace are outlined


def test_clicking_a_node_of_the_compared_graphs_shows_its_details_and_line() -> None:
    at = diff_page()
    script_if = next(d for d in component_data(at, "tsviz_graph") if "prim::If" in d["svg"])
    assert script_if["layout"].endswith(":script")
    if_node = re.search(r"<title>(n\d+)</title>(?:(?!</g>).)*prim::If", script_if["svg"], re.S).group(1)
    at.session_state["pair_node"] = (script_if["layout"], if_node)  # what a click on that node of that drawing sets
    at.run()
    assert any(shown(m).startswith("**` prim::If `**") and "line 20" in shown(m) for m in at.markdown)
    assert any("→   20" in c.value for c in at.code)


def test_picking_a_hazard_shows_its_line_and_marks_its_nodes() -> None:
    at = diff_page("loop_over_dim.py")
    at.radio(key="hazard").set_value(0).run()
    assert any("→   21          for t in range(x.shape[0]):" in c.value for c in at.code)
    script = component_data(at, "tsviz_graph")[1]
    assert "selected" in script["marks"].values() and script["focus"]  # the prim::Loop made by line 21, in view
    assert any("unrolled" in shown(m) for m in at.markdown)


def test_loosening_the_tolerance_changes_the_verdict_without_rerunning() -> None:
    at = diff_page("len_vs_shape.py")
    assert at.error and shown(at.error[0]).startswith("trace differs")
    at.select_slider(key="diff_atol").set_value(0.1).run()
    at.select_slider(key="diff_rtol").set_value(0.1).run()
    assert at.error and shown(at.error[0]).startswith("trace differs")  # still differs: the gap is about 0.3 / 50 %
    assert "within 1e-01 absolutely" in " ".join(shown(c) for c in at.caption)


def test_diff_page_with_hybrid_and_a_code_diff() -> None:
    at = diff_page("hybrid.py")
    at.toggle(key="diff_hybrid").set_value(True).run()
    assert [shown(s).split(" ")[0] for s in at.success] == ["script", "hybrid"]
    assert len(graphs(at)) == 3
    assert any(c.language == "diff" and "+  while" in c.value for c in at.code)


def test_diff_page_explains_archives_and_uploads_with_errors() -> None:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), buffer)
    at = upload(app(), "lin.pt", buffer.getvalue()).switch_page("pages/2_Trace_vs_script.py").run()
    assert "needs the model's Python source" in shown(at.info[0]) and not at.exception
    at = upload(app(), "broken.py", b"import torch\n\nclass M(:\n")
    at.switch_page("pages/2_Trace_vs_script.py").run()
    assert "broken.py line 3: syntax error" in shown(at.error[0]) and not at.exception


RECORDED = {  # what the worker would answer, so the page test does not time anything
    "eager": (0.0040, 0.0001), "trace": (0.0031, 0.0002), "script": (0.0030, 0.0009), "frozen": (0.0025, 0.0001),
}


@pytest.fixture
def recorded_bench(monkeypatch):
    from tsviz.model.types import BenchRow, DeviceInfo
    from tsviz.ui import jobs

    calls = []
    real = jobs.run_job

    def fake_run_bench(job):
        calls.append((job.variant, job.device))
        median, iqr = RECORDED[job.variant]
        return type("R", (), {"rows": tuple(
            BenchRow(job.variant, job.device, b, median_s=median * b, iqr_s=iqr, runs=20, number_per_run=10,
                     matches_eager=job.variant != "trace" or b == 1, noisy=iqr > 0.1 * median,
                     device_name="CPU, 1 thread") for b in job.batch_sizes)})()

    fakes = {"bench": fake_run_bench, "devices": lambda: DeviceInfo(cpu_count=2)}
    monkeypatch.setattr(
        jobs,
        "run_job",
        lambda name, *request, **kw: fakes[name](*request) if name in fakes else real(name, *request, **kw),
    )
    return calls


def bench_page() -> AppTest:
    return app().switch_page("pages/3_Benchmarks.py").run()


def test_benchmark_page_runs_every_variant_and_shows_table_and_charts(recorded_bench) -> None:
    at = bench_page()
    assert not at.exception and "No CUDA GPU on this machine: CPU only." in shown(at.caption[0])
    assert at.multiselect(key="bench_devices").options == ["cpu"]
    at.button[0].click().run()  # the form's Run benchmark
    assert recorded_bench == [("eager", "cpu"), ("trace", "cpu"), ("script", "cpu"), ("frozen", "cpu")]
    table = at.dataframe[0].value
    assert len(table) == 8 and set(table["variant"]) == set(RECORDED)
    assert table.loc[(table["variant"] == "trace") & (table["batch_size"] == 8), "check"].item() == "DIFFERS from eager"
    assert table.loc[table["variant"] == "script", "noise"].str.startswith("noisy").all()
    assert len(at.get("plotly_chart")) == 3
    assert shown(at.subheader[0]) == "8 measurements · 2 noisy"


def test_benchmark_csv_upload_is_plotted_beside_the_local_run(recorded_bench) -> None:
    from tsviz.model.types import BenchRow
    from tsviz.report.bench import rows_frame, to_csv

    at = bench_page()
    at.button[0].click().run()
    gpu = rows_frame([BenchRow("eager", "cuda", 1, median_s=0.0004, iqr_s=0.00001, runs=50, matches_eager=True,
                               device_name="NVIDIA H200")], "gpu-server")
    at.file_uploader(key="bench_csv").set_value(("gpu.csv", to_csv(gpu).encode(), "text/csv")).run()
    table = at.dataframe[0].value
    assert set(table["run"]) == {"this machine", "gpu-server"} and "NVIDIA H200" in set(table["device_name"])
    assert len(at.get("plotly_chart")) == 3


def test_benchmark_page_refuses_a_bad_csv_and_keeps_working(recorded_bench) -> None:
    at = bench_page()
    at.file_uploader(key="bench_csv").set_value(("notes.csv", b"a,b\n1,2\n", "text/csv")).run()
    assert "notes.csv line 1: the CSV has no column" in shown(at.error[0]) and not at.exception


def test_benchmark_page_for_an_archive_explains_why_it_cannot_run(recorded_bench) -> None:
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Linear(2, 2)), buffer)
    at = upload(app(), "lin.pt", buffer.getvalue()).switch_page("pages/3_Benchmarks.py").run()
    assert "cannot be traced or scripted again" in shown(at.info[0]) and not at.exception


def test_without_a_sandbox_uploads_are_refused_to_other_machines(monkeypatch) -> None:
    """The probe failed: the sidebar says so with its reason; a browser that is not on the server's machine gets
    the refusal and no uploader (samples still work); one on the machine, or any once the operator allows it,
    gets the uploader."""
    from tsviz.client import sandbox
    from tsviz.ui import page

    monkeypatch.setattr(sandbox, "status", lambda: sandbox.Status((), "bubblewrap (bwrap) is not installed"))
    monkeypatch.delenv(sandbox.ALLOW_ENV, raising=False)
    monkeypatch.setattr(page, "client_address", lambda: "192.0.2.7")
    at = app()
    assert [shown(w) for w in at.sidebar.warning] == [
        "NOT sandboxed (bubblewrap (bwrap) is not installed): uploads run in a plain worker process for browsers "
        "on this machine only (samples for everyone)"]
    assert len(graphs(at)) == 1  # the sample
    at.sidebar.radio(key="source_kind").set_value("Upload a file").run()
    assert shown(at.sidebar.error[0]).startswith("Uploads are off for browsers on other machines")
    assert shown(at.warning[0]).startswith("This server cannot sandbox uploads") and not at.file_uploader
    monkeypatch.setattr(page, "client_address", lambda: "127.0.0.1")
    assert at.run().file_uploader
    monkeypatch.setattr(page, "client_address", lambda: None)  # not known: refused
    assert not at.run().file_uploader
    monkeypatch.setenv(sandbox.ALLOW_ENV, "1")
    assert at.run().file_uploader


def test_widgets_appearing_with_their_defaults_do_not_rerun_the_conversion(monkeypatch) -> None:
    from tsviz.ui import jobs

    calls = []
    real = jobs.run_job
    def counted(name, request, **kw):
        if name == "inspect":
            calls.append(request)
        return real(name, request, **kw)

    monkeypatch.setattr(jobs, "run_job", counted)
    at = app()
    at.toggle(key="fold").set_value(False).run()  # the entry selectbox now holds "model()"
    assert len(set(calls)) == 1
    at.sidebar.radio(key="mode").set_value("hybrid").run()
    at.toggle(key="fold").set_value(True).run()  # the picks multiselect now holds the default picks
    assert len(set(calls)) == 2 and calls[-1].trace_submodules is None and calls[-1].entry == ""


def test_a_job_waiting_for_the_worker_says_so_and_then_shows_its_result(monkeypatch) -> None:
    """The queue's notice is drawn while the job waits (AppTest keeps the last frame, so record the calls)."""
    from tsviz.ui import jobs

    said = []
    real = jobs.run_job

    def queued(name, request, on_wait=None, **kw):
        on_wait("Waiting for the worker: 3 jobs ahead of yours")
        said.append(True)
        return real(name, request, **kw)

    monkeypatch.setattr(jobs, "run_job", queued)
    original_empty = jobs.st.empty
    notes = []

    def recording_empty():
        slot = original_empty()
        real_info = slot.info
        slot.info = lambda body, **kw: notes.append(body) or real_info(body, **kw)
        return slot

    monkeypatch.setattr(jobs.st, "empty", recording_empty)
    at = app()
    assert said and notes == [
        "Waiting for the worker: 3 jobs ahead of yours. Converting data_dependent_if.py starts as soon as it is free."
    ]
    assert len(graphs(at)) == 1 and not at.info  # the notice is gone once the result is there


def test_an_upload_over_the_limit_is_refused_and_the_previous_model_stays(monkeypatch) -> None:
    from tsviz.ui import page

    at = upload(app(), "small.py", b"import torch\n\ndef f(x):\n    return x * 3\n")
    assert len(graphs(at)) == 1
    real_check = page.check_upload
    monkeypatch.setattr(page, "check_upload", lambda name, size: real_check(name, 51 * 2**20))  # as if 51 MB
    at.file_uploader(key="upload").set_value(("huge.py", b"x = 1\n", "application/octet-stream")).run()
    assert "huge.py: the file is 51.0 MB" in shown(at.sidebar.error[0])
    assert at.session_state["uploaded"][0] == "small.py" and len(graphs(at)) == 1


# ---- walking the graph: submodules, search, selection, permalinks -------------------------------------------


def walk_app(**params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def test_a_permalink_opens_the_submodule_the_search_and_the_selected_node() -> None:
    at = walk_app(sample="resnet_style.py", path="layer1.0", q="conv", node="n6")
    assert not at.exception and shown(at.header[0]) == "resnet_style.py · model() · script"
    (drawn,) = component_data(at, "tsviz_graph")
    assert "conv1.forward()" in drawn["svg"] and "layer1.forward()" not in drawn["svg"]
    assert sorted(m for m in drawn["marks"].values()) == ["match", "match", "selected"]
    assert drawn["focus"] == ["n6"]
    assert [shown(b.label) for b in at.button if b.key and b.key.startswith("crumb:")] == ["model()", "layer1",
                                                                                    "0 · BasicBlock"]
    code, source = component_data(at, "tsviz_code")
    assert source["highlight"] == [26] and "torch.relu" in code["lines"][code["highlight"][0] - 1]
    assert any("2 matches for “conv”" in shown(c) for c in at.caption)


def test_the_breadcrumb_goes_back_up_and_the_url_follows() -> None:
    at = walk_app(sample="resnet_style.py", path="layer1.0")
    at.button(key="crumb:").click().run()
    (drawn,) = component_data(at, "tsviz_graph")
    assert "layer1.forward()" in drawn["svg"]
    assert "path" not in at.query_params and at.query_params["sample"] == "resnet_style.py"


def test_a_picked_source_line_marks_its_nodes() -> None:
    at = walk_app(sample="data_dependent_if.py", line="20")
    (drawn,) = component_data(at, "tsviz_graph")
    assert len(drawn["marks"]) == 4 and set(drawn["marks"].values()) == {"selected"}  # sum, gt, Bool, If
    assert drawn["focus"] == sorted(drawn["marks"])


def test_the_report_button_offers_the_html_file() -> None:
    at = walk_app(sample="data_dependent_if.py")
    at.button(key="make_report").click().run()
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")].count("report.html") == 1
    assert (
        at.session_state["report"][1].startswith("<!doctype html>")
        and "Control flow lost" in at.session_state["report"][1]
    )


def test_teaching_mode_puts_the_lesson_beside_a_zoomed_graph_and_stays_in_the_link() -> None:
    at = walk_app(sample="loop_over_dim.py", teach="1")
    assert at.sidebar.toggle(key="teach").value is True
    assert not at.expander  # the lesson is not folded away: it stands beside the graph
    assert any("tracing unrolls it" in shown(m) for m in at.markdown)
    (drawn,) = component_data(at, "tsviz_graph")
    assert drawn["zoom"] > 1 and drawn["height"] > 620
    assert at.query_params["teach"] == "1"


def test_an_archive_links_its_nodes_to_the_code_stored_in_it() -> None:
    from support.samples import archive_bytes, inspect_sample

    at = upload(app(), "gate.pt", archive_bytes(inspect_sample("data_dependent_if.py", "script")))
    drawn = component_data(at, "tsviz_graph")[0]
    gt = re.search(r"<title>(n\d+)</title>(?:(?!</g>).)*aten::gt", drawn["svg"], re.S).group(1)
    at.session_state["gnode"] = gt  # what a click on the aten::gt node sets
    at.run()
    code, source = component_data(at, "tsviz_code")
    (line,) = source["highlight"]
    assert "torch.gt(" in source["lines"][line - 1]
    assert any("first written at data_dependent_if.py line 20" in shown(m) for m in at.markdown)
    at.session_state["gnode"] = ""
    at.session_state["gline"] = line  # a click on that line of the stored code marks the nodes it made
    at.run()
    assert gt in component_data(at, "tsviz_graph")[0]["marks"]


def test_passes_page_opens_on_freeze_with_both_graphs_and_the_summary() -> None:
    at = walk_app(sample="resnet_style.py")
    at.switch_page("pages/4_Passes.py").run()
    assert not at.exception and shown(at.header[0]) == "Passes · resnet_style.py"
    steps = table(at, "what changed")
    assert list(steps["pass"]) == ["start", "inline", "constant_propagation", "dce", "freeze", "optimize_for_inference",
                                   "profiled_run"]
    assert at.session_state["pass_step"] == 4
    assert any(shown(m).startswith("**freeze: 20 conv+bn folded") for m in at.markdown)
    before, after = component_data(at, "tsviz_graph")
    assert "aten::batch_norm" in before["svg"] and "aten::batch_norm" not in after["svg"]
    at.multiselect(key="passes").set_value(["inline", "dce"]).run()
    assert at.session_state["pass_step"] == 1 and not at.exception


def test_archive_page_shows_the_module_tree_tensors_and_annotated_code() -> None:
    at = walk_app(sample="feed_forward.py")
    at.switch_page("pages/5_Archive.py").run()
    assert not at.exception and shown(at.header[0]) == "Archive · feed_forward.py saved in script mode"
    modules = table(at, "methods")
    assert list(modules["module"]) == ["(the model)", "fc1", "fc2", "head"]
    at.selectbox(key="archive_module").set_value("fc2").run()
    assert list(table(at, "tensor")["tensor"]) == ["fc2.weight", "fc2.bias"]
    biggest = at.dataframe[2].value  # the next tab's table: every tensor, biggest first
    assert list(biggest["tensor"][:2]) == ["fc2.weight", "fc1.weight"] and len(biggest) == 6
    at.selectbox(key="archive_module").set_value("").run()
    assert any("# ← feed_forward.py line" in c.value for c in at.code)


def test_migrate_page_shows_the_ladder_the_blocker_and_its_line() -> None:
    at = walk_app(sample="data_dependent_if.py")
    at.switch_page("pages/6_Migrate.py").run()
    assert not at.exception and shown(at.error[0]).startswith("torch.export refuses this model: 1 blocker")
    ladder = table(at, "rung")
    assert list(ladder["rung"]) == ["script", "non-strict", "strict", "draft_export", "aoti"]
    assert list(ladder["result"]) == ["✔ pass", "✘ fail", "✘ fail", "✘ fail", "– skipped"]
    assert any(shown(m).startswith("**Data-dependent control flow** · line 20") for m in at.markdown)
    assert any("→   20" in c.value for c in at.code)
    at.sidebar.selectbox(key="sample").set_value("feed_forward.py").run()
    assert shown(at.success[0]).startswith("Exports with torch.export") and not at.exception
    assert len(component_data(at, "tsviz_graph")) == 2
    assert table(at, "torch.export").set_index("op").loc["aten::linear", "torch.export"] == 3
    assert at.get("download_button")  # the .pt2


def test_migrate_page_converts_an_archive_and_reruns_with_torchs_fixes() -> None:
    from support.samples import archive_bytes, inspect_sample

    at = upload(app(), "gate.pt", archive_bytes(inspect_sample("data_dependent_if.py", "script")))
    at.switch_page("pages/6_Migrate.py").run()
    assert not at.exception and shown(at.success[0]).startswith("Converts with TS2EPConverter")
    ladder = table(at, "rung").set_index("rung")
    assert ladder.loc["ts2ep", "result"] == "✔ pass" and "matches the archive on 7 inputs" in ladder.loc["ts2ep",
                                                                                                       "outputs"]
    assert any("prim::If" in d["svg"] for d in component_data(at, "tsviz_graph"))
    assert any("higher_order::cond" in d["svg"] for d in component_data(at, "tsviz_graph"))
    at = walk_app(sample="len_vs_shape.py").switch_page("pages/6_Migrate.py").run()
    assert "batch = 4" in [c.value for c in at.code]
    at.button(key="apply_fixes").click().run()
    assert table(at, "rung").set_index("rung").loc["dynamic batch", "result"] == "✔ pass"


SHAPE_BUG = (b"import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def forward(self, x):\n"
             b"        return x @ torch.ones(3, 3)\n\n\ndef example_inputs():\n    return (torch.ones(2, 4),)\n")


@pytest.mark.parametrize("page", ["pages/4_Passes.py", "pages/5_Archive.py", "pages/6_Migrate.py"])
def test_new_pages_say_what_went_wrong_and_where(page: str) -> None:
    at = upload(app(), "broken.py", b"import torch\n\nclass M(:\n").switch_page(page).run()
    assert not at.exception and "broken.py line 3: syntax error" in shown(at.error[0])
    at = upload(at, "shapes.py", SHAPE_BUG).switch_page(page).run()  # converts in script mode; fails when run
    assert not at.exception
    if page.endswith("Passes.py"):
        assert any(shown(m).startswith("**profiled_run: failed (RuntimeError: mat1 and mat2 shapes cannot be")
                   for m in at.markdown)
    elif page.endswith("Migrate.py"):
        assert any(shown(m).startswith("**Other** · line 7 of shapes.py") for m in at.markdown)
    else:
        assert table(at, "methods")["type"].iloc[0] == "M"


def test_every_page_keeps_its_model_in_the_link() -> None:
    at = walk_app(sample="resnet_style.py")
    at.switch_page("pages/4_Passes.py").run()
    at.sidebar.selectbox(key="sample").set_value("feed_forward.py").run()
    assert at.query_params["sample"] == "feed_forward.py" and at.query_params["mode"] == "script"
    assert "path" not in at.query_params  # the graph page's walk is its own


def test_an_archives_inputs_for_the_migrate_page_come_from_the_sidebar() -> None:
    from support.samples import archive_bytes, inspect_sample

    at = upload(app(), "cell.pt", archive_bytes(inspect_sample("recurrent_cell.py", "script")))
    fields = [t for t in at.sidebar.text_input if t.key.startswith("inputs:")]
    assert [t.label.replace("\\", "") for t in fields] == ["x: Tensor", "h: Tensor"]  # each with its schema type
    fields[0].set_value("5x4 float32")
    fields[1].set_value("5x4 float32")
    at.switch_page("pages/6_Migrate.py").run()
    assert not at.exception and "Every rung ran on 5x4 float32, 5x4 float32." in [shown(c) for c in at.caption]


def test_an_uploaded_archive_downloads_whatever_its_size() -> None:
    """A 17 MB archive, over the 8 MB a converted .pt may take in the worker's answer, is offered for download
    as it came, its size in MB as the uploader counts them (decimal)."""
    import io

    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(nn.Linear(2048, 2048)), buffer)
    data = buffer.getvalue()
    at = upload(app(), "big.pt", data)
    assert not at.exception and len(graphs(at)) == 1
    [button] = [b for b in at.get("download_button") if b.proto.label == ".pt"]
    assert "16.79 MB" in button.proto.help and len(data) > 16_000_000


def project_zip() -> bytes:
    from tsviz.model.uploads import zip_files

    root = ROOT / "tests/corpus/segmenter_repo"
    return zip_files({p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.py")
                      if "__pycache__" not in p.parts})


def test_a_project_zip_opens_on_its_model_file_with_its_package_imported() -> None:
    at = upload(app(), "segmenter.zip", project_zip())
    assert not at.exception
    assert at.sidebar.selectbox(key="zip_member").value == "segnet/model.py"  # model.py ranks first
    assert shown(at.header[0]) == "segnet/model.py · SegNet · script"
    assert any("first of the file's 3 networks" in shown(c) for c in at.caption)
    assert any("more files of its project" in e.label for e in at.expander)
    assert len(graphs(at)) == 1


def test_a_model_file_with_its_siblings_uploaded_beside_it_imports_them() -> None:
    at = upload(app(), "net.py", b"from blocks import Block\n\n\nclass Net(Block):\n    pass\n")
    assert at.error and "No module named" not in at.error[0].value  # blocks is stood in, then used: named
    at.file_uploader(key="upload_siblings").set_value(
        [("blocks.py", b"import torch\n\n\nclass Block(torch.nn.Module):\n    def forward(self, x):\n"
                       b"        return x + 1\n", "text/x-python")]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert shown(at.header[0]) == "net.py · Net · script" and len(graphs(at)) == 1


def test_a_file_that_does_not_import_shows_its_line_marked_and_what_it_defines() -> None:
    source = b"import torch\nfrom torch import nn\nfrom .parts import Block\n\n\nclass Net(nn.Module):\n    pass\n"
    at = upload(app(), "net.py", source)
    assert at.error and "net.py line 3: importing the file failed" in shown(at.error[0].value)
    assert "open it from its project" in shown(at.error[0].value)
    labels = [e.label for e in at.expander]
    assert "The whole file, line 3 marked" in labels
    assert any(label.startswith("What the file defines (1)") for label in labels)
    assert any("→    3  from .parts import Block" in c.value for c in at.code)
