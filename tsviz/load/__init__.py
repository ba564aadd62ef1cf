"""Where a file becomes a model, worker side: the project around a .py, importing it as the module it is, stand-ins
for what is not installed here, the entries it offers and which one is the whole network, constructor expressions,
and the inputs to run it on (from the file's own calls, the signature, or a guess from the layers). Everything
here runs user code, so it is imported only inside the sandboxed worker (or the command line's --in-process);
`tsviz.analysis` takes the built model from here and computes what is asked about it."""
