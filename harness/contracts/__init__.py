"""Records and protocols shared across packages or processes, no I/O.

Each contract has one definition here; the packages that speak it (cluster targets, the mesh,
chaos, load, the orchestrator) import it from its module, never from this package root.
"""
