//! Records do not change behind the checker's back: conditional requests (RFC 9110),
//! idempotent writes that are atomic with their key, deletions that would rewrite
//! published reviews, candidates that follow their article, figures and conflicts that
//! agree, excerpts that are the article's own words, the claim workflow, NUL in text.

use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::id;

fn problem_type(body: &Value) -> &str {
    body["type"].as_str().unwrap_or_default()
}

const DEMO: &str = include_str!("../../examples/article-hollande-2015-11-17.txt");

both_backends! {
    async fn deletes_honour_if_match_and_reads_answer_if_none_match(app: TestApp) {
        let admin = Some(Role::Admin);
        // Sources, articles, claims and webhooks alike.
        let source = format!("/api/v1/sources/{}", app.create_source("PERSON", "John Kerry").await);
        let article = format!("/api/v1/articles/{}", app.create_article("https://wire.example/k", "Kerry spoke.", None).await);
        let claim = format!("/api/v1/claims/{}", app.create_claim(json!({ "kind": "OTHER", "text": "to delete" })).await["id"].as_str().unwrap());
        let (status, _, webhook) = app
            .rest(Method::POST, "/api/v1/webhooks", admin, Some(json!({ "url": "https://93.184.216.34/k", "events": ["claim.created"] })), &[])
            .await;
        assert_eq!(status, 201, "{webhook}");
        let webhook = format!("/api/v1/webhooks/{}", webhook["endpoint"]["id"].as_str().unwrap());
        for path in [&source, &article, &claim, &webhook] {
            for stale in ["\"7\"", "W/\"1\"", "\"x\""] {
                let (status, _, problem) = app.rest(Method::DELETE, path, admin, None, &[("if-match", stale)]).await;
                assert_eq!((status, problem_type(&problem)), (412, "/problems/precondition-failed"), "{path} {stale}");
            }
            let (status, headers, _) = app.rest(Method::GET, path, admin, None, &[]).await;
            assert_eq!(status, 200, "{path} survived");
            let etag = headers["etag"].to_str().unwrap().to_owned();
            // If-None-Match: the current version (strong or weak) or * is 304, with no body.
            let weak = format!("W/{etag}");
            for current in [etag.as_str(), weak.as_str(), "*", "\"99\", \"1\""] {
                let response = app.get(path).header("if-none-match", current).send().await.unwrap();
                assert_eq!(response.status(), 304, "{path} {current}");
                assert_eq!(response.headers()["etag"].to_str().unwrap(), etag);
                assert!(response.text().await.unwrap().is_empty());
            }
            let response = app.get(path).header("if-none-match", "\"99\"").send().await.unwrap();
            assert_eq!(response.status(), 200);
            // If-Match: * passes when the resource exists.
            let (status, _, body) = app.rest(Method::DELETE, path, admin, None, &[("if-match", "*")]).await;
            assert_eq!(status, 204, "{path}: {body}");
            let (status, _, _) = app.rest(Method::DELETE, path, admin, None, &[("if-match", "*")]).await;
            assert_eq!(status, 404, "{path}");
        }
        // A list of tags matches when it names the current version; PATCH takes * too.
        let source = format!("/api/v1/sources/{}", app.create_source("PERSON", "Sergei Lavrov").await);
        let (status, headers, _) = app.rest(Method::PATCH, &source, admin, Some(json!({ "description": "Foreign minister" })), &[("if-match", "\"5\", \"1\"")]).await;
        assert_eq!((status, headers["etag"].to_str().unwrap()), (200, "\"2\""));
        let (status, headers, _) = app.rest(Method::PATCH, &source, admin, Some(json!({ "description": "Russia's foreign minister" })), &[("if-match", "*")]).await;
        assert_eq!((status, headers["etag"].to_str().unwrap()), (200, "\"3\""));
        // GraphQL deletes take the version too.
        let (code, _) = app
            .gql_error("mutation($id: UUID!) { deleteSource(id: $id, expectedVersion: 1) }", json!({ "id": source.rsplit('/').next() }))
            .await;
        assert_eq!(code, "CONFLICT");
        assert_eq!(app.count_rows("sources").await, 1);
    }

    async fn a_claims_etag_changes_with_its_appearances(app: TestApp) {
        let admin = Some(Role::Admin);
        let article = app.create_article("https://wire.example/war", "Hollande said France is at war.", None).await;
        let claim = app.create_claim(json!({ "kind": "QUOTE", "text": "France is at war" })).await;
        let path = format!("/api/v1/claims/{}", claim["id"].as_str().unwrap());
        let (_, headers, _) = app.rest(Method::GET, &path, admin, None, &[]).await;
        let before = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, added) = app
            .rest(Method::POST, &format!("{path}/appearances"), admin, Some(json!({ "article_id": article, "excerpt": "France is at war" })), &[])
            .await;
        assert_eq!(status, 201, "{added}");
        let response = app.get(&path).header("if-none-match", before.as_str()).send().await.unwrap();
        assert_eq!(response.status(), 200, "the representation changed: its ETag must too");
        let after = response.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(after, before);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["appearances"].as_array().unwrap().len(), 1);
        // An edit from the version read before the appearance was added is stale.
        let (status, _, _) = app.rest(Method::PATCH, &path, admin, Some(json!({ "text": "France is at war!" })), &[("if-match", before.as_str())]).await;
        assert_eq!(status, 412);
        let (status, _, _) = app.rest(Method::DELETE, &format!("{path}/appearances/{}", added["id"].as_str().unwrap()), admin, None, &[]).await;
        assert_eq!(status, 204);
        let (_, headers, _) = app.rest(Method::GET, &path, admin, None, &[]).await;
        assert_ne!(headers["etag"].to_str().unwrap(), after);
    }

    async fn concurrent_edits_of_one_record_at_one_version_let_exactly_one_win(app: TestApp) {
        let source = app.create_source("PERSON", "Laurent Fabius").await;
        let path = format!("/api/v1/sources/{source}");
        let descriptions: Vec<String> = (0..8).map(|i| format!("Foreign minister, edit {i}")).collect();
        let answers = futures_util::future::join_all(descriptions.iter().map(|description| {
            app.rest(Method::PATCH, &path, Some(Role::Editor), Some(json!({ "description": description })), &[("if-match", "\"1\"")])
        }))
        .await;
        let won: Vec<usize> = answers.iter().enumerate().filter(|(_, (status, _, _))| *status == 200).map(|(i, _)| i).collect();
        assert_eq!(won.len(), 1, "one edit at version 1 wins: {answers:?}");
        for (status, _, problem) in &answers {
            assert!(*status == 200 || *status == 412, "the others are told the version moved: {status} {problem}");
            if *status == 412 {
                let detail = problem["detail"].as_str().unwrap_or_default();
                assert!(detail.contains("current version is 2"), "the stale answer names the version stored now: {problem}");
            }
        }
        let (_, _, stored) = app.rest(Method::GET, &path, Some(Role::Viewer), None, &[]).await;
        assert_eq!(stored["version"], 2);
        assert_eq!(stored["description"], descriptions[won[0]].as_str(), "the winner's edit is the one kept");
        assert_eq!(app.count_rows("audit_events WHERE entity_type = 'source' AND operation = 'update'").await, 1);
    }

    async fn concurrent_requests_with_one_idempotency_key_write_once(app: TestApp) {
        let body = json!({ "kind": "person", "name": "Vladimir Putin" });
        let send = || {
            app.client
                .post(format!("{}/api/v1/sources", app.address))
                .header("authorization", app.bearer(Role::Editor))
                .header("idempotency-key", "putin-1")
                .json(&body)
                .send()
        };
        let responses = futures_util::future::join_all((0..8).map(|_| send())).await;
        let mut ids = Vec::new();
        let mut replayed = 0;
        for response in responses {
            let response = response.unwrap();
            assert_eq!(response.status(), 201, "every retry gets the first answer");
            if response.headers().get("idempotent-replayed").is_some() {
                replayed += 1;
            }
            let created: Value = response.json().await.unwrap();
            ids.push(created["id"].as_str().unwrap().to_owned());
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "one source, however many concurrent tries");
        assert_eq!(replayed, 7);
        assert_eq!(app.count_rows("sources").await, 1);
        assert_eq!(app.count_rows("audit_events WHERE entity_type = 'source'").await, 1);
        // The key was stored with its response, in the write's own transaction: no key
        // is ever left without one.
        assert_eq!(app.count_rows("idempotency_keys WHERE status IS NULL").await, 0);
        assert_eq!(app.count_rows("idempotency_keys").await, 1);
        // A failed request leaves nothing behind: its key is free for a corrected retry.
        let invalid = app.client.post(format!("{}/api/v1/sources", app.address))
            .header("authorization", app.bearer(Role::Editor))
            .header("idempotency-key", "lavrov-1")
            .json(&json!({ "kind": "person", "name": "" }))
            .send().await.unwrap();
        assert_eq!(invalid.status(), 400);
        let fixed = app.client.post(format!("{}/api/v1/sources", app.address))
            .header("authorization", app.bearer(Role::Editor))
            .header("idempotency-key", "lavrov-1")
            .json(&json!({ "kind": "person", "name": "Sergei Lavrov" }))
            .send().await.unwrap();
        assert_eq!(fixed.status(), 201);
        assert_eq!(app.count_rows("idempotency_keys").await, 2);
    }

    async fn deleting_an_article_a_published_verdict_rests_on_is_refused_unless_forced(app: TestApp) {
        let article = app.create_article("https://wire.example/toll", "Officials said the attacks killed 129 people.", None).await;
        let verified = app.create_claim(json!({ "kind": "OTHER", "text": "the attacks killed 129",
            "appearances": [{ "articleId": article, "excerpt": "the attacks killed 129" }] })).await;
        let open = app.create_claim(json!({ "kind": "OTHER", "text": "officials said so",
            "appearances": [{ "articleId": article, "excerpt": "Officials said" }] })).await;
        app.record_verification(id(&verified["id"]), "MOSTLY_TRUE").await;
        let review = || {
            let path = format!("/api/v1/claims/{}/claimreview", verified["id"].as_str().unwrap());
            async move { app.rest(Method::GET, &path, Some(Role::Viewer), None, &[]).await.2 }
        };
        let published = review().await;
        assert!(published["itemReviewed"]["appearance"].is_array() || published["itemReviewed"]["firstAppearance"].is_object(), "{published}");

        let (status, _, refused) = app.rest(Method::DELETE, &format!("/api/v1/articles/{article}"), Some(Role::Editor), None, &[]).await;
        assert_eq!((status, problem_type(&refused)), (409, "/problems/conflict"), "{refused}");
        assert!(refused["detail"].as_str().unwrap().contains(verified["id"].as_str().unwrap()));
        let (code, _) = app.gql_error("mutation($id: UUID!) { deleteArticle(id: $id) }", json!({ "id": article })).await;
        assert_eq!(code, "CONFLICT");
        assert_eq!(review().await, published, "a refused delete changes no review");
        assert_eq!(app.count_rows("appearances").await, 2);

        // A claimChanged subscriber hears of each claim that loses its appearance.
        let mut socket = crate::live::Socket::connect_as(&app.address, &app.bearer(Role::Viewer)).await;
        socket.subscribe(app, "c", "subscription { claimChanged(filter: { changes: [UPDATED] }) { change claimId claim { id } } }", json!({})).await;
        let outbox_before = app.count_rows("outbox_events WHERE entity_type = 'appearance' AND operation = 'deleted'").await;
        let (status, _, _) = app.rest(Method::DELETE, &format!("/api/v1/articles/{article}?force=true"), Some(Role::Editor), None, &[]).await;
        assert_eq!(status, 204);
        assert_eq!(app.count_rows("appearances").await, 0);
        assert_eq!(app.count_rows("outbox_events WHERE entity_type = 'appearance' AND operation = 'deleted'").await, outbox_before + 2);
        let mut heard = Vec::new();
        for _ in 0..2 {
            let event = socket.next_event("c").await;
            assert_eq!(event["data"]["claimChanged"]["change"], "UPDATED", "{event}");
            heard.push(event["data"]["claimChanged"]["claimId"].as_str().unwrap().to_owned());
        }
        heard.sort();
        let mut expected = vec![verified["id"].as_str().unwrap().to_owned(), open["id"].as_str().unwrap().to_owned()];
        expected.sort();
        assert_eq!(heard, expected);
        // Each claim's own trail says what happened and why.
        let trail = app
            .gql_ok("query($id: UUID!) { claim(id: $id) { version auditTrail { nodes { entityType operation changes } } } }", json!({ "id": verified["id"] }))
            .await;
        let events = trail["claim"]["auditTrail"]["nodes"].as_array().unwrap();
        let removal = events.iter().find(|e| e["entityType"] == "appearance" && e["operation"] == "delete").expect("an audit event on the claim");
        assert!(removal["changes"]["reason"].as_str().unwrap().contains("deleted"), "{removal}");
    }

    async fn re_extraction_refreshes_candidates_after_an_edit_and_keeps_decisions(app: TestApp) {
        let article = app
            .gql_ok(
                "mutation($input: CreateArticleInput!) { createArticle(input: $input) { id } }",
                json!({ "input": { "url": "https://www.example.com/hollande", "title": "Hollande", "body": DEMO } }),
            )
            .await["createArticle"]["id"]
            .clone();
        let extract = || {
            let article = article.clone();
            async move {
                app.gql_ok("mutation($a: UUID!) { extractClaims(articleId: $a) { id text status spanStart } }", json!({ "a": article }))
                    .await["extractClaims"]
                    .as_array()
                    .unwrap()
                    .clone()
            }
        };
        let first = extract().await;
        let war = first.iter().find(|c| c["text"] == "France is at war").unwrap().clone();
        let dismissed = first.iter().find(|c| c["text"] != "France is at war").unwrap().clone();
        app.gql_ok("mutation($id: UUID!) { dismissCandidate(id: $id) { status } }", json!({ "id": dismissed["id"] })).await;
        // An edit that moves nothing (a line added at the end) still makes a new version.
        app.gql_ok(
            "mutation($a: UUID!, $body: String!) { updateArticle(id: $a, expectedVersion: 1, input: { body: $body }) { version } }",
            json!({ "a": article, "body": format!("{DEMO}\n\nThis story has been updated.") }),
        )
        .await;
        let (code, _) = app.gql_error("mutation($id: UUID!) { acceptCandidate(id: $id) { created } }", json!({ "id": war["id"] })).await;
        assert_eq!(code, "CONFLICT", "proposed for the old version");
        let again = extract().await;
        let refreshed = again.iter().find(|c| c["text"] == "France is at war").unwrap();
        assert_eq!(refreshed["id"], war["id"], "the same proposal keeps its id");
        let still = again.iter().find(|c| c["id"] == dismissed["id"]).expect("the dismissed one is kept");
        assert_eq!(still["status"], "DISMISSED");
        let accepted = app
            .gql_ok("mutation($id: UUID!) { acceptCandidate(id: $id) { created linked claim { id } } }", json!({ "id": war["id"] }))
            .await;
        assert_eq!(accepted["acceptCandidate"]["created"], true);
    }

    async fn accepting_a_candidate_for_a_recorded_claim_links_it(app: TestApp) {
        let article = app
            .gql_ok(
                "mutation($input: CreateArticleInput!) { createArticle(input: $input) { id } }",
                json!({ "input": { "url": "https://www.example.com/hollande-2", "title": "Hollande", "body": DEMO } }),
            )
            .await["createArticle"]["id"]
            .clone();
        let hollande = app.create_source("PERSON", "Francois Hollande").await;
        // Recorded by hand first, as the demo does.
        let recorded = app
            .create_claim(json!({ "kind": "QUOTE", "text": "France is at war", "speakerId": hollande,
                "appearances": [{ "articleId": article, "excerpt": "France is at war" }] }))
            .await;
        let candidates = app
            .gql_ok("mutation($a: UUID!) { extractClaims(articleId: $a) { id text } }", json!({ "a": article }))
            .await["extractClaims"]
            .as_array()
            .unwrap()
            .clone();
        let war = candidates.iter().find(|c| c["text"] == "France is at war").unwrap();
        let claims_before = app.count_rows("claims").await;
        let (status, _, accepted) = app
            .rest(Method::POST, &format!("/api/v1/candidates/{}/accept", war["id"].as_str().unwrap()), Some(Role::Editor), None, &[])
            .await;
        assert_eq!(status, 200, "nothing created: {accepted}");
        assert_eq!(accepted["linked"], true);
        assert_eq!(accepted["created"], false);
        assert_eq!(accepted["claim"]["id"], recorded["id"]);
        assert_eq!(app.count_rows("claims").await, claims_before);
        assert_eq!(app.count_rows("appearances").await, 1);
    }

    async fn a_refuted_figure_is_no_longer_in_conflict_in_its_standing_either(app: TestApp) {
        let police = app.create_source("GOVERNMENT", "Paris police").await;
        let hospitals = app.create_source("ORGANIZATION", "AP-HP").await;
        let figure = |source: Uuid, value: &str| {
            json!({ "kind": "QUANTITY", "text": format!("{value} deaths"), "speakerId": source,
                    "quantity": { "subject": "Paris attacks", "measure": "deaths", "value": value, "asOf": "2015-11-14T12:00:00Z" } })
        };
        app.create_claim(figure(police, "129")).await;
        let wrong = app.create_claim(figure(hospitals, "127")).await;
        let standings = "{ quantity(subject: \"Paris attacks\", measure: \"deaths\") { figures { claimId status conflictsWith } } quantityConflicts { totalCount } }";
        let before = app.gql_ok(standings, json!({})).await;
        assert!(before["quantity"]["figures"].as_array().unwrap().iter().all(|f| f["status"] == "CONFLICT"), "{before}");
        assert_eq!(before["quantityConflicts"]["totalCount"], 1);
        app.record_verification(id(&wrong["id"]), "FALSE").await;
        let after = app.gql_ok(standings, json!({})).await;
        assert_eq!(after["quantityConflicts"]["totalCount"], 0);
        for figure in after["quantity"]["figures"].as_array().unwrap() {
            assert_ne!(figure["status"], "CONFLICT", "{after}");
            assert_eq!(figure["conflictsWith"], json!([]), "{after}");
        }
    }

    async fn excerpts_are_the_articles_own_words(app: TestApp) {
        let body = "Hollande told lawmakers:\n\"France is\n at war.\" Then he left.";
        let article = app.create_article("https://wire.example/excerpt", body, None).await;
        let claim = app.create_claim(json!({ "kind": "QUOTE", "text": "France is at war" })).await;
        let add = |input: Value| {
            let claim = claim["id"].clone();
            async move {
                app.graphql(
                    "mutation($c: UUID!, $input: AppearanceInput!) { addAppearance(claimId: $c, input: $input) { excerpt spanStart spanEnd } }",
                    json!({ "c": claim, "input": input }),
                )
                .await
            }
        };
        // An excerpt that is not the body's text at its span, or not in the body at all.
        for input in [
            json!({ "articleId": article, "excerpt": "France is at peace", "spanStart": 26, "spanEnd": 43 }),
            json!({ "articleId": article, "excerpt": "France is at peace" }),
        ] {
            let refused = add(input).await;
            assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
            assert_eq!(refused["errors"][0]["extensions"]["field"], "input.excerpt");
        }
        // Without a span, it is found (line breaks aside) and stored as the body has it.
        let added = add(json!({ "articleId": article, "excerpt": "France is at war" })).await;
        let added = &added["data"]["addAppearance"];
        let (start, end) = (added["spanStart"].as_u64().unwrap() as usize, added["spanEnd"].as_u64().unwrap() as usize);
        let at_span: String = body.chars().skip(start).take(end - start).collect();
        assert_eq!(added["excerpt"].as_str().unwrap(), at_span);
        assert_eq!(at_span, "France is\n at war");
        assert_eq!(app.count_rows("appearances").await, 1);
    }

    async fn nul_characters_are_refused_in_every_text_input(app: TestApp) {
        let (code, error) = app.gql_error("mutation { createSource(input: { kind: PERSON, name: \"a\\u0000b\" }) { id } }", json!({})).await;
        assert_eq!(code, "BAD_USER_INPUT", "{error}");
        let (code, _) = app.gql_error("mutation($n: String!) { createSource(input: { kind: PERSON, name: $n }) { id } }", json!({ "n": "a\u{0}b" })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        let (code, _) = app.gql_error("query($t: String) { claims(filter: { textContains: $t }) { totalCount } }", json!({ "t": "war\u{0}" })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        let (status, _, problem) = app.rest(Method::GET, "/api/v1/claims?text_contains=a%00b", Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, problem_type(&problem)), (400, "/problems/bad-user-input"), "{problem}");
        let (status, _, problem) = app.rest(Method::POST, "/api/v1/sources", Some(Role::Editor), Some(json!({ "kind": "person", "name": "x", "aliases": ["ok", "a\u{0}b"] })), &[]).await;
        assert_eq!(status, 400, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "aliases.1");
        let line = json!({ "sources": [{ "kind": "person", "name": "a\u{0}b" }] }).to_string();
        let response = app.client.post(format!("{}/api/v1/import", app.address))
            .header("authorization", app.bearer(Role::Editor))
            .header("content-type", "application/x-ndjson")
            .body(line).send().await.unwrap();
        let report = response.text().await.unwrap();
        assert!(report.contains("\"failed\""), "{report}");
        assert_eq!(app.count_rows("sources").await, 0);
        // Nothing was stored, and the server is fine.
        assert_eq!(app.gql_ok("{ sources { totalCount } }", json!({})).await["sources"]["totalCount"], 0);
    }
}

both_backends! {
    async fn a_stored_value_that_cannot_be_read_is_an_error_never_a_different_value(app: TestApp) {
        use sea_orm::ConnectionTrait;
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "corrupted later" })).await;
        app.record_verification(id(&claim["id"]), "TRUE").await;
        // A row written by something else than this service (a bad migration, a hand edit).
        app.state
            .db
            .execute_unprepared("UPDATE claims SET current_verdict = 'sort_of_true'")
            .await
            .unwrap();
        let response = app.graphql("query($id: UUID!) { claim(id: $id) { currentVerdict } }", json!({ "id": claim["id"] })).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "INTERNAL", "{response}");
        assert!(!response.to_string().contains("UNPROVEN"), "{response}");
        assert!(!response.to_string().contains("sort_of_true"), "no internals leak: {response}");
        let (status, _, problem) = app.rest(Method::GET, &format!("/api/v1/claims/{}", claim["id"].as_str().unwrap()), Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, problem_type(&problem)), (500, "/problems/internal"), "{problem}");
    }
}
