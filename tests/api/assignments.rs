//! Assignment: who checks what, by when. Role rules, the queue's order and paging, the
//! assignment filters, token holders as assignees, and the audit trail.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{Duration, Utc};
use claimtrack::domain::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{JWT_AUDIENCE, JWT_ISSUER, TestApp};
use crate::live::Socket;

const ASSIGN: &str = "mutation($claim: UUID!, $input: AssignClaimInput, $version: Int) {
  assignClaim(claimId: $claim, input: $input, expectedVersion: $version) {
    id assignment { assignee { id name role } priority dueAt assignedBy version }
  }
}";

const UNASSIGN: &str =
    "mutation($claim: UUID!) { unassignClaim(claimId: $claim) { id assignment { version } } }";

/// Sends `query` as `role` (its API key); returns the whole response.
async fn as_role(app: &TestApp, role: Role, query: &str, variables: Value) -> Value {
    app.graphql_as(Some(&app.bearer(role)), query, variables)
        .await
        .1
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(no error)")
}

async fn me(app: &TestApp, role: Role) -> String {
    let response = as_role(app, role, "{ me { id role } }", json!({})).await;
    response["data"]["me"]["id"].as_str().unwrap().to_owned()
}

async fn new_claim(app: &TestApp, text: &str) -> String {
    app.create_claim(json!({ "kind": "OTHER", "text": text }))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

both_backends! {
    async fn checkers_take_and_give_back_claims_and_editors_assign_anyone(app: TestApp) {
        let claim = new_claim(app, "The minister said unemployment fell").await;
        let checker = me(app, Role::Checker).await;
        let editor = me(app, Role::Editor).await;
        let viewer = me(app, Role::Viewer).await;

        // A checker takes an unassigned claim for themselves: normal priority, no due time.
        let taken = as_role(app, Role::Checker, ASSIGN, json!({ "claim": claim })).await;
        let assignment = &taken["data"]["assignClaim"]["assignment"];
        assert_eq!(assignment["assignee"]["id"], checker, "{taken}");
        assert_eq!((assignment["priority"].as_str(), assignment["version"].as_i64()), (Some("NORMAL"), Some(1)));
        assert!(assignment["dueAt"].is_null());
        // Taking it again changes nothing (no new version, no new audit event).
        let again = as_role(app, Role::Checker, ASSIGN, json!({ "claim": claim })).await;
        assert_eq!(again["data"]["assignClaim"]["assignment"]["version"], 1, "{again}");
        // Terms are the editors' to set; other people's claims are the editors' to move.
        let terms = as_role(app, Role::Checker, ASSIGN, json!({ "claim": claim, "input": { "priority": "URGENT" } })).await;
        assert_eq!(code(&terms), "FORBIDDEN", "{terms}");
        let other = as_role(app, Role::Checker, ASSIGN, json!({ "claim": claim, "input": { "assigneeId": editor } })).await;
        assert_eq!(code(&other), "FORBIDDEN", "{other}");
        let viewer_takes = as_role(app, Role::Viewer, ASSIGN, json!({ "claim": claim })).await;
        assert_eq!(code(&viewer_takes), "FORBIDDEN", "{viewer_takes}");

        // An editor reassigns it with terms; the checker can neither take it back nor
        // give it back.
        let due = (Utc::now() + Duration::hours(3)).to_rfc3339();
        let moved = as_role(app, Role::Editor, ASSIGN, json!({
            "claim": claim, "version": 1,
            "input": { "assigneeId": editor, "priority": "HIGH", "dueAt": due },
        })).await;
        let assignment = &moved["data"]["assignClaim"]["assignment"];
        assert_eq!(assignment["assignee"]["id"], editor, "{moved}");
        assert_eq!((assignment["priority"].as_str(), assignment["version"].as_i64()), (Some("HIGH"), Some(2)));
        assert_eq!(assignment["assignedBy"], "test editor");
        let retake = as_role(app, Role::Checker, ASSIGN, json!({ "claim": claim })).await;
        assert_eq!(code(&retake), "FORBIDDEN", "{retake}");
        let give_back = as_role(app, Role::Checker, UNASSIGN, json!({ "claim": claim })).await;
        assert_eq!(code(&give_back), "FORBIDDEN", "{give_back}");
        // A change made from an old version is refused, and nothing moves.
        let stale = as_role(app, Role::Editor, ASSIGN, json!({ "claim": claim, "version": 1, "input": { "assigneeId": checker } })).await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        // Viewers and unknown principals cannot hold claims.
        let to_viewer = as_role(app, Role::Editor, ASSIGN, json!({ "claim": claim, "input": { "assigneeId": viewer } })).await;
        assert_eq!(code(&to_viewer), "BAD_USER_INPUT", "{to_viewer}");
        let to_nobody = as_role(app, Role::Editor, ASSIGN, json!({ "claim": claim, "input": { "assigneeId": uuid::Uuid::now_v7() } })).await;
        assert_eq!(code(&to_nobody), "BAD_USER_INPUT", "{to_nobody}");
        let unknown_claim = as_role(app, Role::Editor, ASSIGN, json!({ "claim": uuid::Uuid::now_v7() })).await;
        assert_eq!(code(&unknown_claim), "NOT_FOUND", "{unknown_claim}");

        // The editor gives it back to the pool; the checker may take it again, and give
        // back their own.
        let freed = as_role(app, Role::Editor, UNASSIGN, json!({ "claim": claim })).await;
        assert!(freed["data"]["unassignClaim"]["assignment"].is_null(), "{freed}");
        let taken = as_role(app, Role::Checker, ASSIGN, json!({ "claim": claim })).await;
        assert_eq!(taken["data"]["assignClaim"]["assignment"]["assignee"]["id"], checker, "{taken}");
        let given_back = as_role(app, Role::Checker, UNASSIGN, json!({ "claim": claim })).await;
        assert!(given_back.get("errors").is_none(), "{given_back}");

        // Every change is in the claim's audit trail, by whom, with what changed.
        let trail = app
            .gql_ok(
                "query($id: UUID!) { claim(id: $id) { auditTrail { nodes { operation actorName changes } } } }",
                json!({ "id": claim }),
            )
            .await;
        let events: Vec<(String, String)> = trail["claim"]["auditTrail"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["operation"].as_str().unwrap().to_owned(), e["actorName"].as_str().unwrap().to_owned()))
            .collect();
        let expected = [
            ("create", "test admin"), ("assign", "test checker"), ("assign", "test editor"),
            ("unassign", "test editor"), ("assign", "test checker"), ("unassign", "test checker"),
        ];
        assert_eq!(events, expected.map(|(o, a)| (o.to_owned(), a.to_owned())));
        let reassigned = &trail["claim"]["auditTrail"]["nodes"][2]["changes"];
        assert_eq!(reassigned["assignee_id"]["from"], checker);
        assert_eq!(reassigned["assignee_id"]["to"], editor);
        assert_eq!(reassigned["priority"], json!({ "from": "normal", "to": "high" }));

        // Archived claims are read-only.
        app.gql_ok(
            "mutation($id: UUID!) { updateClaim(id: $id, expectedVersion: 1, input: { status: ARCHIVED }) { id } }",
            json!({ "id": claim }),
        )
        .await;
        let archived = as_role(app, Role::Editor, ASSIGN, json!({ "claim": claim })).await;
        assert_eq!(code(&archived), "CONFLICT", "{archived}");
    }

    async fn the_queue_orders_by_due_time_then_priority_and_pages_without_gaps(app: TestApp) {
        let checker = me(app, Role::Checker).await;
        let base = Utc::now();
        let in_hours = |h: i64| (base + Duration::hours(h)).to_rfc3339();
        // (text, priority, due in hours)
        let plan: [(&str, &str, Option<i64>); 5] = [
            ("due in two hours", "NORMAL", Some(2)),
            ("due in an hour, low", "LOW", Some(1)),
            ("due in an hour, urgent", "URGENT", Some(1)),
            ("no due time, urgent", "URGENT", None),
            ("no due time, low", "LOW", None),
        ];
        let mut ids = Vec::new();
        for (text, priority, due) in plan {
            let claim = new_claim(app, text).await;
            let mut input = json!({ "assigneeId": checker, "priority": priority });
            if let Some(hours) = due {
                input["dueAt"] = json!(in_hours(hours));
            }
            let response = as_role(app, Role::Editor, ASSIGN, json!({ "claim": claim, "input": input })).await;
            assert!(response.get("errors").is_none(), "{response}");
            ids.push(claim);
        }
        let unassigned = new_claim(app, "nobody has this one").await;
        let expected: Vec<&str> = [2, 1, 0, 3, 4].iter().map(|&i| ids[i].as_str()).collect();

        // GraphQL, two at a time.
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = as_role(app, Role::Checker,
                "query($after: String) { myQueue(first: 2, after: $after) { totalCount edges { cursor node { id assignment { assignee { id } } } } pageInfo { hasNextPage endCursor } } }",
                json!({ "after": after })).await;
            let queue = &page["data"]["myQueue"];
            assert_eq!(queue["totalCount"], 5, "{page}");
            for edge in queue["edges"].as_array().unwrap() {
                assert_eq!(edge["node"]["assignment"]["assignee"]["id"], checker);
                seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
            }
            if queue["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = queue["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, expected);

        // REST, the same order through `next` links.
        let mut seen = Vec::new();
        let mut path = "/api/v1/queue?limit=2".to_owned();
        loop {
            let (status, _, body) = app.rest(Method::GET, &path, Some(Role::Checker), None, &[]).await;
            assert_eq!(status, 200, "{body}");
            for item in body["items"].as_array().unwrap() {
                assert_eq!(item["assignment"]["assignee"]["id"], checker);
                seen.push(item["id"].as_str().unwrap().to_owned());
            }
            match body["next"].as_str() {
                Some(next) => path = next.to_owned(),
                None => break,
            }
        }
        assert_eq!(seen, expected);
        // Another principal's queue is their own (empty here).
        let (_, _, body) = app.rest(Method::GET, "/api/v1/queue", Some(Role::Editor), None, &[]).await;
        assert_eq!(body["items"], json!([]));
        // A cursor from another list is refused.
        let (status, _, problem) = app.rest(Method::GET, "/api/v1/queue?cursor=bm9wZQ", Some(Role::Checker), None, &[]).await;
        assert_eq!((status, problem["type"].as_str()), (400, Some("/problems/bad-user-input")), "{problem}");

        // The assignment filters, on every claim list.
        let ids_of = |data: &Value| -> Vec<String> {
            let mut ids: Vec<String> = data["claims"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            ids
        };
        let sorted = |mut v: Vec<String>| { v.sort(); v };
        let list = "query($filter: ClaimFilterInput) { claims(filter: $filter) { nodes { id } } }";
        let free = app.gql_ok(list, json!({ "filter": { "assigned": false } })).await;
        assert_eq!(ids_of(&free), vec![unassigned.clone()]);
        let urgent = app.gql_ok(list, json!({ "filter": { "priority": ["URGENT"] } })).await;
        assert_eq!(ids_of(&urgent), sorted(vec![ids[2].clone(), ids[3].clone()]));
        let mine = app.gql_ok(list, json!({ "filter": { "assigneeId": checker } })).await;
        assert_eq!(ids_of(&mine).len(), 5);
        let soon = app.gql_ok(list, json!({ "filter": { "dueBefore": (Utc::now() + Duration::minutes(90)).to_rfc3339() } })).await;
        assert_eq!(ids_of(&soon), sorted(vec![ids[1].clone(), ids[2].clone()]));
        let overdue = app.gql_ok(list, json!({ "filter": { "overdue": true } })).await;
        assert!(ids_of(&overdue).is_empty(), "{overdue}");
        // A due time in the past makes a claim overdue, until it is reviewed.
        let past = (Utc::now() - Duration::hours(1)).to_rfc3339();
        let response = as_role(app, Role::Editor, ASSIGN, json!({ "claim": ids[0], "input": { "dueAt": past } })).await;
        assert!(response.get("errors").is_none(), "{response}");
        let overdue = app.gql_ok(list, json!({ "filter": { "overdue": true } })).await;
        assert_eq!(ids_of(&overdue), vec![ids[0].clone()]);
        let (status, _, body) = app.rest(Method::GET, "/api/v1/claims?overdue=true&priority=normal,high", Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        assert_eq!(body["items"][0]["id"], ids[0].as_str());
        app.record_verification(ids[0].parse().unwrap(), "TRUE").await;
        let version = app.gql_ok("query($id: UUID!) { claim(id: $id) { version } }", json!({ "id": ids[0] })).await["claim"]["version"].clone();
        app.gql_ok(
            "mutation($id: UUID!, $v: Int!) { updateClaim(id: $id, expectedVersion: $v, input: { status: REVIEWED }) { id } }",
            json!({ "id": ids[0], "v": version }),
        )
        .await;
        let overdue = app.gql_ok(list, json!({ "filter": { "overdue": true } })).await;
        assert!(ids_of(&overdue).is_empty(), "{overdue}");
    }

    async fn assignments_over_rest_honour_preconditions_and_roles(app: TestApp) {
        let claim = new_claim(app, "Rents doubled in ten years").await;
        let path = format!("/api/v1/claims/{claim}/assignment");
        let (status, _, problem) = app.rest(Method::GET, &path, Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, problem["type"].as_str()), (404, Some("/problems/not-found")), "{problem}");
        // A checker takes it (no terms: `{}`).
        let (status, _, problem) = app.rest(Method::PUT, &path, Some(Role::Checker), None, &[]).await;
        assert_eq!(status / 100, 4, "a body is required: {problem}");
        let (status, headers, body) = app.rest(Method::PUT, &path, Some(Role::Checker), Some(json!({})), &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["etag"], "\"1\"");
        assert_eq!((body["priority"].as_str(), body["assignee"]["role"].as_str()), (Some("normal"), Some("checker")));
        // Editors change terms under If-Match; a stale tag changes nothing.
        let terms = json!({ "priority": "urgent", "due_at": "2030-01-01T09:00:00+00:00" });
        let (status, _, problem) = app.rest(Method::PUT, &path, Some(Role::Editor), Some(terms.clone()), &[("if-match", "\"7\"")]).await;
        assert_eq!(status, 412, "{problem}");
        let (status, headers, body) = app.rest(Method::PUT, &path, Some(Role::Editor), Some(terms), &[("if-match", "\"1\"")]).await;
        assert_eq!((status, headers["etag"].to_str().unwrap()), (200, "\"2\""), "{body}");
        assert_eq!((body["priority"].as_str(), body["due_at"].as_str()), (Some("urgent"), Some("2030-01-01T09:00:00Z")));
        assert_eq!(body["assignee"]["role"], "checker", "terms alone keep the assignee");
        let (status, _, _) = app.rest(Method::GET, &path, Some(Role::Viewer), None, &[("if-none-match", "\"2\"")]).await;
        assert_eq!(status, 304);
        // Unknown fields and bad values are the client's error.
        let (status, _, problem) = app.rest(Method::PUT, &path, Some(Role::Editor), Some(json!({ "priority": "whenever" })), &[]).await;
        assert_eq!(status, 400, "{problem}");
        let (status, _, problem) = app.rest(Method::PUT, &path, Some(Role::Editor), Some(json!({ "assignee": "x" })), &[]).await;
        assert_eq!(status, 400, "{problem}");
        // Someone else's claim is not the checker's to take or give back.
        let (status, _, problem) = app.rest(Method::PUT, &path, Some(Role::Admin), Some(json!({ "assignee_id": me(app, Role::Editor).await })), &[]).await;
        assert_eq!(status, 200, "{problem}");
        let (status, _, problem) = app.rest(Method::DELETE, &path, Some(Role::Checker), None, &[]).await;
        assert_eq!((status, problem["type"].as_str()), (403, Some("/problems/forbidden")), "{problem}");
        let (status, _, _) = app.rest(Method::DELETE, &path, Some(Role::Editor), None, &[("if-match", "\"3\"")]).await;
        assert_eq!(status, 204);
        let (status, _, _) = app.rest(Method::DELETE, &path, Some(Role::Editor), None, &[]).await;
        assert_eq!(status, 404);
        // Who can be given work: checkers and up, by name.
        let (status, _, principals) = app.rest(Method::GET, "/api/v1/principals", Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 200);
        let roles: Vec<&str> = principals.as_array().unwrap().iter().map(|p| p["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["admin", "checker", "editor"], "{principals}");
        // Assignment events can be subscribed to by webhooks.
        let (status, _, created) = app
            .rest(Method::POST, "/api/v1/webhooks", Some(Role::Admin), Some(json!({ "url": "https://93.184.216.34/hook", "events": ["claim.assigned", "claim.unassigned"] })), &[])
            .await;
        assert_eq!(status, 201, "{created}");
    }

    async fn a_token_holder_becomes_a_principal_that_can_hold_claims(app: TestApp) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let token = encode(
            &Header::new(Algorithm::HS256),
            &json!({ "sub": "checker-42", "role": "checker", "iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "iat": now, "exp": now + 600 }),
            &EncodingKey::from_secret(app.jwt_secret.as_bytes()),
        )
        .unwrap();
        let bearer = format!("Bearer {token}");
        let claim = new_claim(app, "Crime rose by a third").await;
        // Unknown until they sign in: editors cannot pick them yet.
        let listed = app.gql_ok("{ assignablePrincipals { name } }", json!({})).await;
        assert!(!listed.to_string().contains("jwt:checker-42"), "{listed}");
        let (_, who) = app.graphql_as(Some(&bearer), "{ me { id name role } }", json!({})).await;
        let principal = who["data"]["me"]["id"].as_str().unwrap().to_owned();
        assert_eq!(who["data"]["me"]["name"], "jwt:checker-42", "{who}");
        // Signing in again is the same principal.
        let (_, again) = app.graphql_as(Some(&bearer), "{ me { id } }", json!({})).await;
        assert_eq!(again["data"]["me"]["id"], principal.as_str());
        let listed = app.gql_ok("{ assignablePrincipals { id name } }", json!({})).await;
        assert!(listed.to_string().contains(&principal), "{listed}");
        // An editor assigns them a claim; it is in their queue.
        let response = as_role(app, Role::Editor, ASSIGN, json!({ "claim": claim, "input": { "assigneeId": principal } })).await;
        assert!(response.get("errors").is_none(), "{response}");
        let (_, queue) = app.graphql_as(Some(&bearer), "{ myQueue { nodes { id } } }", json!({})).await;
        assert_eq!(queue["data"]["myQueue"]["nodes"], json!([{ "id": claim }]), "{queue}");
        // They give it back themselves.
        let (_, freed) = app.graphql_as(Some(&bearer), UNASSIGN, json!({ "claim": claim })).await;
        assert!(freed.get("errors").is_none(), "{freed}");
    }

    async fn principals_whose_keys_are_all_revoked_are_not_offered(app: TestApp) {
        let created = app
            .gql_ok("mutation { createApiKey(input: { name: \"temp checker\", role: CHECKER }) { key { id } } }", json!({}))
            .await;
        let listed = app.gql_ok("{ assignablePrincipals { name } }", json!({})).await;
        assert!(listed.to_string().contains("temp checker"), "{listed}");
        app.gql_ok("mutation($id: UUID!) { revokeApiKey(id: $id) { id } }", json!({ "id": created["createApiKey"]["key"]["id"] }))
            .await;
        let listed = app.gql_ok("{ assignablePrincipals { name } }", json!({})).await;
        assert!(!listed.to_string().contains("temp checker"), "{listed}");
        assert!(listed.to_string().contains("test checker"), "{listed}");
    }

    async fn subscribers_see_claims_assigned_and_given_back(app: TestApp) {
        let claim = new_claim(app, "Wages rose faster than prices").await;
        let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
        socket
            .subscribe(
                app,
                "desk",
                "subscription { claimChanged(filter: { changes: [ASSIGNED, UNASSIGNED] }) { change claimId actor claim { assignment { assignee { name } priority } } } }",
                json!({}),
            )
            .await;
        let taken = as_role(app, Role::Checker, ASSIGN, json!({ "claim": claim })).await;
        assert!(taken.get("errors").is_none(), "{taken}");
        let freed = as_role(app, Role::Editor, UNASSIGN, json!({ "claim": claim })).await;
        assert!(freed.get("errors").is_none(), "{freed}");
        let assigned = socket.next_event("desk").await;
        let event = &assigned["data"]["claimChanged"];
        assert_eq!((event["change"].as_str(), event["claimId"].as_str()), (Some("ASSIGNED"), Some(claim.as_str())), "{assigned}");
        assert_eq!(event["actor"], "test checker");
        let unassigned = socket.next_event("desk").await;
        assert_eq!(unassigned["data"]["claimChanged"]["change"], "UNASSIGNED", "{unassigned}");
        assert_eq!(unassigned["data"]["claimChanged"]["actor"], "test editor");
        socket.assert_quiet().await;
    }
}
