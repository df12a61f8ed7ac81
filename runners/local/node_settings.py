"""Node settings (`with_*`) on the local runner: what it applies and what it says it cannot.

Applied as on Kubeflow: `with_env` (set while the node's executor runs), `with_retries` (a
failed node runs again, up to that many more times, at once rather than after Kubeflow's
back-off), `with_timeout` and `with_cache`. Not applicable on one machine: `with_resources`
(CPU/memory requests and accelerators) and `with_secret` (a Kubernetes secret), unless the
secret's environment variable is already set here, in which case the node sees it as it
would on Kubeflow. The runner says once per run which settings it does not apply.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tfxkit.dsl.base_component import BaseComponent


def settings_not_applied(nodes: Iterable[BaseComponent]) -> str:
    """One line naming the node settings a local run cannot apply, or "" when there are none.

    E.g. "node settings that apply on Kubeflow only, ignored here: Trainer with_resources(cpu=2,
    memory=4G), accelerator 1 x nvidia.com/gpu; Pusher with_secret('db', ...): DB_PASSWORD
    is not set here (set it to run with the secret locally)".
    """
    parts = []
    for node in nodes:
        config = node.node_config
        ignored = []
        requests = [f"{name}={value}" for name, value in (("cpu", config.cpu),
                                                          ("memory", config.memory)) if value]
        if requests:
            ignored.append(f"with_resources({', '.join(requests)})")
        if config.gpu:
            ignored.append(f"accelerator {config.gpu} x {config.gpu_type}")
        for secret, keys in sorted(config.secrets.items()):
            missing = sorted(env for env in keys.values() if env not in os.environ)
            if missing:
                ignored.append(f"with_secret({secret!r}): {', '.join(missing)} "
                               f"{'is' if len(missing) == 1 else 'are'} not set here (set "
                               f"{'it' if len(missing) == 1 else 'them'} to run with the "
                               f"secret locally)")
        if ignored:
            parts.append(f"{node.id} {', '.join(ignored)}")
    if not parts:
        return ""
    return f"node settings that apply on Kubeflow only, ignored here: {'; '.join(parts)}"
