#!/usr/bin/env python3
"""Vendors the response schemas the sandbox's schema test needs from Atlassian's OpenAPI specs.

Usage (from the repository root):
    python3 crates/jira-sandbox/tests/schemas/extract.py [SPEC_DIR]

SPEC_DIR defaults to ../shared/reference/jira-api (beside the repository). Writes
crates/jira-sandbox/tests/schemas/jira-responses.json: for every (method, path, status) in
OPERATIONS below, the response schema as the spec gives it, plus the closure of
components/schemas it reaches through `$ref`, plus the spec files' sha256. The schemas are
copied verbatim (OpenAPI 3.0 dialect); the Rust test converts `nullable` and friends.
Re-run it when the specs are updated or the sandbox serves a new endpoint.
"""

import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SPECS = os.path.normpath(os.path.join(HERE, "../../../../../shared/reference/jira-api"))
PLATFORM = "jira-platform-cloud-v3.openapi.json"
SOFTWARE = "jira-software-cloud.openapi.json"

# (spec, method, path in the spec, status). Platform paths are the spec's /rest/api/3 ones;
# the sandbox serves the same shapes under /rest/api/2 and /rest/api/latest (bodies as
# strings instead of ADF there, which the test handles).
OPERATIONS = [
    (PLATFORM, "get", "/rest/api/3/serverInfo", "200"),
    (PLATFORM, "get", "/rest/api/3/myself", "200"),
    (PLATFORM, "get", "/rest/api/3/user", "200"),
    (PLATFORM, "get", "/rest/api/3/user/search", "200"),
    (PLATFORM, "get", "/rest/api/3/user/assignable/search", "200"),
    (PLATFORM, "get", "/rest/api/3/users/search", "200"),
    (PLATFORM, "get", "/rest/api/3/mypermissions", "200"),
    (PLATFORM, "post", "/rest/api/3/permissions/check", "200"),
    (PLATFORM, "get", "/rest/api/3/project", "200"),
    (PLATFORM, "get", "/rest/api/3/project/search", "200"),
    (PLATFORM, "get", "/rest/api/3/project/{projectIdOrKey}", "200"),
    (PLATFORM, "get", "/rest/api/3/status", "200"),
    (PLATFORM, "get", "/rest/api/3/resolution", "200"),
    (PLATFORM, "get", "/rest/api/3/field", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/createmeta", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes", "200"),
    (
        PLATFORM,
        "get",
        "/rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}",
        "200",
    ),
    (PLATFORM, "post", "/rest/api/3/issue", "201"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/comment", "200"),
    (PLATFORM, "post", "/rest/api/3/issue/{issueIdOrKey}/comment", "201"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}", "200"),
    (PLATFORM, "put", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/worklog", "200"),
    (PLATFORM, "post", "/rest/api/3/issue/{issueIdOrKey}/worklog", "201"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/worklog/{id}", "200"),
    (PLATFORM, "put", "/rest/api/3/issue/{issueIdOrKey}/worklog/{id}", "200"),
    (PLATFORM, "get", "/rest/api/3/worklog/updated", "200"),
    (PLATFORM, "get", "/rest/api/3/worklog/deleted", "200"),
    (PLATFORM, "post", "/rest/api/3/worklog/list", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/watchers", "200"),
    (PLATFORM, "get", "/rest/api/3/issuetype", "200"),
    (PLATFORM, "get", "/rest/api/3/issuetype/{id}", "200"),
    (PLATFORM, "get", "/rest/api/3/priority", "200"),
    (PLATFORM, "get", "/rest/api/3/priority/{id}", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/remotelink", "200"),
    (PLATFORM, "post", "/rest/api/3/issue/{issueIdOrKey}/remotelink", "200"),
    (PLATFORM, "post", "/rest/api/3/issue/{issueIdOrKey}/remotelink", "201"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/remotelink/{linkId}", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/transitions", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/changelog", "200"),
    (PLATFORM, "get", "/rest/api/3/search", "200"),
    (PLATFORM, "post", "/rest/api/3/search", "200"),
    (PLATFORM, "get", "/rest/api/3/search/jql", "200"),
    (PLATFORM, "post", "/rest/api/3/search/jql", "200"),
    (PLATFORM, "post", "/rest/api/3/search/approximate-count", "200"),
    (PLATFORM, "post", "/rest/api/3/issue/bulkfetch", "200"),
    (PLATFORM, "post", "/rest/api/3/changelog/bulkfetch", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/properties", "200"),
    (PLATFORM, "get", "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}", "200"),
    (PLATFORM, "get", "/rest/api/3/webhook", "200"),
    (PLATFORM, "post", "/rest/api/3/webhook", "200"),
    (PLATFORM, "put", "/rest/api/3/webhook/refresh", "200"),
    # The agile API: the spec gives no 200 schema for a board's sprints, a sprint or its issues.
    (SOFTWARE, "get", "/rest/agile/1.0/board", "200"),
    (SOFTWARE, "get", "/rest/agile/1.0/board/{boardId}", "200"),
    (SOFTWARE, "post", "/featureflags/0.1/bulk", "202"),
    (SOFTWARE, "post", "/featureflags/0.1/bulk", "400"),
    (SOFTWARE, "post", "/featureflags/0.1/bulk", "413"),
    (SOFTWARE, "delete", "/featureflags/0.1/bulkByProperties", "400"),
    (SOFTWARE, "get", "/featureflags/0.1/flag/{featureFlagId}", "200"),
    (SOFTWARE, "post", "/devinfo/0.10/bulk", "202"),
    (SOFTWARE, "post", "/devinfo/0.10/bulk", "400"),
    (SOFTWARE, "post", "/devinfo/0.10/bulk", "413"),
    (SOFTWARE, "get", "/devinfo/0.10/repository/{repositoryId}", "200"),
    (SOFTWARE, "get", "/devinfo/0.10/existsByProperties", "200"),
    (SOFTWARE, "get", "/devinfo/0.10/existsByProperties", "400"),
    (SOFTWARE, "delete", "/devinfo/0.10/bulkByProperties", "400"),
    (SOFTWARE, "delete", "/devinfo/0.10/repository/{repositoryId}/{entityType}/{entityId}", "400"),
    (SOFTWARE, "post", "/builds/0.1/bulk", "202"),
    (SOFTWARE, "post", "/builds/0.1/bulk", "400"),
    (SOFTWARE, "delete", "/builds/0.1/bulkByProperties", "400"),
    (SOFTWARE, "get", "/builds/0.1/pipelines/{pipelineId}/builds/{buildNumber}", "200"),
    (SOFTWARE, "post", "/deployments/0.1/bulk", "202"),
    (
        SOFTWARE,
        "get",
        "/deployments/0.1/pipelines/{pipelineId}/environments/{environmentId}"
        "/deployments/{deploymentSequenceNumber}",
        "200",
    ),
    (
        SOFTWARE,
        "get",
        "/deployments/0.1/pipelines/{pipelineId}/environments/{environmentId}"
        "/deployments/{deploymentSequenceNumber}/gating-status",
        "200",
    ),
]

# Named schemas the test uses directly (error bodies the operations above do not spell out).
EXTRA_SCHEMAS = [(PLATFORM, "ErrorCollection")]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def strip_examples(node):
    """Drops `example`/`examples`: documentation only, and most of the file's size. Keys of
    `properties` are property names, not keywords, so they are all kept."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in ("example", "examples"):
                continue
            if k == "properties" and isinstance(v, dict):
                out[k] = {name: strip_examples(p) for name, p in v.items()}
            else:
                out[k] = strip_examples(v)
        return out
    if isinstance(node, list):
        return [strip_examples(v) for v in node]
    return node


def main():
    spec_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SPECS
    specs = {}
    for name in (PLATFORM, SOFTWARE):
        path = os.path.join(spec_dir, name)
        with open(path) as f:
            specs[name] = {"doc": json.load(f), "sha256": sha256(path)}

    out_ops = {}
    components = {}  # "<spec>#<name>" closure, kept per spec (names could collide)
    closure = {PLATFORM: {}, SOFTWARE: {}}

    def reach(spec, schema):
        todo = list(refs(schema))
        while todo:
            ref = todo.pop()
            prefix = "#/components/schemas/"
            if not ref.startswith(prefix):
                raise SystemExit(f"unexpected $ref {ref}")
            name = ref[len(prefix):]
            if name in closure[spec]:
                continue
            s = specs[spec]["doc"]["components"]["schemas"][name]
            closure[spec][name] = s
            todo.extend(refs(s))

    for spec, method, path, status in OPERATIONS:
        op = specs[spec]["doc"]["paths"][path][method]
        resp = op["responses"][status]
        schema = resp.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            raise SystemExit(f"{method.upper()} {path} {status}: no JSON schema in {spec}")
        reach(spec, schema)
        key = f"{method.upper()} {path} {status}"
        out_ops[key] = {"spec": spec, "schema": strip_examples(schema)}

    for spec, name in EXTRA_SCHEMAS:
        reach(spec, {"$ref": f"#/components/schemas/{name}"})

    # Both specs' names go into one components/schemas; refuse silent collisions.
    for name in closure[SOFTWARE]:
        if name in closure[PLATFORM] and closure[PLATFORM][name] != closure[SOFTWARE][name]:
            raise SystemExit(f"schema {name} differs between the two specs")
    for spec in (PLATFORM, SOFTWARE):
        for name, s in closure[spec].items():
            components[name] = strip_examples(s)

    doc = {
        "about": "Response schemas from Atlassian's Jira OpenAPI specs, vendored by "
        "extract.py for tests/it/schema.rs. Do not edit by hand: re-run extract.py.",
        "sources": {
            name: {
                "sha256": specs[name]["sha256"],
                "openapi": specs[name]["doc"].get("openapi"),
                "version": specs[name]["doc"].get("info", {}).get("version"),
            }
            for name in (PLATFORM, SOFTWARE)
        },
        "operations": dict(sorted(out_ops.items())),
        "components": {"schemas": dict(sorted(components.items()))},
    }
    target = os.path.join(HERE, "jira-responses.json")
    with open(target, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"wrote {target}: {len(out_ops)} operations, {len(components)} schemas, "
          f"{os.path.getsize(target)} bytes")


if __name__ == "__main__":
    main()
