use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, id};

const STATE: &str = "query($id: UUID!) { claim(id: $id) {
    status currentVerdict version
    currentVerification { id verdict }
    verifications(first: 10) { edges { node { id verdict rating reviewerName retraction { reason } citations { url stance source { name } } } } }
} }";

async fn claim_state(app: &TestApp, claim: uuid::Uuid) -> Value {
    app.gql_ok(STATE, json!({ "id": claim })).await["claim"].clone()
}

async fn retract(app: &TestApp, verification: &Value, reason: &str) -> Value {
    app.graphql(
        "mutation($id: UUID!, $r: String!) { retractVerification(id: $id, reason: $r) { id retraction { reason retractedByName } } }",
        json!({ "id": verification, "r": reason }),
    )
    .await
}

both_backends! {
    async fn recording_a_verification_moves_the_claim_to_reviewed_with_its_verdict(app: TestApp) {
        let prosecutor = app.create_source("GOVERNMENT", "Paris prosecutor").await;
        let claim = app.create_claim(json!({ "kind": "QUANTITY", "text": "killed 129", "quantity": { "measure": "deaths", "value": "129" } })).await;
        let claim_id = id(&claim["id"]);
        let recorded = app
            .gql_ok(
                "mutation($c: UUID!, $s: UUID!) { recordVerification(claimId: $c, input: {
                    verdict: MOSTLY_TRUE, summary: \"The toll later rose to 130.\",
                    citations: [{ url: \"https://prosecutor.example/statement\", sourceId: $s, stance: CONTRADICTS, excerpt: \"130 dead\" },
                                { url: \"https://wire.example/update\" }]
                }) { id verdict rating summary reviewerName claim { status } } }",
                json!({ "c": claim_id, "s": prosecutor }),
            )
            .await["recordVerification"]
            .clone();
        assert_eq!(recorded["rating"], 4);
        assert_eq!(recorded["claim"]["status"], "REVIEWED");
        let state = claim_state(app, claim_id).await;
        assert_eq!(state["status"], "REVIEWED");
        assert_eq!(state["currentVerdict"], "MOSTLY_TRUE");
        assert_eq!(state["version"], 2, "recording a verification changes the claim");
        assert_eq!(state["currentVerification"]["id"], recorded["id"]);
        let citations = &state["verifications"]["edges"][0]["node"]["citations"];
        assert_eq!(citations, &json!([
            { "url": "https://prosecutor.example/statement", "stance": "CONTRADICTS", "source": { "name": "Paris prosecutor" } },
            { "url": "https://wire.example/update", "stance": "CONTEXT", "source": null }
        ]));
    }

    async fn verdicts_off_the_rating_scale_have_no_rating(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "x" })).await;
        for (verdict, rating) in [("TRUE", json!(5)), ("FALSE", json!(1)), ("MISLEADING", Value::Null), ("UNPROVEN", Value::Null)] {
            let recorded = app.record_verification(id(&claim["id"]), verdict).await;
            assert_eq!(recorded["rating"], rating, "{verdict}");
        }
    }

    async fn history_is_kept_and_retraction_falls_back_to_the_latest_standing_verdict(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "contested" })).await;
        let claim_id = id(&claim["id"]);
        let first = app.record_verification(claim_id, "FALSE").await;
        let second = app.record_verification(claim_id, "TRUE").await;
        assert_eq!(claim_state(app, claim_id).await["currentVerdict"], "TRUE");

        let response = retract(app, &second["id"], "recorded on the wrong claim").await;
        assert_eq!(response["data"]["retractVerification"]["retraction"]["reason"], "recorded on the wrong claim", "{response}");
        let state = claim_state(app, claim_id).await;
        assert_eq!(state["currentVerdict"], "FALSE");
        assert_eq!(state["currentVerification"]["id"], first["id"]);
        assert_eq!(state["status"], "REVIEWED");
        // Nothing is deleted: both verifications are in the history, newest first.
        let history = state["verifications"]["edges"].as_array().unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0]["node"]["id"], second["id"]);
        assert_eq!(history[0]["node"]["retraction"]["reason"], "recorded on the wrong claim");
        assert_eq!(history[1]["node"]["retraction"], Value::Null);

        let again = retract(app, &second["id"], "twice").await;
        assert_eq!(again["errors"][0]["extensions"]["code"], "CONFLICT");

        retract(app, &first["id"], "evidence withdrawn").await;
        let state = claim_state(app, claim_id).await;
        assert_eq!(state["currentVerdict"], Value::Null);
        assert_eq!(state["currentVerification"], Value::Null);
        assert_eq!(state["status"], "IN_REVIEW", "no standing verdict: back to review");
        assert_eq!(app.count_rows("verifications").await, 2);
        assert_eq!(app.count_rows("retractions").await, 2);
    }

    async fn verified_claims_are_history_and_cannot_be_deleted(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "x" })).await;
        app.record_verification(id(&claim["id"]), "MIXED").await;
        let (code, _) = app.gql_error("mutation($id: UUID!) { deleteClaim(id: $id) }", json!({ "id": claim["id"] })).await;
        assert_eq!(code, "CONFLICT");
        assert_eq!(app.count_rows("claims").await, 1);
    }

    async fn an_archived_claim_cannot_be_verified(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "x" })).await;
        app.gql_ok("mutation($id: UUID!) { updateClaim(id: $id, expectedVersion: 1, input: { status: ARCHIVED }) { status } }", json!({ "id": claim["id"] })).await;
        let (code, _) = app
            .gql_error(
                "mutation($id: UUID!) { recordVerification(claimId: $id, input: { verdict: TRUE, summary: \"s\" }) { id } }",
                json!({ "id": claim["id"] }),
            )
            .await;
        assert_eq!(code, "CONFLICT");
        assert_eq!(app.count_rows("verifications").await, 0);
    }

    async fn invalid_verifications_are_rejected_with_field_paths(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "x" })).await;
        let (code, error) = app
            .gql_error(
                "mutation($id: UUID!) { recordVerification(claimId: $id, input: { verdict: TRUE, summary: \" \", citations: [{ url: \"javascript:alert(1)\" }] }) { id } }",
                json!({ "id": claim["id"] }),
            )
            .await;
        assert_eq!(code, "BAD_USER_INPUT");
        let fields: Vec<&str> = error["extensions"]["fieldErrors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["input.summary", "input.citations.0.url"]);
        let (code, _) = app
            .gql_error(
                "mutation($id: UUID!) { recordVerification(claimId: $id, input: { verdict: TRUE, summary: \"s\" }) { id } }",
                json!({ "id": uuid::Uuid::now_v7() }),
            )
            .await;
        assert_eq!(code, "NOT_FOUND");
        assert_eq!(app.count_rows("verifications").await, 0);
    }

    async fn checkers_recording_on_one_claim_at_once_all_succeed(app: TestApp) {
        let claim = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Contested." })).await["id"]);
        let verdicts = ["TRUE", "FALSE", "MIXED", "MOSTLY_TRUE", "MOSTLY_FALSE", "UNPROVEN", "MISLEADING", "TRUE"];
        let checker = app.bearer(claimtrack::domain::Role::Checker);
        let answers = futures_util::future::join_all(verdicts.iter().map(|verdict| {
            app.graphql_as(
                Some(&checker),
                "mutation($claim: UUID!, $verdict: Verdict!) { recordVerification(claimId: $claim, input: { verdict: $verdict, summary: \"at once\" }) { id } }",
                json!({ "claim": claim, "verdict": verdict }),
            )
        }))
        .await;
        for (_, answer) in &answers {
            assert!(answer.get("errors").is_none(), "{answer:#}");
        }
        assert_eq!(app.count_rows("verifications").await, 8);
        // The claim's version moved once per verification, none lost.
        let data = app.gql_ok("query($id: UUID!) { claim(id: $id) { version status } }", json!({ "id": claim })).await;
        assert_eq!(data["claim"]["version"], 9);
        assert_eq!(data["claim"]["status"], "REVIEWED");
    }
}
