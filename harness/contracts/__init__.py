"""Records and protocols shared across packages and processes; no I/O."""
