"""DOT text -> SVG with Graphviz's `dot` program, under a time and a memory limit (a 15,000-node graph can take
minutes), the SVG sanitized for the page (tsviz/graph/svg.py)."""
from __future__ import annotations

import resource
import shutil
import subprocess

from tsviz.graph.svg import sanitize_svg
from tsviz.model.errors import TsvizError

LAYOUT_TIMEOUT_S = 20.0
LAYOUT_MEMORY_MB = 2048


def render_svg(dot_text: str, timeout_s: float = LAYOUT_TIMEOUT_S) -> str:
    """The SVG Graphviz draws for `dot_text`; a TsvizError says what to do when it cannot."""
    dot = shutil.which("dot")
    if dot is None:
        raise TsvizError("the Graphviz 'dot' program is not installed", hint="apt-get install graphviz")
    try:
        done = subprocess.run([dot, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=timeout_s,
                              preexec_fn=_dot_limits)
    except subprocess.TimeoutExpired:
        raise TsvizError(f"laying out this graph took longer than {timeout_s:g} s", hint="open one submodule at a "
                         "time from the module graph, or collapse if/loop regions") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip()[:300] or f"it was stopped (status {done.returncode})"
        raise TsvizError(f"dot failed: {said}", hint=f"dot may have passed its {LAYOUT_MEMORY_MB} MB memory limit; "
                         "open one submodule at a time from the module graph")
    try:
        return sanitize_svg(done.stdout.decode("utf-8"))
    except ValueError as e:
        raise TsvizError(f"dot's drawing could not be read: {e}") from None


def _dot_limits() -> None:
    size = LAYOUT_MEMORY_MB * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))


MAX_LAYOUT_NODES = 2500  # beyond this, dot takes minutes: offer submodules instead


def svg_or_problem(dot_text: str, nodes: int) -> tuple[str, str]:
    """(svg, "") or ("", what to do instead): too many nodes to lay out, or dot too slow."""
    if nodes > MAX_LAYOUT_NODES:
        return "", (
            f"{nodes} nodes are too many to lay out here (the limit is {MAX_LAYOUT_NODES}). Use the module "
            "graph and open one submodule at a time, or collapse if/loop regions."
        )
    try:
        return render_svg(dot_text), ""
    except TsvizError as e:
        return "", e.one_line()
