"""The ONNX rung: torch.onnx.export(..., dynamo=True), onnx.checker, a run in onnxruntime on the CPU, its outputs
checked against Python's and timed. A refusal is the rung's verdict, with its reason and the user's line.

An archive has no Python source to export: TS2EPConverter (torch's converter for exactly this) makes it an
ExportedProgram first, which torch.onnx.export takes as it is.
"""
from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path
from typing import Any

import torch

from tsviz.analysis.export import blocker_of
from tsviz.analysis.outputs import error_text
from tsviz.model import jobfiles
from tsviz.model.deploy import DeployRequest, DeployRun

HOW = "torch.onnx.export(model, inputs, dynamo=True), onnx.checker, onnxruntime (CPU)"


def onnx_run(model: Any, inputs: tuple, reference: Any, request: DeployRequest, tmp: str,
             user_path: str = "") -> tuple[DeployRun, jobfiles.JobFile | None]:
    """The rung and the .onnx it exported (a job file), or the refusal and None."""
    from tsviz.deploy.run import checked, python_threads, timings  # one place for checks and timings

    try:
        import onnx
        import onnxruntime
    except ImportError as e:
        return DeployRun("onnxruntime", False, None, None, None, reason=f"ONNX rung skipped: {e.name} is not "
                         "installed (pip install -r requirements.txt)", how=HOW), None
    path = Path(tmp) / "model.onnx"
    try:
        exported = _export(model, inputs)
        exported.save(str(path))
    except Exception as e:  # the exporter's refusal is this rung's finding
        cause = e.__cause__ or e
        blocker = blocker_of(cause, "onnx", user_path) if user_path else None
        reason = f"torch.onnx.export refused it: {error_text(cause)}"
        return DeployRun("onnxruntime", False, None, None, None, reason=reason,
                         line=blocker.line if blocker else 0, how=HOW), None
    try:
        onnx.checker.check_model(str(path))
    except Exception as e:
        return DeployRun("onnxruntime", False, None, None, None, reason=f"onnx.checker refused the exported "
                         f"model: {error_text(e)}", how=HOW), None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # as the other rungs: T threads are T calls at once
    options.inter_op_num_threads = 1
    try:
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        feed = {n: x.detach().cpu().numpy() for n, x in zip(names, [x for x in inputs if isinstance(x, torch.Tensor)])}

        def call(*_: Any) -> list:
            return session.run(None, feed)

        outputs = call()
    except Exception as e:
        return DeployRun("onnxruntime", False, None, None, None, reason=f"onnxruntime could not run it: "
                         f"{error_text(e)}", how=HOW), None
    got = tuple(torch.from_numpy(o) for o in outputs)
    ok, diff, reason = checked(reference if isinstance(reference, (tuple, list)) else (reference,), got,
                                 request)
    median, p90, iqr = timings(call, inputs, request.iters)
    rates = python_threads(call, inputs, _counts(request))
    saved = jobfiles.write("model.onnx", lambda target: Path(target).write_bytes(path.read_bytes()))
    how = f"{HOW} {onnxruntime.__version__}, onnx {onnx.__version__}"
    return DeployRun("onnxruntime", ok, diff, median, p90, iqr, rates, reason, how=how), saved


def _export(model: Any, inputs: tuple) -> Any:
    """torch.onnx.export with the exporter's progress prints kept off the job's output."""
    if isinstance(model, torch.jit.ScriptModule):
        from torch._export.converter import TS2EPConverter

        model = TS2EPConverter(model, inputs).convert()
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()):
        return torch.onnx.export(model, inputs, dynamo=True, verbose=False)


def _counts(request: DeployRequest) -> tuple[int, ...]:
    from tsviz.model.deploy import thread_counts

    return thread_counts(request.threads)
