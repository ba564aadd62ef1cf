"""Benchmarks: the harness on tiny models, the CSV round trip, the no-GPU path, and CUDA where there is one."""
from __future__ import annotations

import pytest
import torch
from support.samples import SAMPLES, request_for

from tsviz.analysis.bench import bench_variant, measure
from tsviz.model.errors import InputError
from tsviz.model.inputs import parse_sizes
from tsviz.model.types import BenchJob, BenchRow
from tsviz.report.bench import plan_jobs, read_csv, rows_frame, to_csv, with_speedup

QUICK = dict(batch_sizes=(1, 4), min_run_time=0.02, warmup=2)


def job(name: str, variant: str, **options) -> BenchJob:
    return BenchJob(request_for(name, (SAMPLES / name).read_bytes()), variant, **{**QUICK, **options})


@pytest.mark.parametrize("variant", ["eager", "trace", "script", "frozen", "optimized"])
def test_each_variant_of_a_small_model_is_timed_and_checked(variant: str) -> None:
    rows = bench_variant(job("feed_forward.py", variant)).rows
    assert [(r.variant, r.device, r.batch_size) for r in rows] == [(variant, "cpu", 1), (variant, "cpu", 4)]
    for row in rows:
        assert not row.error and row.matches_eager
        assert 0 < row.median_s < 1 and row.iqr_s >= 0 and row.runs >= 1 and row.number_per_run >= 1
        assert row.device_name == "CPU, 1 thread"


def test_a_trace_that_is_wrong_at_another_batch_size_is_flagged_not_hidden() -> None:
    rows = {r.batch_size: r for r in bench_variant(job("len_vs_shape.py", "trace", batch_sizes=(4, 6))).rows}
    assert rows[4].matches_eager and not rows[6].matches_eager and rows[6].median_s > 0


def test_forms_that_need_a_module_say_so_on_their_rows() -> None:
    rows = bench_variant(job("free_functions.py", "frozen")).rows
    assert len(rows) == 2 and all("frozen needs an nn.Module" in r.error for r in rows)


def test_a_size_the_eager_model_rejects_is_an_error_row_and_the_sweep_goes_on() -> None:
    rows = bench_variant(job("feed_forward.py", "eager", batch_sizes=(2,), seq_lens=(5, 16))).rows
    by_seq = {r.seq_len: r for r in rows}
    assert "the eager model fails at this size" in by_seq[5].error and not by_seq[16].error


def test_measure_uses_torch_utils_benchmark() -> None:
    layer = torch.nn.Linear(4, 4).eval()
    measurement = measure(layer, (torch.ones(2, 4),), warmup=1, min_run_time=0.01, threads=1)
    assert type(measurement).__name__ == "Measurement" and measurement.median > 0


def test_csv_round_trip_keeps_every_row() -> None:
    rows = (BenchRow("eager", "cpu", 1, median_s=0.002, iqr_s=0.0001, runs=20, number_per_run=10, matches_eager=True,
                     device_name="CPU, 1 thread"),
            BenchRow("frozen", "cpu", 1, median_s=0.001, iqr_s=0.0002, runs=30, number_per_run=10, matches_eager=True,
                     noisy=True, note="torch.jit.freeze of the scripted module"),
            BenchRow("trace", "cpu", 1, error="tsviz: boom, with a comma"))
    frame = rows_frame(rows, "laptop")
    again = read_csv(to_csv(frame).encode(), "laptop.csv")
    assert again.to_dict("records") == frame.to_dict("records")
    assert with_speedup(again).set_index("variant").loc["frozen", "speedup"] == pytest.approx(2.0)


def test_a_csv_from_another_tool_is_refused_with_the_file_and_the_fix() -> None:
    with pytest.raises(InputError, match="no column batch_size, device") as caught:
        read_csv(b"variant,median_s,iqr_s,runs,matches_eager\neager,1,0,1,True\n", "other.csv")
    assert caught.value.file == "other.csv" and "tsviz bench --csv" in caught.value.hint
    header = "variant,device,batch_size,median_s,iqr_s,runs,matches_eager\n"
    with pytest.raises(InputError, match="row 2 has a value that is not a number") as caught:
        read_csv((header + "eager,cpu,1,0.1,0,1,True\neager,cpu,8,fast,0,1,True\n").encode(), "hand.csv")
    assert caught.value.line == 3


def test_a_csv_without_a_run_column_is_named_after_its_file() -> None:
    frame = read_csv(b"variant,device,batch_size,median_s,iqr_s,runs,matches_eager\neager,cuda,8,0.001,0,5,true\n",
                     "gpu-server.csv")
    assert frame["run"].tolist() == ["gpu-server"] and frame["matches_eager"].tolist() == [True]


def test_jobs_are_planned_eager_first_one_per_device_and_variant() -> None:
    jobs = plan_jobs(request_for("m.py", b""), ["frozen", "eager"], ["cpu"], (1, 8))
    assert [(j.variant, j.device, j.batch_sizes) for j in jobs] == [("eager", "cpu", (1, 8)), ("frozen", "cpu", (1, 8))]
    assert parse_sizes("1, 8,32") == (1, 8, 32)
    with pytest.raises(InputError):
        parse_sizes("1,x")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_without_a_gpu_cuda_is_refused_with_a_clear_message() -> None:
    with pytest.raises(InputError, match="no CUDA GPU on this machine"):
        bench_variant(job("feed_forward.py", "eager", device="cuda"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("variant", ["eager", "trace", "script", "frozen"])
def test_cuda_rows_name_the_gpu_and_match_eager(variant: str) -> None:
    rows = bench_variant(job("resnet_style.py", variant, device="cuda")).rows
    assert all(not r.error and r.matches_eager and r.device == "cuda" for r in rows)
    assert rows[0].device_name == torch.cuda.get_device_name(0)
