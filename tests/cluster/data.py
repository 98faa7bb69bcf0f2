"""Small fixtures written for these tests, in the shapes of the real sources:
healthchecks.io API v3 `GET /api/v3/checks/` and WATcloud's machine-info.json."""

from __future__ import annotations

from typing import Any


def check(
    host: str, name: str, status: str = "up", *, public: bool = True, last_ping: str | None = None
) -> dict[str, Any]:
    slug = f"{host}-{name}"
    return {
        "name": slug,
        "slug": slug,
        "tags": f"_terraform_provisioned host={host} check={name} wato_uid={slug} public={public}",
        "desc": name,
        "grace": 60,
        "n_pings": 1200,
        "status": status,
        "started": False,
        "last_ping": last_ping or "2026-11-24T17:59:01+00:00",
        "next_ping": "2026-11-24T18:00:01+00:00",
        "manual_resume": False,
        "methods": "",
        "unique_key": "0" * 40,
        "schedule": "* * * * *",
        "tz": "America/Toronto",
    }


def checks_payload() -> dict[str, Any]:
    return {
        "checks": [
            check("alpha-slurm1", "slurm-schedulable"),
            check("alpha-slurm1", "cluster-connection"),
            check(
                "beta-slurm1", "slurm-schedulable", "down", last_ping="2026-11-24T16:10:00+00:00"
            ),
            check("beta-slurm1", "cluster-connection"),
            check("gamma-slurm1", "cluster-connection", "down"),
            check("gamma-slurm1", "slurm-schedulable", "down"),
            check("login1", "cluster-connection", "grace"),
            check("login1", "internal-disk", "up", public=False),
            check("storage1", "ceph-health", "down", public=False),
            check("storage1", "cluster-connection", "up"),
            check("monitor1", "cluster-connection", "up"),
        ]
    }


def machine(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "tags": [],
        "cpu_info": {"model": "Test CPU", "logical_processors": "8", "threads_per_core": "1"},
        "memory_info": {"memory_total_kibibytes": "16000000", "swap_total_kilobytes": "0"},
        "hostnames": [f"{name}.cluster.example"],
        **extra,
    }


def machine_info_payload() -> dict[str, Any]:
    return {
        "machines": {
            "slurm_compute_nodes": [
                machine("alpha-slurm1", gpus=[]),
                machine("beta-slurm1", gpus=[]),
                machine("gamma-slurm1", gpus=[]),
                machine("delta-slurm1", gpus=[]),
            ],
            "slurm_login_nodes": [
                machine("login1", cpu_quota=150, memory_quota=4 * 2**30),
                machine("login2", cpu_quota=200, memory_quota=8 * 2**30),
            ],
            "bare_metals": [machine("storage1", hosted_storage=[])],
        },
        "global_user_disk_quotas": [
            {"name": "home", "fstype": "ceph", "default": {"bytes_hard_limit": 20 * 2**30}}
        ],
    }
