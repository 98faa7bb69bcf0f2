"""Health-checked DNS failover: probe every host of a service, publish only the healthy ones.

`decide` is the pure state machine, `probe` the concurrent health checks, `reconcile` the
smallest change between desired and published records, `providers/` the DNS back ends and
`daemon` the loop around them.
"""
