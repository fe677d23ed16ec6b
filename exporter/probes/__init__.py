"""Synthetic probes: they create real kernels and files, so each cleans up after itself."""
