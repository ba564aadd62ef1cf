"""The real-world sweep: `tsviz inspect` in every mode over model files of public PyTorch repositories.

    python benchmarks/real_world.py CHECKOUTS [--modes trace,script,hybrid] [--only SUBSTRING] [--jobs 1]
                                    [--timeout 300] [--manifest benchmarks/real_world.toml]
                                    [--out benchmarks/real_world.md] [--raw FILE.json] [--commit REV]

CHECKOUTS holds one folder per repository of the manifest (benchmarks/real_world.toml), named
<owner>+<name>, with the repository's files at their paths; fetch them yourself (the code is never part of
this project, and CI does not run this). A whole checkout (`git clone`), data files included: CLIP reads its
tokenizer vocabulary at import, the character-level GPT its input.txt. For every file and mode it runs the
installed command line as a user would, through the sandboxed worker, from the repository's root, with only
the manifest's constructor values:

    python -m tsviz inspect CHECKOUTS/<owner>+<name>/<path> --mode M --json [--init NAME=EXPR ...]

`python -m tsviz` is this interpreter's, so run the sweep with the Python a user of those repositories has:
tsviz's environment plus the repositories' own pure-Python requirements that install without pulling another
torch. The figures in the README come from a virtual environment over tsviz's (torch stays 2.13.0+cpu):

    python -m venv --system-site-packages SWEEP && SWEEP/bin/pip install einops==0.8.2
    SWEEP/bin/pip install --no-deps ultralytics==8.4.190 opencv-python-headless==5.0.0.93 tqdm==4.70.1 \
        pyyaml==6.0.3 psutil==7.2.2
    SWEEP/bin/python benchmarks/real_world.py CHECKOUTS ...

torchvision has no CPU build here, so the files that build a torchvision network stay as a user without it
sees them.

and writes one markdown table (file, entry chosen, modes with a graph, nodes, time, peak memory, the first line
of each failure) and a summary against the targets of issue 23: a graph for >= 90 % of the files whose models
take tensors, 0 tracebacks, every failure naming a file, a line and a specific fix. The table is printed and
written to --out; --raw also keeps every run's full stdout/stderr tail as JSON.

Nodes are the inlined graph's IR nodes (over tsviz's drawing cap they are counted from its note). Time is the
command's wall time. Peak memory is the largest peak RSS (VmHWM) of any process in the command's
tree (the command, the sandbox, the fork server, the job), read from /proc every 0.2 s; the job's own process
is forked from a server that has imported torch, so it includes torch's shared pages (about 0.3-0.4 GB).
One run that crashes, hangs (killed at --timeout) or prints garbage is one failed row; the sweep goes on.

It sweeps the tsviz that `python -m tsviz` imports (the working tree, for an editable install); --commit REV
sweeps that commit instead, exported with `git archive` into a temporary folder put first on PYTHONPATH, so a
baseline holds while others edit the tree. The summary says which it was, and which torch the worker imports.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("trace", "script", "hybrid")
SAMPLE_S = 0.2
ERROR_PREFIX = "tsviz: error: "
WHERE = re.compile(r"^\S.*? line \d+: ")  # TsvizError.one_line(): "FILE line N: message (hint)"
# Advice that does not say what to change: a failure ending in one of these counts as "no specific fix".
NAMED = re.compile(r"(?:building|calling) ([A-Za-z_][\w.]*(?:\(\))?) (?:failed|raised)|"
                   r"([A-Za-z_][\w.]*(?:\(\))?) needs constructor argument")
SKIPPED = re.compile(r"inlined graph has ([\d,]+) IR nodes")  # over the cap: counted by tsviz, not sent
GENERIC_FIXES = (
    "rewrite that line in the TorchScript subset",
    "check the constructor arguments",
    "check the example inputs",
    "or remove it if the model does not need it",
)


@dataclass(frozen=True)
class Entry:
    repo: str
    path: str
    init: tuple[str, ...]
    tensors: bool

    @property
    def name(self) -> str:
        return f"{self.repo}/{self.path}"


@dataclass
class Run:
    file: str
    mode: str
    rc: int | None = None  # None: killed at the time limit
    seconds: float = 0.0
    peak_mb: float = 0.0
    entry: str = ""
    entries: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    nodes: int = 0
    inlined_nodes: int = 0
    error: str = ""  # the first line of the failure
    traceback: bool = False
    stderr_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.error


def load_manifest(path: Path) -> list[Entry]:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    return [Entry(e["repo"], e["path"], tuple(e.get("init", ())), bool(e.get("tensors", True)))
            for e in data["file"]]


def process_tree(root: int) -> list[int]:
    """The pids of root and every process below it (the sandbox's processes too: they are visible from here)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def first_failure_line(stderr: str, rc: int | None, timeout_s: float) -> str:
    if rc is None:
        return f"(sweep) no answer after {timeout_s:.0f} s: killed"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(ERROR_PREFIX):
            return line[len(ERROR_PREFIX):]
    if lines:  # not the command's own error line: a traceback's last line, or whatever it printed last
        return f"(exit {rc}) {lines[-1]}"
    return f"(exit {rc}) nothing on stderr"


def run_one(entry: Entry, mode: str, checkouts: Path, timeout_s: float) -> Run:
    root = checkouts / entry.repo.replace("/", "+")
    command = [sys.executable, "-P", "-m", "tsviz", "inspect", str(root / entry.path), "--mode", mode, "--json"]
    for value in entry.init:
        command += ["--init", value]
    run = Run(entry.name, mode)
    # -P: the repository's own files (a utils.py, a models/ package) must not shadow the command's imports;
    # the model file is found by its path, and the repository's root is the working folder, as for a user.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=root,
                                       start_new_session=True)
        except OSError as e:
            run.rc, run.error = -1, f"(sweep) could not start the command: {e}"
            return run
        while True:
            try:
                rc = process.wait(SAMPLE_S)
                break
            except subprocess.TimeoutExpired:
                pass
            tree = process_tree(process.pid)
            for pid in tree:
                run.peak_mb = max(run.peak_mb, peak_rss_mb(pid))
            if time.perf_counter() - start > timeout_s:
                for pid in tree:  # only what this run started, by its id, the command first
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                process.wait()
                rc = None
                break
        run.seconds = time.perf_counter() - start
        run.rc = rc
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    run.traceback = "Traceback (most recent call last)" in stderr or "Traceback (most recent call last)" in stdout
    run.stderr_tail = stderr[-4000:]
    if rc == 0:
        try:
            answer = json.loads(stdout)
            run.entry = str(answer.get("entry", ""))
            run.entries = [str(e) for e in answer.get("entries", ())]
            run.inputs = [str(i) for i in answer.get("inputs", ())]
            run.notes = [str(n) for n in answer.get("notes", ())]
            run.nodes = len((answer.get("graph") or {}).get("nodes", ()))
            run.inlined_nodes = len((answer.get("inlined_graph") or {}).get("nodes", ()))
            for note in run.notes:
                if skipped := SKIPPED.search(note):
                    run.inlined_nodes = int(skipped.group(1).replace(",", ""))
        except (ValueError, AttributeError, TypeError) as e:
            run.error = f"(sweep) exit 0 but stdout is not one JSON object: {e}: {stdout[:120]!r}"
    else:
        run.error = first_failure_line(stderr, rc, timeout_s)
    return run


def has_where(error: str) -> bool:
    return bool(WHERE.match(error))


def has_fix(error: str) -> bool:
    """A hint in parentheses at the end (TsvizError.one_line), and not one of the generic ones."""
    return error.endswith(")") and " (" in error and not any(g in error for g in GENERIC_FIXES)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@contextmanager
def exported(commit: str):
    """`git archive COMMIT` of this repository in a temporary folder, first on PYTHONPATH for the runs."""
    repo = HERE.parent
    full = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", f"{commit}^{{commit}}"],
                          capture_output=True, text=True)
    if full.returncode != 0:
        sys.exit(f"--commit {commit}: {full.stderr.strip() or 'not a commit here'}")
    with tempfile.TemporaryDirectory(prefix="tsviz-sweep-") as folder:
        archive = subprocess.Popen(["git", "-C", str(repo), "archive", full.stdout.strip()], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", folder], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            sys.exit(f"--commit {commit}: git archive failed")
        before = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (folder, before) if p)
        try:
            yield f"commit {full.stdout.strip()} (exported)"
        finally:
            if before is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = before


def torch_version() -> str:
    """The torch the worker imports (the same interpreter): results change with it, so the summary names it."""
    try:
        return subprocess.run([sys.executable, "-P", "-c", "import torch; print(torch.__version__)"],
                              capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({type(e).__name__})"


def which_tsviz() -> str:
    """Where the swept tsviz lives, and its commit (marked + where its tree has uncommitted changes)."""
    try:
        where = subprocess.run([sys.executable, "-P", "-c", "import tsviz, os; print(os.path.dirname(tsviz.__file__))"],
                               capture_output=True, text=True, timeout=60, check=True).stdout.strip()
        root = str(Path(where).parent)
        commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                timeout=30)
        if commit.returncode != 0:
            return root
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", "tsviz"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        return f"{root} at {commit.stdout.strip()}{' + uncommitted changes' if dirty else ''}"
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({e})"


def report(entries: list[Entry], runs: dict[tuple[str, str], Run], modes: list[str], missing: list[Entry],
           wall_s: float, swept: str) -> str:
    short = {"trace": "t", "script": "s", "hybrid": "h"}
    lines = [
        f"| file | entry chosen | graph in | nodes ({'/'.join(short[m] for m in modes)}) | "
        f"time s ({'/'.join(short[m] for m in modes)}) | peak MB ({'/'.join(short[m] for m in modes)}) | failures |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in entries:
        if entry in missing:
            lines.append(f"| {entry.name} | | | | | | not checked out |")
            continue
        these = [runs[(entry.name, m)] for m in modes]
        chosen = next((r.entry for r in these if r.ok), "")
        if not chosen:  # no graph: the entry a failure names, if it names one
            named = next((m.group(1) or m.group(2) for r in these if (m := NAMED.search(r.error))), "")
            chosen = f"{named} (from the error)" if named else ""
        graphs = ", ".join(r.mode for r in these if r.ok) or "none"
        nodes = "/".join(f"{r.inlined_nodes}" if r.ok else "–" for r in these)
        times = "/".join(f"{r.seconds:.1f}" for r in these)
        peaks = "/".join(f"{r.peak_mb:.0f}" for r in these)
        failures = "<br>".join(f"**{r.mode}**: {cell(r.error)}" for r in these if not r.ok)
        lines.append(f"| {cell(entry.name)} | {cell(chosen)} | {graphs} | {nodes} | {times} | {peaks} | {failures} |")

    done = [e for e in entries if e not in missing]
    tensor_files = [e for e in done if e.tensors]
    with_graph = [e for e in tensor_files if any(runs[(e.name, m)].ok for m in modes)]
    all_runs = [runs[(e.name, m)] for e in done for m in modes]
    failed = [r for r in all_runs if not r.ok]
    tracebacks = [r for r in all_runs if r.traceback]
    no_where = [r for r in failed if not has_where(r.error)]
    no_fix = [r for r in failed if not has_fix(r.error)]
    killed = [r for r in all_runs if r.rc is None]
    share = 100 * len(with_graph) / len(tensor_files) if tensor_files else 0.0
    per_mode = ", ".join(f"{m} {sum(runs[(e.name, m)].ok for e in tensor_files)}/{len(tensor_files)}"
                         for m in modes)
    peak = max((r.peak_mb for r in all_runs), default=0.0)
    summary = [
        "",
        f"**Summary** ({len(done)} files of {len({e.repo for e in done})} repositories, modes {', '.join(modes)}, "
        f"{len(all_runs)} runs in {wall_s / 60:.1f} min; largest peak {peak:.0f} MB; tsviz from {swept}):",
        "",
        f"- a graph in at least one mode for **{len(with_graph)}/{len(tensor_files)} "
        f"({share:.0f} %)** of the files whose models take tensors (target ≥ 90 %); by mode: {per_mode}",
        f"- failed runs: {len(failed)}/{len(all_runs)} ({len(killed)} killed at the time limit)",
        f"- runs with a Python traceback on stderr: **{len(tracebacks)}** (target 0)",
        f"- failures without a file and line: **{len(no_where)}**; without a specific fix: **{len(no_fix)}** "
        "(target 0 and 0; a fix is the hint in parentheses, generic advice does not count)",
    ]
    if missing:
        summary.append(f"- not checked out (left out of the counts): {', '.join(e.name for e in missing)}")
    return "\n".join(lines + summary) + "\n"


def sweep(todo: list[tuple[Entry, str]], checkouts: Path, timeout_s: float, jobs: int) -> dict[tuple[str, str], Run]:
    """Every (file, mode) run, `jobs` at a time; one run's failure, of any kind, is that run's row."""
    runs: dict[tuple[str, str], Run] = {}

    def one(job: tuple[Entry, str]) -> Run:
        entry, mode = job
        try:
            run = run_one(entry, mode, checkouts, timeout_s)
        except Exception as e:  # noqa: BLE001 (the sweep's own trouble with one run never stops the sweep)
            run = Run(entry.name, mode, rc=-1, error=f"(sweep) {type(e).__name__}: {e}")
        status = "graph" if run.ok else run.error[:110]
        print(f"[{len(runs) + 1}/{len(todo)}] {entry.name} {mode}: {run.seconds:.1f} s, {run.peak_mb:.0f} MB, "
              f"{status}", file=sys.stderr, flush=True)
        runs[(entry.name, mode)] = run
        return run

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, todo))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", type=Path, help="a folder of <owner>+<name> repository checkouts")
    parser.add_argument("--manifest", type=Path, default=HERE / "real_world.toml")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated, of trace,script,hybrid")
    parser.add_argument("--only", default="", help="only the files whose repo/path contains this")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once (each is a sandboxed worker)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run before it is killed")
    parser.add_argument("--out", type=Path, default=HERE / "real_world.md")
    parser.add_argument("--raw", type=Path, help="also write every run (with its stderr's tail) as JSON here")
    parser.add_argument("--commit", help="sweep this commit of tsviz (exported), not the installed one")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        parser.error(f"--modes takes a comma-separated list of {', '.join(MODES)}")
    if not args.checkouts.is_dir():
        parser.error(f"{args.checkouts} is not a folder")
    checkouts = args.checkouts.resolve()
    entries = [e for e in load_manifest(args.manifest) if args.only in e.name]
    if not entries:
        parser.error(f"no file of {args.manifest} matches --only {args.only!r}")
    missing = [e for e in entries if not (checkouts / e.repo.replace("/", "+") / e.path).is_file()]
    todo = [(e, m) for e in entries if e not in missing for m in modes]

    with exported(args.commit) if args.commit else nullcontext(None) as label:
        swept = f"{label or which_tsviz()}, torch {torch_version()}"
        start = time.perf_counter()
        runs = sweep(todo, checkouts, args.timeout, args.jobs)
        wall_s = time.perf_counter() - start
    text = report(entries, runs, modes, missing, wall_s, swept)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}", file=sys.stderr)
    if args.raw:
        args.raw.write_text(json.dumps([asdict(runs[(e.name, m)]) for e, m in todo], indent=1) + "\n")
        print(f"wrote {args.raw}", file=sys.stderr)

if __name__ == "__main__":
    main()
