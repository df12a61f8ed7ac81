"""The local runner: runs pipelines on this machine with caching and ML Metadata lineage."""

from tfxkit.runners.local.reporter import ConsoleReporter, RunHooks, SilentReporter
from tfxkit.runners.local.runner import LocalDagRunner, NodeResult, RunResult

__all__ = ["ConsoleReporter", "LocalDagRunner", "NodeResult", "RunHooks", "RunResult",
           "SilentReporter"]
