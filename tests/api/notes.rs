//! Notes: the team's discussion of a claim, with edits kept and deletions recorded as
//! retractions; internal (never anonymous, never in ClaimReview or the export).

use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::id;
use crate::{both_backends, both_backends_with};

const ADD: &str = "mutation($claim: UUID!, $input: AddNoteInput!) {
  addNote(claimId: $claim, input: $input) { id version author body verificationId }
}";
const EDIT: &str = "mutation($id: UUID!, $v: Int!, $body: String!) {
  editNote(id: $id, expectedVersion: $v, input: { body: $body }) { id version body history { version body } }
}";
const RETRACT: &str = "mutation($id: UUID!, $reason: String!) {
  retractNote(id: $id, input: { reason: $reason }) { id version retraction { by reason } }
}";
const NOTES: &str = "query($id: UUID!, $without: Boolean, $first: Int, $after: String) {
  claim(id: $id) { notes(withoutRetracted: $without, first: $first, after: $after) {
    nodes { id author body version retraction { by reason } history { version body } }
    pageInfo { hasNextPage endCursor } } }
}";

async fn as_role(
    app: &crate::helpers::TestApp,
    role: Role,
    query: &str,
    variables: Value,
) -> Value {
    app.graphql_as(Some(&app.bearer(role)), query, variables)
        .await
        .1
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(no error)")
}

fn data<'a>(response: &'a Value, field: &str) -> &'a Value {
    assert!(response.get("errors").is_none(), "{response:#}");
    &response["data"][field]
}

const SECRET_WORDS: &str = "the ministry's figure looks doubled";

both_backends! {
    async fn notes_are_a_claims_discussion_with_edits_kept_and_retractions_recorded(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "Unemployment fell by half" })).await;
        let claim_id = claim["id"].as_str().unwrap().to_owned();
        let verification = app.record_verification(id(&claim["id"]), "MIXED").await;

        // Checkers and up write notes; viewers read them.
        let first = as_role(app, Role::Checker, ADD, json!({ "claim": claim_id, "input": { "body": SECRET_WORDS } })).await;
        let first = data(&first, "addNote").clone();
        assert_eq!((first["author"].as_str(), first["version"].as_i64()), (Some("test checker"), Some(1)));
        let on_verdict = as_role(app, Role::Editor, ADD, json!({ "claim": claim_id, "input": { "body": "Agree with MIXED", "verificationId": verification["id"] } })).await;
        let on_verdict = data(&on_verdict, "addNote").clone();
        assert_eq!(on_verdict["verificationId"], verification["id"]);
        let refused = as_role(app, Role::Viewer, ADD, json!({ "claim": claim_id, "input": { "body": "me too" } })).await;
        assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
        let empty = as_role(app, Role::Checker, ADD, json!({ "claim": claim_id, "input": { "body": "  " } })).await;
        assert_eq!(code(&empty), "BAD_USER_INPUT", "{empty}");
        let elsewhere = app.create_claim(json!({ "kind": "OTHER", "text": "another claim" })).await;
        let wrong = as_role(app, Role::Checker, ADD, json!({ "claim": elsewhere["id"], "input": { "body": "x", "verificationId": verification["id"] } })).await;
        assert_eq!(code(&wrong), "BAD_USER_INPUT", "a note on another claim's verification: {wrong}");

        // Its author edits it; the earlier text stays in its history.
        let edited = as_role(app, Role::Checker, EDIT, json!({ "id": first["id"], "v": 1, "body": "The ministry's figure is doubled: it counts twice" })).await;
        let edited = data(&edited, "editNote");
        assert_eq!(edited["version"], 2);
        assert_eq!(edited["history"], json!([{ "version": 1, "body": SECRET_WORDS }]));
        let stale = as_role(app, Role::Checker, EDIT, json!({ "id": first["id"], "v": 1, "body": "again" })).await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        let not_theirs = as_role(app, Role::Editor, EDIT, json!({ "id": first["id"], "v": 2, "body": "rewritten" })).await;
        assert_eq!(code(&not_theirs), "CONFLICT", "only the author edits: {not_theirs}");

        // Deleting is a retraction: by the author or an editor, kept and marked.
        let by_other_checker = as_role(app, Role::Checker, RETRACT, json!({ "id": on_verdict["id"], "reason": "no" })).await;
        assert_eq!(code(&by_other_checker), "FORBIDDEN", "{by_other_checker}");
        let retracted = as_role(app, Role::Editor, RETRACT, json!({ "id": first["id"], "reason": "Wrong table" })).await;
        assert_eq!(data(&retracted, "retractNote")["retraction"], json!({ "by": "test editor", "reason": "Wrong table" }));
        let twice = as_role(app, Role::Editor, RETRACT, json!({ "id": first["id"], "reason": "again" })).await;
        assert_eq!(code(&twice), "CONFLICT", "{twice}");
        let after = as_role(app, Role::Checker, EDIT, json!({ "id": first["id"], "v": 3, "body": "later" })).await;
        assert_eq!(code(&after), "CONFLICT", "a retracted note is not edited: {after}");

        // The discussion in order, retracted notes marked (or left out on request).
        let listed = as_role(app, Role::Viewer, NOTES, json!({ "id": claim_id })).await;
        let nodes = data(&listed, "claim")["notes"]["nodes"].as_array().unwrap().clone();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0]["id"], first["id"]);
        assert_eq!(nodes[0]["retraction"]["reason"], "Wrong table");
        assert_eq!(nodes[0]["history"][0]["body"], SECRET_WORDS);
        assert!(nodes[1]["retraction"].is_null());
        let standing = as_role(app, Role::Viewer, NOTES, json!({ "id": claim_id, "without": true })).await;
        let ids: Vec<&Value> = data(&standing, "claim")["notes"]["nodes"].as_array().unwrap().iter().map(|n| &n["id"]).collect();
        assert_eq!(ids, [&on_verdict["id"]]);
        // A verification shows its own notes.
        let on = app
            .gql_ok("query($id: UUID!) { verification(id: $id) { notes { nodes { body } } } }", json!({ "id": verification["id"] }))
            .await;
        assert_eq!(on["verification"]["notes"]["nodes"], json!([{ "body": "Agree with MIXED" }]));

        // Paged without gaps.
        for i in 0..3 {
            let added = as_role(app, Role::Checker, ADD, json!({ "claim": claim_id, "input": { "body": format!("note {i}") } })).await;
            data(&added, "addNote");
        }
        let mut seen = 0;
        let mut cursor = Value::Null;
        loop {
            let page = as_role(app, Role::Viewer, NOTES, json!({ "id": claim_id, "first": 2, "after": cursor })).await;
            let notes = &data(&page, "claim")["notes"];
            seen += notes["nodes"].as_array().unwrap().len();
            if notes["pageInfo"]["hasNextPage"] != true {
                break;
            }
            cursor = notes["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, 5);

        // The audit trail says who discussed what, never the words.
        let trail = app
            .gql_ok("query($id: UUID!) { claim(id: $id) { auditTrail(first: 100) { nodes { entityType operation changes } } } }", json!({ "id": claim_id }))
            .await;
        let notes: Vec<&str> = trail["claim"]["auditTrail"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["entityType"] == "note")
            .map(|e| e["operation"].as_str().unwrap())
            .collect();
        assert_eq!(notes, ["create", "create", "update", "retract", "create", "create", "create"]);
        assert!(!trail.to_string().contains("doubled"), "{trail}");
    }

    async fn notes_over_rest_take_preconditions_and_stay_out_of_claimreview_and_the_export(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "Rents doubled in ten years" })).await;
        let claim_id = claim["id"].as_str().unwrap().to_owned();
        app.record_verification(id(&claim["id"]), "FALSE").await;
        let (status, headers, note) = app
            .rest(Method::POST, &format!("/api/v1/claims/{claim_id}/notes"), Some(Role::Checker), Some(json!({ "body": SECRET_WORDS })), &[])
            .await;
        assert_eq!(status, 201, "{note}");
        let location = headers["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("/api/v1/notes/{}", note["id"].as_str().unwrap()));
        assert_eq!((headers["etag"].to_str().unwrap(), note["history"].clone()), ("\"1\"", json!([])));
        let (status, _, _) = app.rest(Method::PATCH, &location, Some(Role::Checker), Some(json!({ "body": "edited" })), &[]).await;
        assert_eq!(status, 428);
        let (status, headers, edited) = app
            .rest(Method::PATCH, &location, Some(Role::Checker), Some(json!({ "body": "edited" })), &[("if-match", "\"1\"")])
            .await;
        assert_eq!((status, headers["etag"].to_str().unwrap()), (200, "\"2\""), "{edited}");
        assert_eq!(edited["history"][0]["body"], SECRET_WORDS);
        let (status, _, listed) = app.rest(Method::GET, &format!("/api/v1/claims/{claim_id}/notes"), Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, listed["items"].as_array().unwrap().len()), (200, 1), "{listed}");
        let (status, _, problem) = app
            .rest(Method::POST, &format!("{location}/retraction"), Some(Role::Checker), Some(json!({ "reasons": "typo" })), &[])
            .await;
        assert_eq!(status, 400, "unknown field: {problem}");
        let (status, _, retracted) = app
            .rest(Method::POST, &format!("{location}/retraction"), Some(Role::Checker), Some(json!({ "reason": "Duplicate" })), &[])
            .await;
        assert_eq!((status, retracted["retraction"]["by"].as_str()), (200, Some("test checker")), "{retracted}");

        // Nothing public carries a note, in any of its versions.
        let (status, _, review) = app.rest(Method::GET, &format!("/api/v1/claims/{claim_id}/claimreview"), Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 200);
        let export = app.get("/api/v1/export").send().await.unwrap().text().await.unwrap();
        assert!(export.contains("Rents doubled"), "the export has the claim");
        for public in [review.to_string(), export] {
            assert!(!public.contains(SECRET_WORDS) && !public.contains("edited") && !public.contains("Duplicate"), "{public}");
        }
    }
}

fn anonymous_reads(settings: &mut claimtrack::config::Settings) {
    settings.auth.anonymous_reads = true;
}

both_backends_with! { anonymous_reads;
    async fn anonymous_readers_never_see_notes(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "Crime rose by a third" })).await;
        let claim_id = claim["id"].as_str().unwrap().to_owned();
        let added = as_role(app, Role::Checker, ADD, json!({ "claim": claim_id, "input": { "body": SECRET_WORDS } })).await;
        let note = data(&added, "addNote")["id"].clone();
        // The claim is readable without credentials; its notes are not.
        let (_, open) = app.graphql_as(None, "query($id: UUID!) { claim(id: $id) { text } }", json!({ "id": claim_id })).await;
        assert_eq!(open["data"]["claim"]["text"], "Crime rose by a third", "{open}");
        let (_, closed) = app.graphql_as(None, NOTES, json!({ "id": claim_id })).await;
        assert_eq!(code(&closed), "UNAUTHENTICATED", "{closed}");
        assert!(!closed.to_string().contains(SECRET_WORDS));
        let (_, one) = app.graphql_as(None, "query($id: UUID!) { note(id: $id) { body } }", json!({ "id": note })).await;
        assert_eq!(code(&one), "UNAUTHENTICATED", "{one}");
        let (status, _, _) = app.rest(Method::GET, &format!("/api/v1/claims/{claim_id}/notes"), None, None, &[]).await;
        assert_eq!(status, 401);
        let (status, _, _) = app.rest(Method::GET, &format!("/api/v1/notes/{}", note.as_str().unwrap()), None, None, &[]).await;
        assert_eq!(status, 401);
    }
}
