"""I/O edge: talking to Jupyter Servers. Everything here returns immutable values."""
