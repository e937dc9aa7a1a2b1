use serde_json::json;

use crate::both_backends;
use crate::helpers::id;

both_backends! {
    async fn every_write_leaves_one_audit_event_in_the_claims_trail(app: TestApp) {
        let article = app.create_article("https://wire.example/audit", "body", None).await;
        let claim = app
            .create_claim(json!({ "kind": "OTHER", "text": "audited", "appearances": [{ "articleId": article, "excerpt": "body" }] }))
            .await;
        app.gql_ok("mutation($id: UUID!) { updateClaim(id: $id, expectedVersion: 1, input: { text: \"audited!\" }) { id } }", json!({ "id": claim["id"] })).await;
        let verification = app.record_verification(id(&claim["id"]), "TRUE").await;
        app.gql_ok("mutation($id: UUID!) { retractVerification(id: $id, reason: \"oops\") { id } }", json!({ "id": verification["id"] })).await;

        let trail = app
            .gql_ok(
                "query($id: UUID!) { claim(id: $id) { auditTrail { edges { node { entityType operation actorName changes } } } } }",
                json!({ "id": claim["id"] }),
            )
            .await;
        let events: Vec<(String, String)> = trail["claim"]["auditTrail"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["node"]["entityType"].as_str().unwrap().into(), e["node"]["operation"].as_str().unwrap().into()))
            .collect();
        let expected: Vec<(String, String)> = [
            ("claim", "create"), ("appearance", "create"), ("claim", "update"),
            ("verification", "record"), ("verification", "retract"),
        ]
        .iter()
        .map(|(a, b)| ((*a).into(), (*b).into()))
        .collect();
        assert_eq!(events, expected);
        let update = &trail["claim"]["auditTrail"]["edges"][2]["node"];
        assert_eq!(update["changes"], json!({ "text": { "from": "audited", "to": "audited!" } }));
        assert_eq!(update["actorName"], "test admin");
        // article create + the five above
        assert_eq!(app.content_audit_events().await, 6);
    }

    async fn a_write_that_fails_midway_leaves_neither_data_nor_audit(app: TestApp) {
        let article = app.create_article("https://wire.example/tx", "body", None).await;
        let before = app.content_audit_events().await;
        // The claim row is inserted before the second appearance fails (unknown article):
        // the whole transaction, claim and audit events included, must roll back.
        let (code, error) = app
            .gql_error(
                "mutation($a: UUID!, $missing: UUID!) { createClaim(input: { kind: OTHER, text: \"half\", appearances: [
                    { articleId: $a, excerpt: \"body\" }, { articleId: $missing, excerpt: \"x\" } ] }) { id } }",
                json!({ "a": article, "missing": uuid::Uuid::now_v7() }),
            )
            .await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "input.appearances.1.articleId");
        assert_eq!(app.count_rows("claims").await, 0);
        assert_eq!(app.count_rows("appearances").await, 0);
        assert_eq!(app.content_audit_events().await, before);
    }
}
