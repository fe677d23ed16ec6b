"""`python -m dashboards push ...`, the same as `jupyter-slo dashboards push ...`."""

import sys

from dashboards.cli import main

sys.exit(main())
