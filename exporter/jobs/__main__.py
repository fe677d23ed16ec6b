"""`python -m exporter.jobs run ...`: the same as `jupyter-slo job run ...`."""

import sys

from exporter.jobs.cli import main

sys.exit(main(sys.argv[1:]))
