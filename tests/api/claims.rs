use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{CLAIM_FIELDS, TestApp, id};

async fn update_claim(app: &TestApp, claim: &Value, version: i64, input: Value) -> Value {
    app.graphql(
        &format!("mutation($id: UUID!, $v: Int!, $i: UpdateClaimInput!) {{ updateClaim(id: $id, expectedVersion: $v, input: $i) {{ {CLAIM_FIELDS} }} }}"),
        json!({ "id": claim["id"], "v": version, "i": input }),
    )
    .await
}

both_backends! {
    async fn a_quantity_claim_keeps_its_figures_exactly(app: TestApp) {
        let claim = app
            .create_claim(json!({
                "kind": "QUANTITY",
                "text": "The attacks killed 129",
                "quantity": {
                    "subject": "November 2015 Paris attacks", "measure": "deaths",
                    "value": "129", "lower": "128.999999999999999999", "upper": "1e3",
                    "unit": "people", "approximate": true, "asOf": "2015-11-17T16:01:00Z"
                }
            }))
            .await;
        assert_eq!(claim["status"], "UNREVIEWED");
        assert_eq!(claim["version"], 1);
        assert_eq!(claim["quantity"], json!({
            "subject": "November 2015 Paris attacks", "measure": "deaths", "value": "129",
            "lower": "128.999999999999999999", "upper": "1000", "unit": "people",
            "approximate": true, "asOf": "2015-11-17T16:01:00+00:00"
        }));
        let read = app.gql_ok(&format!("query($id: UUID!) {{ claim(id: $id) {{ {CLAIM_FIELDS} }} }}"), json!({ "id": claim["id"] })).await;
        assert_eq!(read["claim"], claim);
    }

    async fn a_quote_claim_is_created_updated_and_deleted(app: TestApp) {
        let hollande = app.create_source("PERSON", "Francois Hollande").await;
        let claim = app
            .create_claim(json!({ "kind": "QUOTE", "text": "France is at war", "speakerId": hollande,
                "setting": "told a joint session of Parliament at the Palace of Versailles" }))
            .await;
        assert_eq!(claim["quote"], "France is at war", "the quote defaults to the text");
        assert_eq!(claim["speaker"]["name"], "Francois Hollande");

        let response = update_claim(app, &claim, 1, json!({ "text": "France is at war.", "setting": null, "status": "IN_REVIEW" })).await;
        let updated = &response["data"]["updateClaim"];
        assert_eq!(updated["text"], "France is at war.");
        assert_eq!(updated["setting"], Value::Null);
        assert_eq!(updated["status"], "IN_REVIEW");
        assert_eq!(updated["version"], 2);

        app.gql_ok("mutation($id: UUID!) { deleteClaim(id: $id) }", json!({ "id": claim["id"] })).await;
        assert_eq!(app.count_rows("claims").await, 0);
    }

    async fn kind_specific_fields_must_fit_the_kind(app: TestApp) {
        let cases = [
            (json!({ "kind": "QUANTITY", "text": "Many died" }), "input.quantity"),
            (json!({ "kind": "EVENT", "text": "x", "quantity": { "measure": "deaths", "value": "1" } }), "input.quantity"),
            (json!({ "kind": "OTHER", "text": "x", "quote": "words" }), "input.quote"),
            (json!({ "kind": "QUANTITY", "text": "x", "quantity": { "measure": "deaths", "lower": "10", "upper": "5" } }), "input.quantity.lower"),
            (json!({ "kind": "QUANTITY", "text": "x", "quantity": { "measure": "deaths", "value": "4", "lower": "5" } }), "input.quantity.value"),
            (json!({ "kind": "QUANTITY", "text": "x", "quantity": { "measure": "deaths" } }), "input.quantity.value"),
            (json!({ "kind": "QUOTE", "text": "" }), "input.text"),
            (json!({ "kind": "QUOTE", "text": "x", "status": "REVIEWED" }), "input.status"),
            (json!({ "kind": "QUOTE", "text": "x", "speakerId": uuid::Uuid::now_v7() }), "input.speakerId"),
        ];
        for (input, field) in cases {
            let (code, error) = app
                .gql_error("mutation($i: CreateClaimInput!) { createClaim(input: $i) { id } }", json!({ "i": input }))
                .await;
            assert_eq!(code, "BAD_USER_INPUT", "{input}");
            assert_eq!(error["extensions"]["field"], field, "{input}");
        }
        let (code, _) = app
            .gql_error("mutation { createClaim(input: { kind: QUANTITY, text: \"x\", quantity: { measure: \"m\", value: \"twelve\" } }) { id } }", json!({}))
            .await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert_eq!(app.count_rows("claims").await, 0);
    }

    async fn status_moves_only_along_the_workflow(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "EVENT", "text": "Russia joined the conflict in September" })).await;
        let skip = update_claim(app, &claim, 1, json!({ "status": "REVIEWED" })).await;
        assert_eq!(skip["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(skip["errors"][0]["extensions"]["field"], "input.status");

        let started = update_claim(app, &claim, 1, json!({ "status": "IN_REVIEW" })).await;
        assert_eq!(started["data"]["updateClaim"]["status"], "IN_REVIEW", "{started}");
        // Reviewed only while a verdict stands: recording one is how a claim gets there.
        let by_hand = update_claim(app, &claim, 2, json!({ "status": "REVIEWED" })).await;
        assert_eq!(by_hand["errors"][0]["extensions"]["field"], "input.status", "{by_hand}");
        let verdict = app.record_verification(id(&claim["id"]), "TRUE").await;
        let reviewed = app.gql_ok("query($id: UUID!) { claim(id: $id) { status version } }", json!({ "id": claim["id"] })).await;
        assert_eq!(reviewed["claim"]["status"], "REVIEWED");
        let version = reviewed["claim"]["version"].as_i64().unwrap();
        let back = update_claim(app, &claim, version, json!({ "status": "IN_REVIEW" })).await;
        assert_eq!(back["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let archived = update_claim(app, &claim, version, json!({ "status": "ARCHIVED" })).await;
        assert_eq!(archived["data"]["updateClaim"]["status"], "ARCHIVED", "{archived}");

        // Archived claims are read-only: no edits, no appearances, no verdicts ...
        let edit = update_claim(app, &claim, version + 1, json!({ "text": "changed behind the archive" })).await;
        assert_eq!(edit["errors"][0]["extensions"]["code"], "CONFLICT", "{edit}");
        let article = app.create_article("https://wire.example/archived", "Russia joined the conflict in September.", None).await;
        let (code, _) = app
            .gql_error(
                "mutation($c: UUID!, $a: UUID!) { addAppearance(claimId: $c, input: { articleId: $a, excerpt: \"Russia joined the conflict\" }) { id } }",
                json!({ "c": claim["id"], "a": article }),
            )
            .await;
        assert_eq!(code, "CONFLICT");
        let (code, _) = app
            .gql_error(
                "mutation($v: UUID!) { retractVerification(id: $v, reason: \"reopened\") { id } }",
                json!({ "v": verdict["id"] }),
            )
            .await;
        assert_eq!(code, "CONFLICT");
        // ... until an editor restores them (an audited status change).
        let restored = update_claim(app, &claim, version + 1, json!({ "status": "REVIEWED" })).await;
        assert_eq!(restored["data"]["updateClaim"]["status"], "REVIEWED", "{restored}");
        let trail = app
            .gql_ok("query($id: UUID!) { claim(id: $id) { text auditTrail(orderBy: { field: CREATED_AT, direction: DESC }, first: 1) { nodes { operation changes } } } }", json!({ "id": claim["id"] }))
            .await;
        assert_eq!(trail["claim"]["text"], "Russia joined the conflict in September");
        assert_eq!(trail["claim"]["auditTrail"]["nodes"][0]["changes"]["status"]["from"], "archived", "{trail}");
    }

    async fn a_stale_claim_update_is_a_conflict_and_changes_nothing(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "original" })).await;
        let first = update_claim(app, &claim, 1, json!({ "text": "first editor" })).await;
        assert!(first.get("errors").is_none(), "{first}");
        let second = update_claim(app, &claim, 1, json!({ "text": "second editor" })).await;
        assert_eq!(second["errors"][0]["extensions"]["code"], "CONFLICT");
        let read = app.gql_ok("query($id: UUID!) { claim(id: $id) { text version } }", json!({ "id": claim["id"] })).await;
        assert_eq!(read["claim"], json!({ "text": "first editor", "version": 2 }));
        // create + one update: two audit events, none for the refused update.
        assert_eq!(app.content_audit_events().await, 2);
    }

    async fn changing_the_kind_rechecks_the_kind_specific_fields(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "129 died" })).await;
        let missing = update_claim(app, &claim, 1, json!({ "kind": "QUANTITY" })).await;
        assert_eq!(missing["errors"][0]["extensions"]["field"], "input.quantity");
        let ok = update_claim(app, &claim, 1, json!({ "kind": "QUANTITY", "quantity": { "measure": "deaths", "value": "129" } })).await;
        assert_eq!(ok["data"]["updateClaim"]["quantity"]["value"], "129", "{ok}");
        let cleared = update_claim(app, &claim, 2, json!({ "kind": "OTHER", "quantity": null })).await;
        assert_eq!(cleared["data"]["updateClaim"]["quantity"], Value::Null, "{cleared}");
    }

    async fn appearances_are_added_checked_against_the_body_and_removed(app: TestApp) {
        let article = app.create_article("https://wire.example/c", "“France is at war,” he said.", None).await;
        let claim = app.create_claim(json!({ "kind": "QUOTE", "text": "France is at war" })).await;
        let added = app
            .gql_ok(
                "mutation($c: UUID!, $a: UUID!) { addAppearance(claimId: $c, input: { articleId: $a, excerpt: \"France is at war\", spanStart: 1, spanEnd: 17 }) { id spanStart spanEnd article { url } } }",
                json!({ "c": claim["id"], "a": article }),
            )
            .await["addAppearance"]
            .clone();
        assert_eq!(added["article"]["url"], "https://wire.example/c");

        let twice = app
            .gql_error(
                "mutation($c: UUID!, $a: UUID!) { addAppearance(claimId: $c, input: { articleId: $a, excerpt: \"again\" }) { id } }",
                json!({ "c": claim["id"], "a": article }),
            )
            .await;
        assert_eq!(twice.0, "CONFLICT");

        let other = app.create_article("https://wire.example/d", "short", None).await;
        let beyond = app
            .gql_error(
                "mutation($c: UUID!, $a: UUID!) { addAppearance(claimId: $c, input: { articleId: $a, excerpt: \"x\", spanStart: 0, spanEnd: 6 }) { id } }",
                json!({ "c": claim["id"], "a": other }),
            )
            .await;
        assert_eq!((beyond.0.as_str(), &beyond.1["extensions"]["field"]), ("BAD_USER_INPUT", &json!("input.spanEnd")));

        let listed = app
            .gql_ok("query($id: UUID!) { claim(id: $id) { appearances { edges { node { id } } } } }", json!({ "id": claim["id"] }))
            .await;
        assert_eq!(listed["claim"]["appearances"]["edges"][0]["node"]["id"], added["id"]);

        app.gql_ok("mutation($id: UUID!) { removeAppearance(id: $id) }", json!({ "id": added["id"] })).await;
        assert_eq!(app.count_rows("appearances").await, 0);
    }

    async fn every_claim_filter_selects_exactly_the_matching_claims(app: TestApp) {
        let hollande = app.create_source("PERSON", "Francois Hollande").await;
        let isis = app.create_source("ORGANIZATION", "Islamic State").await;
        let article = app.create_article("https://wire.example/e", "Hollande: France is at war.", None).await;
        let war = app
            .create_claim(json!({ "kind": "QUOTE", "text": "France is at WAR", "speakerId": hollande,
                "appearances": [{ "articleId": article, "excerpt": "France is at war" }] }))
            .await;
        let toll = app
            .create_claim(json!({ "kind": "QUANTITY", "text": "killed 129 (100% sure_ly)",
                "quantity": { "subject": "Paris attacks", "measure": "deaths", "value": "129" } }))
            .await;
        let responsibility = app
            .create_claim(json!({ "kind": "EVENT", "text": "IS claimed responsibility", "speakerId": isis, "status": "IN_REVIEW" }))
            .await;
        app.record_verification(id(&toll["id"]), "MOSTLY_TRUE").await;
        let between = app.gql_ok("query($id: UUID!) { claim(id: $id) { createdAt } }", json!({ "id": toll["id"] })).await;
        let toll_created = between["claim"]["createdAt"].as_str().unwrap().to_owned();

        let cases = [
            (json!({ "status": ["UNREVIEWED"] }), vec![&war]),
            (json!({ "status": ["IN_REVIEW", "REVIEWED"] }), vec![&responsibility, &toll]),
            (json!({ "kind": ["QUANTITY"] }), vec![&toll]),
            (json!({ "currentVerdict": ["MOSTLY_TRUE"] }), vec![&toll]),
            (json!({ "currentVerdict": ["FALSE"] }), vec![]),
            (json!({ "speakerId": hollande }), vec![&war]),
            (json!({ "articleId": article }), vec![&war]),
            (json!({ "subject": "Paris attacks", "measure": "deaths" }), vec![&toll]),
            (json!({ "measure": "injuries" }), vec![]),
            (json!({ "textContains": "war" }), vec![&war]),
            (json!({ "textContains": "100%" }), vec![&toll]),
            (json!({ "textContains": "_" }), vec![&toll]),
            (json!({ "createdAfter": toll_created }), vec![&responsibility, &toll]),
            (json!({ "createdBefore": toll_created }), vec![&war]),
            (json!({ "kind": ["QUOTE", "EVENT"], "status": ["IN_REVIEW"] }), vec![&responsibility]),
        ];
        for (filter, expected) in cases {
            let data = app
                .gql_ok("query($f: ClaimFilterInput) { claims(filter: $f) { totalCount edges { node { id } } } }", json!({ "f": filter }))
                .await;
            let got: Vec<&Value> = data["claims"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]["id"]).collect();
            let want: Vec<&Value> = expected.iter().map(|c| &c["id"]).collect();
            assert_eq!(got, want, "filter {filter}");
            assert_eq!(data["claims"]["totalCount"], want.len(), "filter {filter}");
        }
    }

    async fn claims_are_ordered_by_created_or_updated_time_in_both_directions(app: TestApp) {
        let mut ids = Vec::new();
        for n in 0..4 {
            ids.push(app.create_claim(json!({ "kind": "OTHER", "text": format!("claim {n}") })).await);
        }
        // Touch the oldest claim: it becomes the most recently updated.
        update_claim(app, &ids[0], 1, json!({ "text": "claim 0, edited" })).await;
        let order = |field: &str, direction: &str| {
            format!("{{ claims(orderBy: {{ field: {field}, direction: {direction} }}) {{ edges {{ node {{ text }} }} }} }}")
        };
        let texts = |data: &Value| -> Vec<String> {
            data["claims"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["text"].as_str().unwrap().to_owned()).collect()
        };
        let created_desc = texts(&app.gql_ok(&order("CREATED_AT", "DESC"), json!({})).await);
        assert_eq!(created_desc, ["claim 3", "claim 2", "claim 1", "claim 0, edited"]);
        let created_asc = texts(&app.gql_ok(&order("CREATED_AT", "ASC"), json!({})).await);
        assert_eq!(created_asc, ["claim 0, edited", "claim 1", "claim 2", "claim 3"]);
        let updated_desc = texts(&app.gql_ok(&order("UPDATED_AT", "DESC"), json!({})).await);
        assert_eq!(updated_desc, ["claim 0, edited", "claim 3", "claim 2", "claim 1"]);
        let updated_asc = texts(&app.gql_ok(&order("UPDATED_AT", "ASC"), json!({})).await);
        assert_eq!(updated_asc, ["claim 1", "claim 2", "claim 3", "claim 0, edited"]);
        // Default: newest first.
        let default = texts(&app.gql_ok("{ claims { edges { node { text } } } }", json!({})).await);
        assert_eq!(default, created_desc);
    }

    async fn later_mutations_in_one_request_read_what_earlier_ones_wrote(app: TestApp) {
        let speaker = app.create_source("PERSON", "Francois Hollande").await;
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "x", "speakerId": speaker })).await;
        let data = app
            .gql_ok(
                "mutation($c: UUID!, $s: UUID!) {
                    before: updateClaim(id: $c, expectedVersion: 1, input: { text: \"y\" }) { speaker { name } }
                    rename: updateSource(id: $s, expectedVersion: 1, input: { name: \"François Hollande\" }) { name }
                    after: updateClaim(id: $c, expectedVersion: 2, input: { text: \"z\" }) { speaker { name } }
                }",
                json!({ "c": claim["id"], "s": speaker }),
            )
            .await;
        assert_eq!(data["before"]["speaker"]["name"], "Francois Hollande");
        assert_eq!(data["after"]["speaker"]["name"], "François Hollande");
    }
}

both_backends! {
    async fn a_claim_carries_its_language_into_search_and_claimreview(app: TestApp) {
        // Given by hand; checked as a language tag.
        let given = app.create_claim(json!({ "kind": "OTHER", "text": "La guerre est déclarée", "language": "fr-FR" })).await;
        let language = app.gql_ok("query($id: UUID!) { claim(id: $id) { language } }", json!({ "id": given["id"] })).await;
        assert_eq!(language["claim"]["language"], "fr-FR");
        let bad = app
            .graphql("mutation { createClaim(input: { kind: OTHER, text: \"x\", language: \"not a tag\" }) { id } }", json!({}))
            .await;
        assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{bad}");
        assert_eq!(bad["errors"][0]["extensions"]["field"], "input.language", "{bad}");

        // Absent: the language of the first article it appeared in.
        let article = app
            .gql_ok("mutation { createArticle(input: { url: \"https://zeitung.example/a\", title: \"Wahl\", language: \"de\", body: \"Die Wahlbeteiligung lag bei 70 Prozent.\" }) { id } }", json!({}))
            .await;
        let article = id(&article["createArticle"]["id"]);
        let found = app
            .create_claim(json!({ "kind": "OTHER", "text": "Die Wahlbeteiligung lag bei 70 Prozent", "appearances": [{ "articleId": article, "excerpt": "Die Wahlbeteiligung lag bei 70 Prozent" }] }))
            .await;
        let claim = app.gql_ok("query($id: UUID!) { claim(id: $id) { language version } }", json!({ "id": found["id"] })).await;
        assert_eq!(claim["claim"]["language"], "de");

        // Changed by hand, and cleared with null.
        let changed = update_claim(app, &found, 1, json!({ "language": "de-AT" })).await;
        assert!(changed.get("errors").is_none(), "{changed}");
        let language = app.gql_ok("query($id: UUID!) { claim(id: $id) { language } }", json!({ "id": found["id"] })).await;
        assert_eq!(language["claim"]["language"], "de-AT");
        let (status, _, body) = app.rest(reqwest::Method::GET, &format!("/api/v1/claims/{}", found["id"].as_str().unwrap()), Some(claimtrack::domain::Role::Viewer), None, &[]).await;
        assert_eq!((status, body["language"].as_str()), (200, Some("de-AT")), "{body}");

        // ClaimReview says what language the claim was made in.
        app.record_verification(id(&found["id"]), "TRUE").await;
        let (status, _, review) = app
            .rest(reqwest::Method::GET, &format!("/api/v1/claims/{}/claimreview", found["id"].as_str().unwrap()), Some(claimtrack::domain::Role::Viewer), None, &[])
            .await;
        assert_eq!(status, 200, "{review}");
        assert_eq!(review["itemReviewed"]["inLanguage"], "de-AT", "{review}");
        let cleared = update_claim(app, &found, 3, json!({ "language": null })).await;
        assert!(cleared.get("errors").is_none(), "{cleared}");
        let language = app.gql_ok("query($id: UUID!) { claim(id: $id) { language } }", json!({ "id": found["id"] })).await;
        assert!(language["claim"]["language"].is_null());
    }
}

both_backends! {
    async fn claims_filter_by_the_outlet_that_published_them(app: TestApp) {
        let wire = app.create_source("OUTLET", "Morning Wire").await;
        let daily = app.create_source("OUTLET", "Evening Daily").await;
        let body = "The mayor said the bridge will reopen in May. Officials counted 40 boats.";
        let on_wire = app.create_article("https://wire.example/bridge", body, Some(wire)).await;
        let on_daily = app.create_article("https://daily.example/bridge", body, Some(daily)).await;
        let appearing = |article: uuid::Uuid| json!([{ "articleId": article, "excerpt": "the bridge will reopen in May" }]);
        app.create_claim(json!({ "kind": "OTHER", "text": "The bridge will reopen in May", "appearances": appearing(on_wire) })).await;
        app.create_claim(json!({ "kind": "OTHER", "text": "The bridge reopens in May", "appearances": appearing(on_daily) })).await;
        app.create_claim(json!({ "kind": "OTHER", "text": "Not published anywhere" })).await;
        let data = app
            .gql_ok("query($o: UUID) { claims(filter: { outletId: $o }) { totalCount nodes { text } } }", json!({ "o": wire }))
            .await;
        assert_eq!(data["claims"]["totalCount"], 1, "{data}");
        assert_eq!(data["claims"]["nodes"][0]["text"], "The bridge will reopen in May");
        let (status, _, listed) = app
            .rest(reqwest::Method::GET, &format!("/api/v1/claims?outlet_id={daily}"), Some(claimtrack::domain::Role::Viewer), None, &[])
            .await;
        assert_eq!(status, 200, "{listed}");
        let texts: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap()).collect();
        assert_eq!(texts, ["The bridge reopens in May"]);
    }
}
