"""`python -m exporter.gameday loadtest|chaos ...`: the same as `jupyter-slo loadtest|chaos`."""

import sys

from exporter.gameday.cli import main

sys.exit(main(sys.argv[1:]))
