"""`watcloud status`, `watcloud quota`, `watcloud daemon`: the cluster user's view of WATcloud.

Kept empty on purpose: `watcloud.cluster.fast` (the cached `status` path) imports this package
and must stay standard-library only.
"""
