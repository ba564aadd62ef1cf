"""Torch-free work on an IRGraph: folding, DOT, layout with Graphviz, the walk/search/details view, the
structural diff of two graphs, the hazards a trace shows, and the verdicts of a comparison."""
