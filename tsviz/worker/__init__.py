"""The worker's side of the boundary: the fork server and what a job's child does. Runs user code; never
imported by the server's side (tsviz.ui, tsviz.client), which talks to it in JSON over pipes."""
