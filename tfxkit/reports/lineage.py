"""The lineage of an artifact as a picture: artifacts and the executions that made them.

Takes the tree `tfxkit.metadata.lineage.lineage(store, artifact_id)` returns and draws it as an
SVG DAG (inputs at the top, the artifact at the bottom), with a table of the executions'
parameters and code hashes below it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from tfxkit.reports.htmlkit import esc, table
from tfxkit.reports.svg import DagNode, dag_svg


def _short_uri(uri: str) -> str:
    parts = PurePath(uri).parts
    return "/".join(parts[-3:]) if len(parts) > 3 else uri


def lineage_graph(tree: Mapping[str, Any]) -> tuple[list[DagNode], list[tuple[str, str]],
                                                    list[dict[str, Any]]]:
    """(boxes, edges, producing executions) of a lineage tree, each artifact and execution
    once even when several paths reach it (e.g. Examples read by Transform and Evaluator)."""
    nodes: dict[str, DagNode] = {}
    edges: list[tuple[str, str]] = []
    executions: list[dict[str, Any]] = []

    def visit(subtree: Mapping[str, Any]) -> str:
        artifact = subtree["artifact"]
        key = f"a{artifact['id']}"
        if key in nodes:
            return key
        nodes[key] = DagNode(key, f"{artifact['type']} #{artifact['id']}",
                             _short_uri(artifact["uri"]), kind="artifact", tooltip=artifact["uri"])
        producer = subtree.get("produced_by")
        if producer:
            exec_key = f"e{producer['execution_id']}"
            if exec_key not in nodes:
                nodes[exec_key] = DagNode(
                    exec_key, str(producer.get("node_id") or producer.get("component")),
                    f"execution {producer['execution_id']} · {str(producer['state']).lower()}",
                    kind="execution", tooltip=f"run {producer.get('run_id')}")
                executions.append(dict(producer))
                for inputs in producer.get("inputs", {}).values():
                    for child in inputs:
                        edges.append((visit(child), exec_key))
            edges.append((exec_key, key))
        return key

    visit(tree)
    return list(reversed(nodes.values())), sorted(set(edges)), executions


def lineage_svg(tree: Mapping[str, Any]) -> str:
    """The lineage tree as an SVG picture (an `<svg>` string)."""
    nodes, edges, _ = lineage_graph(tree)
    return dag_svg(nodes, edges, node_width=200)


def lineage_fragment(tree: Mapping[str, Any]) -> str:
    """HTML `<div>`: the lineage picture and a table of the executions (node, run, parameters,
    code) that produced the artifact and its ancestors."""
    nodes, edges, executions = lineage_graph(tree)
    rows = []
    for producer in sorted(executions, key=lambda p: p["execution_id"]):
        params = ", ".join(f"{k}={v!r}" for k, v in sorted(producer.get("parameters", {}).items())
                           if v is not None)
        code = ", ".join(f"{k}: {v[:12]}" for k, v in sorted(producer.get("user_code", {}).items()))
        rows.append([producer["execution_id"], producer.get("node_id"), producer.get("run_id"),
                     producer.get("state"), params, code])
    artifact = tree["artifact"]
    return (f"<div class='tfxkit-lineage'><h2>Lineage of {esc(artifact['type'])} "
            f"#{esc(artifact['id'])}</h2><div class='graph'>{dag_svg(nodes, edges, 200)}</div>"
            + table(["execution", "node", "run", "state", "parameters", "code (sha256)"], rows)
            + "</div>")
