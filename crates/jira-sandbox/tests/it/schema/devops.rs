//! The DevOps part of the walk (Cloud only): the Feature Flags, Builds and Deployments APIs,
//! called as an app (OAuth 2.0 credentials), and what a person's Basic auth gets there.

use serde_json::{Value, json};

use super::walk::{Expect, Req, Who, delete, get, post, put};

/// The DevOps APIs' requests, in order.
pub(super) fn requests() -> Vec<Req> {
    use Expect::*;
    vec![
        // A person (Basic with an API token) is refused; the spec gives the 401 no body shape.
        post("/rest/featureflags/0.1/bulk", "/rest/featureflags/0.1/bulk", 401, Unspecified)
            .json(|_| json!({"flags": [walk_flag("walk-1")]}))
            .cloud(),
        // Jira Software's Feature Flags API (Cloud).
        post(
            "/rest/featureflags/0.1/bulk",
            "/rest/featureflags/0.1/bulk",
            202,
            Op("POST /featureflags/0.1/bulk 202"),
        )
        .json(|_| {
            let mut bad = walk_flag("walk-2");
            bad.as_object_mut().unwrap().remove("summary");
            json!({"flags": [walk_flag("walk-1"), bad], "properties": {"walk": "yes"}})
        })
        .by(Who::App)
        .cloud(),
        post(
            "/rest/featureflags/0.1/bulk",
            "/rest/featureflags/0.1/bulk",
            400,
            Op("POST /featureflags/0.1/bulk 400"),
        )
        .json(|_| json!({"flags": []}))
        .by(Who::App)
        .cloud(),
        put("/_sandbox/knobs", "/_sandbox/knobs", 200, Unspecified)
            .json(|_| json!({"feature_flags_max_body_bytes": 10}))
            .by(Who::Anonymous),
        post(
            "/rest/featureflags/0.1/bulk",
            "/rest/featureflags/0.1/bulk",
            413,
            Op("POST /featureflags/0.1/bulk 413"),
        )
        .json(|_| json!({"flags": [walk_flag("walk-big")]}))
        .by(Who::App)
        .cloud(),
        put("/_sandbox/knobs", "/_sandbox/knobs", 200, Unspecified)
            .json(|_| json!({}))
            .by(Who::Anonymous),
        delete(
            "/rest/featureflags/0.1/bulkByProperties",
            "/rest/featureflags/0.1/bulkByProperties",
            400,
            Op("DELETE /featureflags/0.1/bulkByProperties 400"),
        )
        .by(Who::App)
        .cloud(),
        get(
            "/rest/featureflags/0.1/flag/{id}",
            "/rest/featureflags/0.1/flag/walk-1",
            200,
            Op("GET /featureflags/0.1/flag/{featureFlagId} 200"),
        )
        .by(Who::App)
        .cloud(),
        delete(
            "/rest/featureflags/0.1/flag/{id}",
            "/rest/featureflags/0.1/flag/walk-1",
            202,
            Empty,
        )
        .by(Who::App)
        .cloud(),
        delete(
            "/rest/featureflags/0.1/bulkByProperties",
            "/rest/featureflags/0.1/bulkByProperties?walk=yes",
            202,
            Empty,
        )
        .by(Who::App)
        .cloud(),
        // One left for the inspection endpoint.
        post(
            "/rest/featureflags/0.1/bulk",
            "/rest/featureflags/0.1/bulk",
            202,
            Op("POST /featureflags/0.1/bulk 202"),
        )
        .json(|_| json!({"flags": [walk_flag("walk-3")]}))
        .by(Who::App)
        .cloud(),
        // Development information.
        post("/rest/devinfo/0.10/bulk", "/rest/devinfo/0.10/bulk", 202, Op("POST /devinfo/0.10/bulk 202"))
            .json(|_| json!({"properties": {"walk": "yes"}, "repositories": [walk_repo(), {"id": "broken", "updateSequenceId": 1}]}))
            .by(Who::App)
            .cloud(),
        post("/rest/devinfo/0.10/bulk", "/rest/devinfo/0.10/bulk", 400, Op("POST /devinfo/0.10/bulk 400"))
            .json(|_| json!({"repositories": []}))
            .by(Who::App)
            .cloud(),
        post("/rest/devinfo/0.10/bulk", "/rest/devinfo/0.10/bulk", 413, Op("POST /devinfo/0.10/bulk 413"))
            .json(|_| {
                let commits: Vec<Value> = (0..400).map(|i| walk_commit(&format!("{i:040}"))).collect();
                let repo = |id: &str| json!({"id": id, "name": id, "url": "https://git.test", "updateSequenceId": 1, "commits": commits});
                json!({"repositories": [repo("a"), repo("b"), repo("c")]})
            })
            .by(Who::App)
            .cloud(),
        get("/rest/devinfo/0.10/repository/{repo}", "/rest/devinfo/0.10/repository/walk", 200, Op("GET /devinfo/0.10/repository/{repositoryId} 200"))
            .by(Who::App)
            .cloud()
            .then(|_, b| assert_eq!(b["commits"].as_array().map(Vec::len), Some(1), "{b}")),
        get("/rest/devinfo/0.10/existsByProperties", "/rest/devinfo/0.10/existsByProperties?walk=yes", 200, Op("GET /devinfo/0.10/existsByProperties 200"))
            .by(Who::App)
            .cloud()
            .then(|_, b| assert_eq!(b["hasDataMatchingProperties"], true)),
        get("/rest/devinfo/0.10/existsByProperties", "/rest/devinfo/0.10/existsByProperties", 400, Op("GET /devinfo/0.10/existsByProperties 400"))
            .by(Who::App)
            .cloud(),
        delete("/rest/devinfo/0.10/repository/{repo}/{kind}/{entity}", "/rest/devinfo/0.10/repository/walk/tag/x", 400, Op("DELETE /devinfo/0.10/repository/{repositoryId}/{entityType}/{entityId} 400"))
            .by(Who::App)
            .cloud(),
        delete("/rest/devinfo/0.10/repository/{repo}/{kind}/{entity}", "/rest/devinfo/0.10/repository/walk/pull_request/1", 202, Empty)
            .by(Who::App)
            .cloud(),
        delete("/rest/devinfo/0.10/bulkByProperties", "/rest/devinfo/0.10/bulkByProperties", 400, Op("DELETE /devinfo/0.10/bulkByProperties 400"))
            .by(Who::App)
            .cloud(),
        delete("/rest/devinfo/0.10/bulkByProperties", "/rest/devinfo/0.10/bulkByProperties?walk=no", 202, Empty)
            .by(Who::App)
            .cloud(),
        delete("/rest/devinfo/0.10/repository/{repo}", "/rest/devinfo/0.10/repository/gone", 202, Empty)
            .by(Who::App)
            .cloud(),
        // Builds and deployments.
        post("/rest/builds/0.1/bulk", "/rest/builds/0.1/bulk", 202, Op("POST /builds/0.1/bulk 202"))
            .json(|_| json!({"properties": {"walk": "yes"}, "builds": [walk_build(1), {"pipelineId": "walk", "buildNumber": 2}]}))
            .by(Who::App)
            .cloud(),
        post("/rest/builds/0.1/bulk", "/rest/builds/0.1/bulk", 400, Op("POST /builds/0.1/bulk 400"))
            .json(|_| json!({"builds": []}))
            .by(Who::App)
            .cloud(),
        get("/rest/builds/0.1/pipelines/{pipeline}/builds/{number}", "/rest/builds/0.1/pipelines/walk/builds/1", 200, Op("GET /builds/0.1/pipelines/{pipelineId}/builds/{buildNumber} 200"))
            .by(Who::App)
            .cloud(),
        delete("/rest/builds/0.1/bulkByProperties", "/rest/builds/0.1/bulkByProperties", 400, Op("DELETE /builds/0.1/bulkByProperties 400"))
            .by(Who::App)
            .cloud(),
        post("/rest/deployments/0.1/bulk", "/rest/deployments/0.1/bulk", 202, Op("POST /deployments/0.1/bulk 202"))
            .json(|_| json!({"deployments": [walk_deployment(), {"deploymentSequenceNumber": 9}]}))
            .by(Who::App)
            .cloud(),
        get("/rest/deployments/0.1/pipelines/{pipeline}/environments/{environment}/deployments/{number}", "/rest/deployments/0.1/pipelines/walk/environments/prod/deployments/1", 200, Op("GET /deployments/0.1/pipelines/{pipelineId}/environments/{environmentId}/deployments/{deploymentSequenceNumber} 200"))
            .by(Who::App)
            .cloud(),
        get("/rest/deployments/0.1/pipelines/{pipeline}/environments/{environment}/deployments/{number}/gating-status", "/rest/deployments/0.1/pipelines/walk/environments/prod/deployments/1/gating-status", 200, Op("GET /deployments/0.1/pipelines/{pipelineId}/environments/{environmentId}/deployments/{deploymentSequenceNumber}/gating-status 200"))
            .by(Who::App)
            .cloud(),
        delete("/rest/deployments/0.1/pipelines/{pipeline}/environments/{environment}/deployments/{number}", "/rest/deployments/0.1/pipelines/walk/environments/prod/deployments/1", 202, Empty)
            .by(Who::App)
            .cloud(),
        delete("/rest/deployments/0.1/bulkByProperties", "/rest/deployments/0.1/bulkByProperties?walk=yes", 202, Empty)
            .by(Who::App)
            .cloud(),
        // One build stays, for the gateway form; the walk deletes and re-adds it by properties.
        delete("/rest/builds/0.1/bulkByProperties", "/rest/builds/0.1/bulkByProperties?walk=yes", 202, Empty)
            .by(Who::App)
            .cloud(),
        post("/rest/builds/0.1/bulk", "/rest/builds/0.1/bulk", 202, Op("POST /builds/0.1/bulk 202"))
            .json(|_| json!({"builds": [walk_build(1), walk_build(3)]}))
            .by(Who::App)
            .cloud(),
        delete("/rest/builds/0.1/pipelines/{pipeline}/builds/{number}", "/rest/builds/0.1/pipelines/walk/builds/3", 202, Empty)
            .by(Who::App)
            .cloud(),
    ]
}

pub(super) fn walk_flag(id: &str) -> Value {
    json!({
        "schemaVersion": "1.0", "id": id, "key": "walk-flag", "updateSequenceId": 1,
        "displayName": "Walk flag", "issueKeys": ["DEMO-1", "NOPE-1"],
        "summary": {"url": "https://tether.test/f", "status": {"enabled": true, "defaultValue": "off", "rollout": {"percentage": 25}}, "lastUpdated": "2024-01-31T10:15:00.000Z"},
        "details": [{"url": "https://tether.test/f/prod", "lastUpdated": "2024-01-31T10:15:00Z", "environment": {"name": "prod", "type": "production"}, "status": {"enabled": true}}],
    })
}

fn walk_build(number: i64) -> Value {
    json!({"pipelineId": "walk", "buildNumber": number, "updateSequenceNumber": 1, "displayName": "walk",
           "url": "https://ci.test/walk", "state": "successful", "lastUpdated": "2024-05-01T10:00:00Z",
           "issueKeys": ["DEMO-1"], "description": "walked", "label": "main"})
}

fn walk_deployment() -> Value {
    json!({"deploymentSequenceNumber": 1, "updateSequenceNumber": 1, "displayName": "walk", "url": "https://cd.test/1",
           "description": "to prod", "lastUpdated": "2024-05-01T10:00:00Z", "state": "successful",
           "pipeline": {"id": "walk", "displayName": "Walk", "url": "https://cd.test"},
           "environment": {"id": "prod", "displayName": "Production", "type": "production"},
           "associations": [{"associationType": "issueIdOrKeys", "values": ["DEMO-1"]}]})
}

fn walk_commit(id: &str) -> Value {
    json!({"id": id, "issueKeys": ["DEMO-1"], "updateSequenceId": 1, "hash": id, "message": "DEMO-1 walk",
           "author": {"name": "Walker", "email": "walker@example.com"}, "fileCount": 1,
           "url": "https://git.test/c", "authorTimestamp": "2024-05-01T10:00:00Z", "displayId": &id[..7]})
}

fn walk_repo() -> Value {
    json!({"id": "walk", "name": "walk", "url": "https://git.test/walk", "updateSequenceId": 1,
           "commits": [walk_commit("0123456789abcdef0123456789abcdef01234567")],
           "branches": [{"id": "main", "issueKeys": ["DEMO-1"], "updateSequenceId": 1, "name": "DEMO-1-walk",
                         "url": "https://git.test/b", "lastCommit": walk_commit("0123456789abcdef0123456789abcdef01234567")}],
           "pullRequests": [{"id": "1", "issueKeys": ["DEMO-1"], "updateSequenceId": 1, "status": "OPEN", "title": "Walk",
                             "author": {"name": "Walker", "email": "walker@example.com"}, "commentCount": 0,
                             "sourceBranch": "DEMO-1-walk", "destinationBranch": "main",
                             "lastUpdate": "2024-05-01T10:00:00Z", "url": "https://git.test/pr/1", "displayId": "#1"},
                            {"id": "2", "issueKeys": ["DEMO-1"], "updateSequenceId": 1, "status": "SOMETIMES"}]})
}
