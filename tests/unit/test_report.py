"""The review report: one HTML file that opens without a network, with everything escaped."""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace

from support.samples import ROOT, SAMPLES, inspect_sample, request_for

from tsviz.analysis.diff import diff_file
from tsviz.graph.dot import to_dot
from tsviz.graph.fold import fold_constants
from tsviz.graph.layout import render_svg
from tsviz.model.types import DiffRequest
from tsviz.report.review import build_report


def test_the_report_holds_graph_code_source_and_findings_and_needs_no_network() -> None:
    result = inspect_sample("loop_over_dim.py", "script")
    diff = diff_file(DiffRequest(request_for("loop_over_dim.py", (SAMPLES / "loop_over_dim.py").read_bytes())))
    page = build_report(result, render_svg(to_dot(fold_constants(result.graph))), diff=diff)
    assert page.startswith("<!doctype html>") and "<svg" in page and "prim::Loop" in page
    assert "trace differs from eager on inputs" in page and "Control flow lost" in page
    assert "def forward(self" in page and "for t in range(x.shape[0]):" in page
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # namespaces, never fetched
    assert page.count("<script>") == 1 and "<link" not in page and "src=" not in page


def test_text_from_the_model_is_escaped() -> None:
    result = replace(inspect_sample("feed_forward.py", "script"), doc="<script>alert('owned')</script>",
                     source="x = '<img src=x onerror=alert(1)>'\n")
    page = build_report(result, "")
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page and "<img" not in page


def test_report_on_the_command_line(tmp_path) -> None:
    out = tmp_path / "review" / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "tsviz", "report", str(SAMPLES / "data_dependent_if.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    page = out.read_text()
    assert "data_dependent_if.py · model() · script" in page and "Control flow lost" in page and "prim::If" in page
