"""Helpers the tests share: the sample models, the command line as a user runs it, the app as a process,
the hostile-upload corpus, and a /proc scan for leftover job processes."""
