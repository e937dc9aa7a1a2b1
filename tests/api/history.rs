//! Answers as of a past instant, from the append-only history (retractions at their own
//! time), the speaker record's windows by the same rule, and audit trails of any record,
//! deleted ones included.

use chrono::{DateTime, Duration, Utc};
use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, id};

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

async fn verdict_as_of(app: &TestApp, claim: uuid::Uuid, as_of: DateTime<Utc>) -> Value {
    let data = app
        .gql_ok(
            "query($id: UUID!, $at: DateTime) { claim(id: $id) { verdict(asOf: $at) standingVerification(asOf: $at) { verdict } } }",
            json!({ "id": claim, "at": as_of.to_rfc3339() }),
        )
        .await;
    assert_eq!(
        data["claim"]["verdict"],
        data["claim"]["standingVerification"]["verdict"].clone(),
        "{data}"
    );
    data["claim"]["verdict"].clone()
}

both_backends! {
    async fn a_claim_answers_as_of_any_instant_with_retractions_at_their_own_time(app: TestApp) {
        let speaker = app.create_source("PERSON", "Jane Doe").await;
        let claim = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Turnout was 70 percent", "speakerId": speaker })).await["id"]);
        let first = app.record_verification(claim, "FALSE").await;
        let second = app.record_verification(claim, "TRUE").await;
        let retracted = app
            .gql_ok("mutation($id: UUID!) { retractVerification(id: $id, reason: \"wrong count\") { retraction { createdAt } } }", json!({ "id": second["id"] }))
            .await;
        let (t1, t2) = (at(&first["createdAt"]), at(&second["createdAt"]));
        let t3 = at(&retracted["retractVerification"]["retraction"]["createdAt"]);
        assert!(t1 < t2 && t2 < t3);

        assert_eq!(verdict_as_of(app, claim, t1 - Duration::microseconds(1)).await, Value::Null);
        assert_eq!(verdict_as_of(app, claim, t1).await, "FALSE");
        assert_eq!(verdict_as_of(app, claim, t2).await, "TRUE");
        // Retracted since, but it stood until its retraction.
        assert_eq!(verdict_as_of(app, claim, t3 - Duration::microseconds(1)).await, "TRUE");
        assert_eq!(verdict_as_of(app, claim, t3).await, "FALSE");
        let now = app.gql_ok("query($id: UUID!) { claim(id: $id) { verdict currentVerdict } }", json!({ "id": claim })).await;
        assert_eq!((now["claim"]["verdict"].as_str(), now["claim"]["currentVerdict"].as_str()), (Some("FALSE"), Some("FALSE")));

        // REST: the same standing.
        let path = |t: DateTime<Utc>| format!("/api/v1/claims/{claim}/standing?as_of={}", urlencoding(&t.to_rfc3339()));
        let (status, _, body) = app.rest(Method::GET, &path(t2), Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, body["verdict"].as_str()), (200, Some("true")), "{body}");
        assert_eq!(body["verification"]["id"], second["id"]);
        assert!(body["verification"]["retraction"].is_object(), "{body}");
        let (_, _, body) = app.rest(Method::GET, &path(t1 - Duration::seconds(1)), Some(Role::Viewer), None, &[]).await;
        assert!(body["verdict"].is_null() && body["verification"].is_null(), "{body}");
        let (status, _, _) = app.rest(Method::GET, &format!("/api/v1/claims/{claim}/standing?as_of=yesterday"), Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 400);

        // The speaker record's windows: a verdict retracted after a window still counts
        // in it; in a window past the retraction, the earlier verdict stands.
        let record = "query($id: UUID!, $from: DateTime, $to: DateTime) { source(id: $id) { record(from: $from, to: $to) { judged byVerdict { verdict count } } } }";
        let counts = |data: &Value| {
            data["source"]["record"]["byVerdict"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["count"].as_u64().unwrap() > 0)
                .map(|c| (c["verdict"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
                .collect::<Vec<_>>()
        };
        let until_t3 = app.gql_ok(record, json!({ "id": speaker, "to": t3.to_rfc3339() })).await;
        assert_eq!(counts(&until_t3), [("TRUE".to_owned(), 1)], "{until_t3}");
        let after = app.gql_ok(record, json!({ "id": speaker, "to": (t3 + Duration::seconds(1)).to_rfc3339() })).await;
        assert_eq!(counts(&after), [("FALSE".to_owned(), 1)], "{after}");
    }

    async fn audit_trails_of_sources_articles_and_deleted_records(app: TestApp) {
        let source = app.create_source("PERSON", "Jane Doe").await;
        app.gql_ok("mutation($id: UUID!) { updateSource(id: $id, expectedVersion: 1, input: { name: \"Jane Q. Doe\" }) { id } }", json!({ "id": source })).await;
        let trail = app.gql_ok("query($id: UUID!) { source(id: $id) { auditTrail { nodes { operation actorName } } } }", json!({ "id": source })).await;
        assert_eq!(trail["source"]["auditTrail"]["nodes"], json!([{ "operation": "create", "actorName": "test admin" }, { "operation": "update", "actorName": "test admin" }]));

        let article = app.create_article("https://wire.example/a", "Body.", None).await;
        let trail = app.gql_ok("query($id: UUID!) { article(id: $id) { auditTrail(orderBy: { direction: DESC }) { nodes { operation entityId } } } }", json!({ "id": article })).await;
        assert_eq!(trail["article"]["auditTrail"]["nodes"][0]["operation"], "create");

        // A deleted claim's trail stays readable.
        let claim = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Gone soon" })).await["id"]);
        app.gql_ok("mutation($id: UUID!) { deleteClaim(id: $id) }", json!({ "id": claim })).await;
        let gone = app
            .gql_ok("query($id: UUID!) { auditTrail(entityType: \"claim\", entityId: $id) { nodes { operation changes } } }", json!({ "id": claim }))
            .await;
        let operations: Vec<&str> = gone["auditTrail"]["nodes"].as_array().unwrap().iter().map(|n| n["operation"].as_str().unwrap()).collect();
        assert_eq!(operations, ["create", "delete"]);
        assert_eq!(gone["auditTrail"]["nodes"][1]["changes"]["text"], "Gone soon");

        // REST, and what it refuses.
        let (status, _, body) = app
            .rest(Method::GET, &format!("/api/v1/audit-events?entity_type=source&entity_id={source}&direction=desc"), Some(Role::Viewer), None, &[])
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["items"][0]["operation"], "update");
        let (status, _, body) = app.rest(Method::GET, &format!("/api/v1/audit-events?claim_id={claim}"), Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, body["items"].as_array().unwrap().len()), (200, 2), "{body}");
        let (status, _, body) = app.rest(Method::GET, &format!("/api/v1/audit-events?entity_type=planet&entity_id={source}"), Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, body["type"].as_str()), (400, Some("/problems/bad-user-input")), "{body}");
        let (status, _, _) = app.rest(Method::GET, "/api/v1/audit-events", Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 400);
        let refused = app.graphql("query($id: UUID!) { auditTrail(entityType: \"planet\", entityId: $id) { nodes { id } } }", json!({ "id": source })).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    }
}

/// Percent-encodes a query parameter value (RFC 3339 times hold `+` and `:`).
fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
