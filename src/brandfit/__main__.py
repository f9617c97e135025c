"""``python -m brandfit``: the same command line as ``brandfit``."""

from brandfit.cli import main

raise SystemExit(main())
