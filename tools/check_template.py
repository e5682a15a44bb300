"""Checks template.yaml the way `sam deploy` will see it: through the SAM transform (make lint).

    python tools/check_template.py template.yaml

cfn-lint checks the template as written, so it misses what only appears after the transform: the HTTP
API's generated OpenAPI body refers to every function it invokes, so a function whose environment
refers back to the API (its URL) is a circular dependency that only CloudFormation reported, at
deploy time. This runs aws-sam-translator offline (no AWS call: a dummy managed-policy map, a
placeholder CodeUri, sockets refused) and fails on a transform error or on any circular dependency
among the transformed resources (Ref, Fn::GetAtt, Fn::Sub's ${X} and ${X.Attr}, DependsOn).
"""

import json
import os
import re
import socket
import sys


# The transform never needs the network; should it ever try (a managed policy it cannot find in the
# dummy map, a serverless application), it fails here instead of calling AWS.
def _offline(*_args, **_kwargs):
    raise OSError("check_template.py runs offline")


socket.socket.connect = _offline
socket.create_connection = _offline
# ARNs the transform writes are built from the region botocore finds; any region does.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from cfnlint.decode import decode  # noqa: E402
from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402

PSEUDO_PARAMETERS = {
    "AWS::Region": os.environ["AWS_DEFAULT_REGION"],
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
}
# Where `sam build` would have uploaded each function's code: the transform only copies it.
PLACEHOLDER_CODE = "s3://belta-template-check/code.zip"
# ${Name} or ${Name.Attribute} in an Fn::Sub string; ${!Literal} is escaped text.
SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


class NoManagedPolicies:
    """The transform asks for the AWS managed policies' ARNs by name; the template names none."""

    def load(self):
        return {}


def read_template(path):
    """The template as plain JSON values (cfn-lint's decoder reads the short forms: !Ref, !Sub...)."""
    template, problems = decode(path)
    if problems:
        for problem in problems:
            print(f"{path}: {problem}", file=sys.stderr)
        sys.exit(1)
    return json.loads(json.dumps(template, default=str))


def with_placeholder_code(template):
    function = template.get("Globals", {}).get("Function", {})
    function.pop("CodeUri", None)
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and not (
            "InlineCode" in properties or "ImageUri" in properties
        ):
            properties["CodeUri"] = PLACEHOLDER_CODE
    return template


def referenced_names(node, found):
    """Adds to `found` every logical name `node` refers to (resources, parameters, pseudo parameters)."""
    if isinstance(node, list):
        for item in node:
            referenced_names(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                if isinstance(target, str):
                    found.add(target)
                referenced_names(value[1:] if isinstance(value, list) else [], found)
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                for name in SUB_VARIABLE.findall(text):
                    name = name.split(".")[0].strip()
                    # A variable given in the Sub's own map is not a resource.
                    if name not in variables:
                        found.add(name)
                referenced_names(variables, found)
            else:
                referenced_names(value, found)


def dependencies(resources):
    """Each resource's dependencies on other resources, as CloudFormation orders their creation."""
    graph = {}
    for name, resource in resources.items():
        found = set()
        referenced_names({k: v for k, v in resource.items() if k != "Metadata"}, found)
        depends_on = resource.get("DependsOn", [])
        found.update([depends_on] if isinstance(depends_on, str) else depends_on)
        graph[name] = sorted(found & resources.keys())
    return graph


def cycles(graph):
    """One cycle per strongly connected component that has one (Tarjan), as a list of names."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for next_node in graph[node]:
            if next_node not in index:
                visit(next_node)
                low[node] = min(low[node], low[next_node])
            elif next_node in on_stack:
                low[node] = min(low[node], index[next_node])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                components.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * len(graph) + 100))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [shortest_cycle(graph, component) for component in components]


def shortest_cycle(graph, component):
    """A shortest path from the component's first resource back to itself, within the component."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for next_node in graph[node]:
            if next_node == start:
                return paths[node] + [start]
            if next_node in component and next_node not in paths:
                paths[next_node] = paths[node] + [next_node]
                queue.append(next_node)
    return sorted(component)


def main(path):
    template = with_placeholder_code(read_template(path))
    try:
        transformed = transform(template, PSEUDO_PARAMETERS, NoManagedPolicies())
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"{path}: SAM transform: {cause.message}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 (any failure of the transform fails the check)
        print(f"{path}: SAM transform failed: {error!r}", file=sys.stderr)
        return 1
    resources = transformed.get("Resources", {})
    found = cycles(dependencies(resources))
    for cycle in found:
        print(f"{path}: circular dependency: {' -> '.join(cycle)}", file=sys.stderr)
    if found:
        return 1
    print(f"{path}: SAM transform OK, {len(resources)} resources, no circular dependency")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
