//! Merging duplicates: everything attached to the duplicate moves to the claim, the
//! duplicate's id resolves to the claim, all audited and announced; the rules of who
//! may merge what.

use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::id;
use crate::live::Socket;

const MERGE: &str = "mutation($into: UUID!, $from: UUID!, $v: Int, $fv: Int) {
    mergeClaims(intoId: $into, fromId: $from, expectedVersion: $v, expectedFromVersion: $fv) {
        id version status currentVerdict mergedIds tags { name }
        assignment { assignee { name } }
        appearances { nodes { article { id } } }
        verifications { nodes { verdict } } } }";

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(no error)")
}

both_backends! {
    async fn a_duplicate_merges_into_its_claim_and_its_id_resolves_there(app: TestApp) {
        let first_article = app.create_article("https://wire.example/one", "The attacks in Paris killed 129 people.", None).await;
        let second_article = app.create_article("https://wire.example/two", "129 people died in the Paris attacks.", None).await;
        let claim = app
            .create_claim(json!({ "kind": "OTHER", "text": "The attacks in Paris killed 129 people", "appearances": [{ "articleId": first_article, "excerpt": "The attacks in Paris killed 129 people" }] }))
            .await;
        let duplicate = app
            .create_claim(json!({ "kind": "OTHER", "text": "129 people died in the Paris attacks", "appearances": [{ "articleId": second_article, "excerpt": "129 people died in the Paris attacks" }] }))
            .await;
        let (claim_id, duplicate_id) = (id(&claim["id"]), id(&duplicate["id"]));
        app.record_verification(claim_id, "MOSTLY_TRUE").await;
        app.gql_ok(
            "mutation($id: UUID!) { recordVerification(claimId: $id, input: { verdict: TRUE, summary: \"Prosecutors confirmed the toll\" }) { id } }",
            json!({ "id": duplicate_id }),
        )
        .await;
        app.gql_ok("mutation($id: UUID!) { tagClaim(claimId: $id, tags: [\"paris\"]) { id } }", json!({ "id": claim_id })).await;
        app.gql_ok("mutation($id: UUID!) { tagClaim(claimId: $id, tags: [\"paris\", \"tolls\"]) { id } }", json!({ "id": duplicate_id })).await;
        app.gql_ok("mutation($id: UUID!) { addNote(claimId: $id, input: { body: \"Same as the other one\" }) { id } }", json!({ "id": duplicate_id })).await;
        app.gql_ok("mutation($id: UUID!) { assignClaim(claimId: $id) { id } }", json!({ "id": duplicate_id })).await;

        // Checkers may not merge; a claim is not merged into itself.
        let (_, refused) = app.graphql_as(Some(&app.bearer(Role::Checker)), MERGE, json!({ "into": claim_id, "from": duplicate_id })).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
        let itself = app.graphql(MERGE, json!({ "into": claim_id, "from": claim_id })).await;
        assert_eq!(code(&itself), "BAD_USER_INPUT", "{itself}");
        let stale = app.graphql(MERGE, json!({ "into": claim_id, "from": duplicate_id, "fv": 1 })).await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");

        let (_, merged) = app
            .graphql_as(Some(&app.bearer(Role::Editor)), MERGE, json!({ "into": claim_id, "from": duplicate_id }))
            .await;
        let merged = &merged["data"]["mergeClaims"];
        assert_eq!(id(&merged["id"]), claim_id, "{merged}");
        assert_eq!(merged["mergedIds"], json!([duplicate_id.to_string()]));
        // The latest standing verdict of both; both verdicts kept as history.
        assert_eq!(merged["currentVerdict"], "TRUE");
        assert_eq!(merged["status"], "REVIEWED");
        assert_eq!(merged["verifications"]["nodes"].as_array().unwrap().len(), 2);
        assert_eq!(merged["appearances"]["nodes"].as_array().unwrap().len(), 2);
        assert_eq!(merged["tags"], json!([{ "name": "paris" }, { "name": "tolls" }]));
        assert!(merged["assignment"]["assignee"]["name"].is_string(), "{merged}");
        let notes = app.gql_ok("query($id: UUID!) { claim(id: $id) { notes { nodes { body } } } }", json!({ "id": claim_id })).await;
        assert_eq!(notes["claim"]["notes"]["nodes"][0]["body"], "Same as the other one");

        // The duplicate's id resolves to the claim, over both doors.
        let resolved = app.gql_ok("query($id: UUID!) { claim(id: $id) { id } }", json!({ "id": duplicate_id })).await;
        assert_eq!(id(&resolved["claim"]["id"]), claim_id);
        let (status, _, body) = app.rest(Method::GET, &format!("/api/v1/claims/{duplicate_id}"), Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, id(&body["id"])), (200, claim_id), "{body}");
        // Merging it again is refused, naming where it went.
        let again = app.graphql(MERGE, json!({ "into": claim_id, "from": duplicate_id })).await;
        assert_eq!(code(&again), "CONFLICT", "{again}");
        assert!(again["errors"][0]["message"].as_str().unwrap().contains(&claim_id.to_string()), "{again}");

        // History: the duplicate's own events are in the claim's trail, and the merge is
        // recorded for both.
        let trail = app
            .gql_ok("query($id: UUID!) { claim(id: $id) { auditTrail(first: 100) { nodes { entityId operation changes } } } }", json!({ "id": claim_id }))
            .await;
        let events = trail["claim"]["auditTrail"]["nodes"].as_array().unwrap();
        let about = |entity: uuid::Uuid, operation: &str| {
            events.iter().any(|e| id(&e["entityId"]) == entity && e["operation"] == operation)
        };
        assert!(about(duplicate_id, "create") && about(duplicate_id, "merge") && about(claim_id, "merge"), "{trail}");
        let merge_event = events.iter().find(|e| id(&e["entityId"]) == claim_id && e["operation"] == "merge").unwrap();
        assert_eq!(merge_event["changes"]["moved"], json!({ "appearances": 1, "verifications": 1, "notes": 1, "tags": 1 }));

        // Search knows: the duplicate is no hit of its own; its verdict's words find the claim.
        let found = app.gql_ok("{ search(query: \"prosecutors confirmed\") { edges { node { ... on Claim { id } } } } }", json!({})).await;
        assert_eq!(found["search"]["edges"], json!([{ "node": { "id": claim_id.to_string() } }]));
    }

    async fn merges_are_announced_and_archived_claims_are_read_only(app: TestApp) {
        let claim = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Turnout was 70 percent" })).await["id"]);
        let duplicate = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Turnout reached 70%" })).await["id"]);
        let archived = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Turnout hit 70 percent" })).await["id"]);
        app.gql_ok(
            "mutation($id: UUID!) { updateClaim(id: $id, expectedVersion: 1, input: { status: ARCHIVED }) { id } }",
            json!({ "id": archived }),
        )
        .await;
        let refused = app.graphql(MERGE, json!({ "into": claim, "from": archived })).await;
        assert_eq!(code(&refused), "CONFLICT", "{refused}");
        let mut socket = Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
        socket
            .subscribe(app, "merges", "subscription { claimChanged(filter: { changes: [MERGED] }) { change claimId claim { id } } }", json!({}))
            .await;
        // Over REST, with the claim's ETag.
        let (status, headers, body) = app
            .rest(Method::POST, &format!("/api/v1/claims/{claim}/merge"), Some(Role::Editor), Some(json!({ "from_id": duplicate })), &[("If-Match", "\"1\"")])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers.get("etag").unwrap(), "\"2\"");
        let mut announced = Vec::new();
        for _ in 0..2 {
            let event = socket.next_event("merges").await;
            let event = &event["data"]["claimChanged"];
            assert_eq!(event["change"], "MERGED", "{event}");
            // Both resolve to the merged claim now.
            assert_eq!(id(&event["claim"]["id"]), claim, "{event}");
            announced.push(id(&event["claimId"]));
        }
        announced.sort();
        let mut expected = vec![claim, duplicate];
        expected.sort();
        assert_eq!(announced, expected);
        let (status, _, body) = app
            .rest(Method::POST, &format!("/api/v1/claims/{claim}/merge"), Some(Role::Editor), Some(json!({ "from_id": archived })), &[])
            .await;
        assert_eq!((status, body["type"].as_str()), (409, Some("/problems/conflict")), "{body}");
    }
}
