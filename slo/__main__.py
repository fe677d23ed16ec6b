"""`python -m slo` is `jupyter-slo`."""

import sys

from slo.cli import main

sys.exit(main())
