"""The local target: the sample system as processes on this machine, behaving like a cluster.

Controller (`controller`), pods and probes (`pod`, `probes`), Service addresses
(`service_address`), admin API and its client (`admin`, `client`), and the CLI side
(`launcher`). `deploy/local/` holds what only this target needs (`localconfig`).
"""
