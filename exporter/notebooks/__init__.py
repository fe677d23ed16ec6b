"""Notebook hygiene: sizes and secret findings, from the server's contents save events.

`paths` (pure) decides which event paths may be looked up, `limiter` (pure) bounds how many,
`scan` turns a notebook into the lines detect-secrets reads and counts findings by rule,
`stats` (pure) folds outcomes into the frozen values collectors render, and `watch` is the
one I/O edge: it fetches what the server confirms, at a bounded rate.
"""
