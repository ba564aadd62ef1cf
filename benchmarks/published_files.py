"""Published model files run as a user runs them: every file in a folder you give (never part of this project)
through `tsviz inspect --json`, `tsviz migrate --json`, `tsviz deploy --no-onnx --json` and `tsviz archive`, each
in the sandboxed worker as the command line always runs it. Prints one Markdown row per file and command: its exit
status, its wall time, and what it said (the rungs and inputs, the error line, the kind found).

    python benchmarks/published_files.py /work/published            # every file in the folder
    python benchmarks/published_files.py /work/published --only inspect,migrate

The files behind benchmarks/published_files.md: silero_vad.jit (snakers4/silero-vad,
src/silero_vad/data/silero_vad.jit), accentor-lite.pt and accentor.pt (egorsmkv/ukrainian-accentor,
ukrainian_accentor/accentor-lite.pt and model/accentor.pt).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "inspect": ["inspect", "{file}", "--json"],
    "migrate": ["migrate", "{file}", "--json"],
    "deploy": ["deploy", "{file}", "--no-onnx", "--json"],
    "archive": ["archive", "{file}"],
}
TIMEOUT_S = 600


def run(command: str, file: Path) -> tuple[int, float, str]:
    args = [a.format(file=file) for a in COMMANDS[command]]
    start = time.perf_counter()
    try:
        done = subprocess.run(["tsviz", *args], capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return 124, time.perf_counter() - start, f"ran past {TIMEOUT_S} s"
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return done.returncode, seconds, (lines[-1] if lines else f"exit status {done.returncode}")
    return 0, seconds, said(command, done.stdout)


def said(command: str, stdout: str) -> str:
    """What the command's answer comes to, in a line."""
    if command == "archive":
        return stdout.strip().splitlines()[0] if stdout.strip() else ""
    answer = json.loads(stdout)
    if command == "migrate":
        rungs = "; ".join(f"{r['name']} {r['status']}" + (f" ({r['outputs'][:160]})" if r["outputs"] else "")
                          for r in answer["rungs"])
        blocked = sorted({b.get("op") or b["kind"] for b in answer["blockers"]})
        return f"inputs {', '.join(answer['inputs'])}; {rungs}" + (f"; blockers: {', '.join(blocked)}" if blocked
                                                                    else "")
    if command == "deploy":
        runs = "; ".join(f"{r['name']} {'ok' if r['ok'] else 'not ok'}"
                         + (f" {r['median_ms']:.2f} ms" if r["median_ms"] is not None else "")
                         + (f" ({r['reason']})" if r["reason"] else "") for r in answer["runs"])
        state = [n for n in answer["notes"] if "keeps state" in n]
        return f"inputs {', '.join(answer['inputs'])}; {runs}" + (f"; {state[0]}" if state else "")
    if answer.get("kind") == "package":
        model = answer.get("model") or {}
        return (f"torch.package: {len(answer['pickles'])} pickles, picked {answer['picked'] or 'none'}"
                + (f"; {model['error']['message']}" if model.get("error") else ""))
    return (f"{answer.get('mode', answer.get('kind', ''))}: entry {answer.get('entry', '')}, "
            f"{len(answer.get('graph', {}).get('nodes', ()))} graph nodes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--only", default=",".join(COMMANDS), help="commands, comma-separated")
    args = parser.parse_args()
    files = sorted(p for p in args.folder.iterdir() if p.is_file() and p.suffix != ".png")
    if not files:
        print(f"{args.folder}: no files in it", file=sys.stderr)
        return 2
    print("| file | command | exit | seconds | what it said |\n|---|---|---|---|---|")
    for file in files:
        for command in args.only.split(","):
            code, seconds, text = run(command, file)
            print(f"| {file.name} | {command} | {code} | {seconds:.1f} | {text.replace('|', '/')} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
