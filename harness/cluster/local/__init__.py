"""The local target: the sample system as processes on this machine, behaving like a cluster.

Controller process and its loop (`controller`, `runtime`), manifests and their records
(`manifests`, `objects`), pods and probes (`pod`, `podspec`, `probes`), how pod processes start
(`podprocs`: spawned, or forked by the fork server `forkserver`), Service addresses
(`service_address`), the mesh child (`meshlink`), admin API and its client (`admin`, `client`),
and the CLI side (`launcher`). `deploy/local/` holds what only this target needs
(`localconfig`); `testing` starts throwaway stacks for tests and benchmarks.
"""
