#!/usr/bin/env python3
"""Writes model.json: botocore's CloudWatch service model trimmed to the operations Shale
serves and the shapes they reach (inputs, outputs, errors), documentation stripped.

Usage: python3 trim_model.py [path/to/service-2.json.gz]
(default: the model of the botocore installed for this python). Deterministic: operations
and shapes sorted by name, everything else in the model's own order (member order is the
XML order of answers), one-space indent.
"""

import gzip
import json
import os
import sys

OPERATIONS = [
    "ListMetrics",
    "GetMetricStatistics",
    "GetMetricData",
    "PutMetricData",
    "PutMetricAlarm",
    "DescribeAlarms",
    "DescribeAlarmsForMetric",
    "DeleteAlarms",
    "SetAlarmState",
    "DescribeAlarmHistory",
]


def default_source():
    import botocore

    return os.path.join(
        os.path.dirname(botocore.__file__),
        "data", "cloudwatch", "2010-08-01", "service-2.json.gz",
    )


def strip_docs(node):
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k != "documentation"}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def referenced(shape):
    """The shape names one shape refers to."""
    kind = shape["type"]
    if kind == "structure":
        return [m["shape"] for m in shape["members"].values()]
    if kind == "list":
        return [shape["member"]["shape"]]
    if kind == "map":
        return [shape["key"]["shape"], shape["value"]["shape"]]
    return []


def trim(model):
    shapes = model["shapes"]
    operations = {}
    todo = []
    for name in OPERATIONS:
        op = model["operations"][name]
        operations[name] = op
        todo += [op[k]["shape"] for k in ("input", "output") if k in op]
        todo += [e["shape"] for e in op.get("errors", [])]
    reached = set()
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += referenced(shapes[name])
    out = {
        "version": model.get("version", "2.0"),
        "metadata": model["metadata"],
        "operations": {k: operations[k] for k in sorted(operations)},
        "shapes": {k: shapes[k] for k in sorted(reached)},
    }
    return strip_docs(out)


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else default_source()
    with gzip.open(source, "rt", encoding="utf-8") as f:
        model = json.load(f)
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.json")
    with open(target, "w", encoding="utf-8") as f:
        json.dump(trim(model), f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
