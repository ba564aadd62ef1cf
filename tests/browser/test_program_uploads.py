"""A .pt2 and a torch.package uploaded in a real headless Chromium: each gets its graph drawn on the Graph & code
page, and a click on a node of the .pt2's graph shows its details."""
from __future__ import annotations

from pathlib import Path

from support import programs
from support.browser import playwright, upload_file
from support.packages import accent_package

playwright()  # this module is skipped where there is no chromium (an error on CI)


def test_an_uploaded_pt2_draws_its_cond_region_and_a_click_shows_a_node(server_url: str, page, tmp_path: Path) -> None:
    path = tmp_path / "gate.bin"  # any name: the kind is read from the content
    path.write_bytes(programs.with_cond())
    upload_file(page, server_url, path)
    page.get_by_text("gate.bin · exported program").wait_for(timeout=90_000)
    node = page.locator("svg g.node", has_text="aten::sin").first
    node.wait_for(timeout=60_000)
    assert page.locator("svg g.cluster", has_text="true_graph_0").count() >= 1
    node.click()
    page.get_by_text("aten::sin", exact=True).first.wait_for(timeout=30_000)  # the node's details under the graph
    page.get_by_role("tab", name="Signature").click()
    page.get_by_text("Range constraints of dynamic dims").wait_for(timeout=30_000)


def test_an_uploaded_torch_package_draws_its_model_with_the_interned_source(server_url: str, page,
                                                                             tmp_path: Path) -> None:
    upload_file(page, server_url, accent_package(tmp_path))
    page.get_by_text("accent.pt · torch.package").wait_for(timeout=90_000)
    page.locator("svg g.node", has_text="prim::If").first.wait_for(timeout=60_000)
    page.get_by_text("class Accent(nn.Module):").first.wait_for(timeout=30_000)
