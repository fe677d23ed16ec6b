"""`python -m exporter`: the same as `jupyter-slo exporter`."""

import sys

from exporter.cli import main

sys.exit(main())
