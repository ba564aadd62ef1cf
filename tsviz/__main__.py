"""python -m tsviz: the command line."""
import sys

from tsviz.cli import main

sys.exit(main())
