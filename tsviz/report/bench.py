"""Benchmark rows as a table, as CSV (down and up again), and as Plotly charts. No torch, no streamlit."""
from __future__ import annotations

import io
from dataclasses import asdict, fields

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from tsviz.model.errors import InputError
from tsviz.model.types import VARIANTS, BenchJob, BenchRow, InspectRequest

CSV_COLUMNS = ["run", *(f.name for f in fields(BenchRow))]
_REQUIRED = {"variant", "device", "batch_size", "median_s", "iqr_s", "runs", "matches_eager"}
_TYPES = {f.name: f.type for f in fields(BenchRow)}


def rows_frame(rows: list[BenchRow] | tuple[BenchRow, ...], run: str) -> pd.DataFrame:
    """One row per measurement, labelled with the run it came from ("this machine", a CSV's name)."""
    return pd.DataFrame([{"run": run, **asdict(row)} for row in rows], columns=CSV_COLUMNS)


def to_csv(frame: pd.DataFrame) -> str:
    return frame[CSV_COLUMNS].to_csv(index=False)


MAX_CSV_ROWS = 5000  # a benchmark run writes tens of rows


def read_csv(data: bytes, filename: str) -> pd.DataFrame:
    """A CSV written by `tsviz bench --csv` or the page's download; errors name the file and the line. Its text
    is shown in charts, whose labels read HTML tags (plotly draws <a href>): angle brackets become ‹ ›."""
    try:
        frame = pd.read_csv(io.BytesIO(data), keep_default_na=False, nrows=MAX_CSV_ROWS + 1)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"this is not a CSV file tsviz can read: {e}", file=filename,
                         hint="upload a file made by `python -m tsviz bench --csv` or the Download CSV button") from e
    if len(frame) > MAX_CSV_ROWS:
        raise InputError(f"the CSV has more than {MAX_CSV_ROWS} rows", file=filename, line=MAX_CSV_ROWS + 2,
                         hint="a benchmark run writes tens of rows: upload the results of one run at a time")
    missing = sorted(_REQUIRED - set(frame.columns))
    if missing:
        raise InputError(f"the CSV has no column {', '.join(missing)}", file=filename, line=1,
                         hint="upload a file made by `python -m tsviz bench --csv` or the Download CSV button")
    if "run" not in frame.columns or not frame["run"].astype(str).str.strip().any():
        frame["run"] = filename.rsplit(".", 1)[0]
    for column in CSV_COLUMNS:
        if column not in frame.columns:
            frame[column] = "" if _TYPES.get(column) == "str" else 0
    for number, (_, row) in enumerate(frame.iterrows(), start=2):
        try:
            float(row["median_s"]), float(row["iqr_s"]), int(row["batch_size"])
        except (TypeError, ValueError) as e:
            raise InputError(f"row {number - 1} has a value that is not a number ({e})", file=filename, line=number,
                             hint="fix or remove that line") from e
    for column in ("median_s", "iqr_s", "max_abs_diff"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0.0)
    for column in ("batch_size", "seq_len", "runs", "number_per_run"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype(int)
    for column in ("matches_eager", "noisy"):
        frame[column] = frame[column].astype(str).str.lower().isin(["true", "1", "yes"])
    frame["run"] = frame["run"].astype(str)
    for column in CSV_COLUMNS:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype(str).str.replace("<", "‹").str.replace(">", "›")
    return frame[CSV_COLUMNS]


def summary_table(frame: pd.DataFrame) -> pd.DataFrame:
    """What the page's table shows: milliseconds, IQR as a share of the median, flags in words."""
    table = frame.copy()
    table["median_ms"] = table["median_s"] * 1000
    table["iqr_ms"] = table["iqr_s"] * 1000
    table["iqr_%"] = (100 * table["iqr_s"] / table["median_s"].where(table["median_s"] > 0)).round(1)
    table["check"] = [
        "error" if error else ("matches eager" if match else "DIFFERS from eager")
        for error, match in zip(table["error"], table["matches_eager"])
    ]
    table["noise"] = ["noisy: IQR > 10 % of the median" if noisy else "" for noisy in table["noisy"]]
    columns = ["run", "device", "device_name", "variant", "batch_size", "seq_len", "median_ms", "iqr_ms", "iqr_%",
               "runs", "check", "noise", "error", "note"]
    if not (table["seq_len"] > 0).any():
        columns.remove("seq_len")
    return table[columns]


def with_speedup(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds `speedup`: eager's median over this row's, for the same run, device and size."""
    keys = ["run", "device", "batch_size", "seq_len"]
    measured = frame[(frame["error"] == "") & (frame["median_s"] > 0)]
    eager = measured[measured["variant"] == "eager"].set_index(keys)["median_s"].rename("eager_s")
    joined = measured.join(eager, on=keys)
    joined["speedup"] = joined["eager_s"] / joined["median_s"]
    return joined


def latency_chart(frame: pd.DataFrame) -> go.Figure:
    """Median latency against batch size, one line per variant (and dash per run), log scales."""
    data = frame[(frame["error"] == "") & (frame["median_s"] > 0)].copy()
    data["median_ms"] = data["median_s"] * 1000
    data["iqr_ms"] = data["iqr_s"] * 1000
    figure = px.line(
        data.sort_values("batch_size"), x="batch_size", y="median_ms", color="variant", line_dash="run",
        facet_col="device" if data["device"].nunique() > 1 else None, markers=True, error_y="iqr_ms", log_y=True,
        log_x=data["batch_size"].nunique() > 2, hover_data=["device_name", "runs", "matches_eager"],
        labels={"median_ms": "median latency (ms)", "batch_size": "batch size"},
    )
    return _tidy(figure)


def speedup_chart(frame: pd.DataFrame) -> go.Figure:
    """Speed-up over eager per variant and batch size (1 = as fast as eager)."""
    data = with_speedup(frame)
    data = data[data["variant"] != "eager"].assign(batch=lambda d: "batch " + d["batch_size"].astype(str))
    figure = px.bar(
        data, x="variant", y="speedup", color="batch", barmode="group", pattern_shape="run",
        facet_col="device" if data["device"].nunique() > 1 else None,
        labels={"speedup": "speed-up over eager (×)"}, hover_data=["median_s", "device_name"],
    )
    figure.add_hline(y=1.0, line_dash="dot", line_color="#666666")
    return _tidy(figure)


def device_chart(frame: pd.DataFrame) -> go.Figure:
    """CPU and GPU side by side: median latency per variant, one bar per device, log scale."""
    data = frame[(frame["error"] == "") & (frame["median_s"] > 0)].copy()
    data["median_ms"] = data["median_s"] * 1000
    data["where"] = data["device"] + " · " + data["device_name"] + " · " + data["run"]
    figure = px.bar(
        data, x="variant", y="median_ms", color="where", barmode="group", facet_col="batch_size", log_y=True,
        labels={"median_ms": "median latency (ms)", "where": "device"},
    )
    return _tidy(figure)


def _tidy(figure: go.Figure) -> go.Figure:
    figure.update_layout(margin={"l": 0, "r": 0, "t": 30, "b": 0}, legend_title_text="", height=380)
    return figure


def plan_jobs(request: InspectRequest, variants: list[str] | tuple[str, ...], devices: list[str] | tuple[str, ...],
              batch_sizes: tuple[int, ...], seq_lens: tuple[int, ...] = (), threads: int = 1,
              min_run_time: float = 0.5) -> list[BenchJob]:
    """One job per (device, variant), eager first so speed-ups have their baseline early."""
    ordered = sorted(variants, key=lambda v: VARIANTS.index(v))
    return [BenchJob(request, variant, device, batch_sizes, seq_lens, threads, min_run_time)
            for device in devices for variant in ordered]


def failed_rows(job: BenchJob, error: str) -> list[BenchRow]:
    """Rows standing in for a job whose worker failed, so the table says what happened to them."""
    return [BenchRow(job.variant, job.device, b, s, error=error) for b in job.batch_sizes for s in (job.seq_lens or (0,
                                                                                                                     ))]
