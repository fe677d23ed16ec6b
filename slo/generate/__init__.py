"""Rule generators: pure functions from `slo.model` to `slo.rules`.

Two core plugin sets exist: `--compat sloth` (Sloth's exact output) and the default mode (same
names, corrected maths). Both run through the same SLO plugin chain, so user plugins see the
same request either way.
"""
