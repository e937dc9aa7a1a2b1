use serde_json::json;

use crate::both_backends;
use crate::helpers::id;

const SOURCE_FIELDS: &str = "id kind name aliases description url version";

both_backends! {
    async fn a_source_can_be_created_read_updated_and_deleted(app: TestApp) {
        let created = app
            .gql_ok(
                &format!("mutation($i: CreateSourceInput!) {{ createSource(input: $i) {{ {SOURCE_FIELDS} }} }}"),
                json!({ "i": { "kind": "PERSON", "name": "  Francois Hollande ", "aliases": ["Hollande", "Hollande"] } }),
            )
            .await["createSource"]
            .clone();
        assert_eq!(created["name"], "Francois Hollande");
        assert_eq!(created["aliases"], json!(["Hollande"]));
        assert_eq!(created["version"], 1);
        let source = id(&created["id"]);

        let read = app
            .gql_ok(&format!("query($id: UUID!) {{ source(id: $id) {{ {SOURCE_FIELDS} }} }}"), json!({ "id": source }))
            .await;
        assert_eq!(read["source"], created);

        let updated = app
            .gql_ok(
                "mutation($id: UUID!) { updateSource(id: $id, expectedVersion: 1, input: { description: \"President of France\", kind: PERSON }) { description version name } }",
                json!({ "id": source }),
            )
            .await;
        assert_eq!(updated["updateSource"], json!({ "description": "President of France", "version": 2, "name": "Francois Hollande" }));

        let cleared = app
            .gql_ok(
                "mutation($id: UUID!) { updateSource(id: $id, expectedVersion: 2, input: { description: null }) { description version } }",
                json!({ "id": source }),
            )
            .await;
        assert_eq!(cleared["updateSource"], json!({ "description": null, "version": 3 }));

        let deleted = app.gql_ok("mutation($id: UUID!) { deleteSource(id: $id) }", json!({ "id": source })).await;
        assert_eq!(id(&deleted["deleteSource"]), source);
        let (code, _) = app.gql_error("query($id: UUID!) { source(id: $id) { id } }", json!({ "id": source })).await;
        assert_eq!(code, "NOT_FOUND");
        assert_eq!(app.count_rows("sources").await, 0);
    }

    async fn a_second_source_with_the_same_kind_and_name_is_a_conflict(app: TestApp) {
        app.create_source("ORGANIZATION", "Islamic State").await;
        let (code, _) = app
            .gql_error(
                "mutation { createSource(input: { kind: ORGANIZATION, name: \"Islamic State\" }) { id } }",
                json!({}),
            )
            .await;
        assert_eq!(code, "CONFLICT");
        // Same name, other kind: a different source.
        app.create_source("GROUP", "Islamic State").await;
        assert_eq!(app.count_rows("sources").await, 2);
    }

    async fn a_stale_version_is_a_conflict_and_changes_nothing(app: TestApp) {
        let source = app.create_source("PERSON", "Barack Obama").await;
        app.gql_ok(
            "mutation($id: UUID!) { updateSource(id: $id, expectedVersion: 1, input: { name: \"Barack H. Obama\" }) { version } }",
            json!({ "id": source }),
        )
        .await;
        let (code, error) = app
            .gql_error(
                "mutation($id: UUID!) { updateSource(id: $id, expectedVersion: 1, input: { name: \"Obama\" }) { version } }",
                json!({ "id": source }),
            )
            .await;
        assert_eq!(code, "CONFLICT");
        assert!(error["message"].as_str().unwrap().contains("version"), "{error}");
        let read = app.gql_ok("query($id: UUID!) { source(id: $id) { name version } }", json!({ "id": source })).await;
        assert_eq!(read["source"], json!({ "name": "Barack H. Obama", "version": 2 }));
    }

    async fn a_source_still_referred_to_cannot_be_deleted(app: TestApp) {
        let speaker = app.create_source("PERSON", "Vladimir Putin").await;
        app.create_claim(json!({ "kind": "OTHER", "text": "Russia is striking terrorists", "speakerId": speaker })).await;
        let (code, _) = app.gql_error("mutation($id: UUID!) { deleteSource(id: $id) }", json!({ "id": speaker })).await;
        assert_eq!(code, "CONFLICT");
        assert_eq!(app.count_rows("sources").await, 1);
    }

    async fn sources_can_be_filtered_by_kind_and_name(app: TestApp) {
        app.create_source("PERSON", "John Kerry").await;
        app.create_source("PERSON", "Barack Obama").await;
        app.create_source("OUTLET", "Example Wire").await;
        let data = app
            .gql_ok(
                "{ people: sources(filter: { kind: [PERSON] }) { totalCount }
                   named: sources(filter: { nameContains: \"KERRY\" }) { edges { node { name } } } }",
                json!({}),
            )
            .await;
        assert_eq!(data["people"]["totalCount"], 2);
        assert_eq!(data["named"]["edges"], json!([{ "node": { "name": "John Kerry" } }]));
    }

    async fn invalid_source_input_names_every_offending_field(app: TestApp) {
        let (code, error) = app
            .gql_error(
                "mutation { createSource(input: { kind: PERSON, name: \" \", aliases: [\"ok\", \"\"] }) { id } }",
                json!({}),
            )
            .await;
        assert_eq!(code, "BAD_USER_INPUT");
        let fields: Vec<&str> = error["extensions"]["fieldErrors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["input.name", "input.aliases.1"]);
        assert_eq!(app.count_rows("sources").await, 0);
        assert_eq!(app.content_audit_events().await, 0);
    }

    async fn a_speaker_record_counts_each_claim_once_by_its_standing_verdict_in_the_window(app: TestApp) {
        let speaker = app.create_source("PERSON", "Francois Hollande").await;
        let other = app.create_source("PERSON", "Someone Else").await;
        let claim = |text: &str, speaker: uuid::Uuid| json!({ "kind": "OTHER", "text": text, "speakerId": speaker });
        let a = crate::helpers::id(&app.create_claim(claim("A", speaker)).await["id"]);
        let b = crate::helpers::id(&app.create_claim(claim("B", speaker)).await["id"]);
        let c = crate::helpers::id(&app.create_claim(claim("C", speaker)).await["id"]);
        let d = crate::helpers::id(&app.create_claim(claim("D", other)).await["id"]);
        app.record_verification(a, "FALSE").await;
        app.record_verification(a, "MOSTLY_FALSE").await; // a's latest
        app.record_verification(b, "TRUE").await;
        let retracted = app.record_verification(c, "MIXED").await;
        app.gql_ok("mutation($id: UUID!) { retractVerification(id: $id, reason: \"wrong\") { id } }", json!({ "id": retracted["id"] })).await;
        app.record_verification(d, "FALSE").await; // another speaker
        let query = "query($id: UUID!, $from: DateTime, $to: DateTime) { source(id: $id) { record(from: $from, to: $to) { judged byVerdict { verdict count } } } }";
        let record = app.gql_ok(query, json!({ "id": speaker })).await;
        let record = &record["source"]["record"];
        assert_eq!(record["judged"], 2);
        let count = |verdict: &str| record["byVerdict"].as_array().unwrap().iter().find(|v| v["verdict"] == verdict).unwrap()["count"].clone();
        assert_eq!((count("MOSTLY_FALSE"), count("TRUE"), count("FALSE"), count("MIXED")), (json!(1), json!(1), json!(0), json!(0)));
        assert_eq!(record["byVerdict"].as_array().unwrap().len(), 8, "every verdict listed");

        // A window that ended before anything was recorded holds nothing; REST agrees.
        let past = app.gql_ok(query, json!({ "id": speaker, "to": "2020-01-01T00:00:00Z" })).await;
        assert_eq!(past["source"]["record"]["judged"], 0);
        let (status, _, body) = app.rest(reqwest::Method::GET, &format!("/api/v1/sources/{speaker}/record?from=2020-01-01T00:00:00Z"), Some(claimtrack::domain::Role::Viewer), None, &[]).await;
        assert_eq!((status, &body["judged"]), (200, &json!(2)));
        // An empty window is refused.
        let (status, _, _) = app.rest(reqwest::Method::GET, &format!("/api/v1/sources/{speaker}/record?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z"), Some(claimtrack::domain::Role::Viewer), None, &[]).await;
        assert_eq!(status, 400);
    }
}
