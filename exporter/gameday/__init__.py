"""Game-day tools: `jupyter-slo loadtest` and `jupyter-slo chaos`, for rehearsing incidents.

Conventions shared by every tool here: the target is a Jupyter Server URL without token or
query; the token comes from `--token-file` or env `JUPYTER_TOKEN` and travels only in the
`Authorization` header, never in argv, a URL, a log line or an error; a non-loopback target
is refused unless `--allow-remote` is given; every loop is bounded in count and in time;
whatever a tool creates on the server it deletes again, also on Ctrl-C or SIGTERM.
Exit codes: 0 ran and everything it measured succeeded, 1 ran but some measured operation
failed (or something was left behind), 2 usage or connection error before anything ran,
130/143 stopped by SIGINT/SIGTERM (after cleaning up).
"""
