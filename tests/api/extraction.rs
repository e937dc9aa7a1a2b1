//! Candidate claims from article text: extraction, accepting (once), dismissing, over
//! GraphQL, REST, import and the command line.

use std::process::Command;

use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::{TestApp, id};

const DEMO: &str = include_str!("../../examples/article-hollande-2015-11-17.txt");

const CANDIDATE_FIELDS: &str = "id kind text quote setting spanStart spanEnd figureStart figureEnd
    confidence rule status claimId
    speaker { name kind mention sourceId }
    quantity { subject measure value lower upper unit approximate }";

async fn demo_article(app: &TestApp) -> Uuid {
    let data = app
        .gql_ok(
            "mutation($input: CreateArticleInput!) { createArticle(input: $input) { id } }",
            json!({ "input": {
                "url": "https://www.example.com/2015/11/17/hollande-coalition",
                "title": "French President Francois Hollande urges U.S., Russia to join coalition to fight ISIS",
                "body": DEMO, "publishedAt": "2015-11-17T16:01:00Z",
            } }),
        )
        .await;
    id(&data["createArticle"]["id"])
}

async fn extract(app: &TestApp, article: Uuid) -> Vec<Value> {
    let data = app
        .gql_ok(
            &format!(
                "mutation($a: UUID!) {{ extractClaims(articleId: $a) {{ {CANDIDATE_FIELDS} }} }}"
            ),
            json!({ "a": article }),
        )
        .await;
    data["extractClaims"].as_array().unwrap().clone()
}

fn find(candidates: &[Value], test: impl Fn(&Value) -> bool) -> &Value {
    candidates
        .iter()
        .find(|c| test(c))
        .unwrap_or_else(|| panic!("not found in {candidates:#?}"))
}

/// The character offset of `needle` in the demo body.
fn offset(needle: &str) -> i64 {
    let byte = DEMO.find(needle).unwrap();
    DEMO[..byte].chars().count() as i64
}

async fn accept(app: &TestApp, candidate: &Value) -> Value {
    app.gql_ok(
        "mutation($id: UUID!) { acceptCandidate(id: $id) { created
            candidate { status claimId }
            claim { id kind text quote setting speaker { id name kind }
                     quantity { measure value lower unit asOf }
                     appearances { edges { node { spanStart spanEnd excerpt article { id } } } } } } }",
        json!({ "id": candidate["id"] }),
    )
    .await["acceptCandidate"]
        .clone()
}

both_backends! {
    async fn the_demo_article_yields_its_quotes_figures_and_statements_matched_to_stored_sources(app: TestApp) {
        let hollande = app.create_source("PERSON", "François Hollande").await;
        let article = demo_article(app).await;
        let candidates = extract(app, article).await;

        let quotes: Vec<&Value> = candidates.iter().filter(|c| c["kind"] == "QUOTE").collect();
        assert_eq!(quotes.len(), 3, "{quotes:#?}");
        for quote in &quotes {
            assert_eq!(quote["speaker"]["sourceId"], json!(hollande), "matched to the stored source");
            assert_eq!(quote["speaker"]["name"], "François Hollande");
            assert_eq!(quote["status"], "OPEN");
        }
        let war = find(&candidates, |c| c["text"] == "France is at war");
        assert_eq!(war["spanStart"], offset("“France is at war,\""));
        assert_eq!(war["spanEnd"], offset("“France is at war,\"") + 19);
        assert_eq!(war["setting"], "a joint session of Parliament at the Palace of Versailles");
        let he = find(&candidates, |c| c["text"].as_str().unwrap().starts_with("We're not engaged"));
        assert_eq!(he["speaker"]["mention"], "he");

        let deaths = find(&candidates, |c| c["quantity"]["measure"] == "deaths");
        assert_eq!(deaths["quantity"]["value"], "129");
        assert_eq!(deaths["figureStart"], offset("killed 129"));
        let duration = find(&candidates, |c| c["quantity"]["measure"] == "duration");
        assert_eq!(duration["quantity"], json!({
            "subject": "The U.S.-led coalition has been bombing ISIS", "measure": "duration",
            "value": null, "lower": "1", "upper": null, "unit": "year", "approximate": false,
        }));
        let responsibility = find(&candidates, |c| c["rule"] == "statement.responsibility");
        assert_eq!(responsibility["kind"], "EVENT");
        assert_eq!(responsibility["speaker"], json!({ "name": "Islamic State", "kind": "ORGANIZATION", "mention": "The Islamic State", "sourceId": null }));
        assert_eq!(responsibility["spanStart"], offset("The Islamic State has claimed"));
        let officials = find(&candidates, |c| c["speaker"]["name"] == "Western officials");
        assert_eq!(officials["speaker"]["kind"], "GROUP");
        assert_eq!(officials["spanStart"], offset("Western officials say"));

        // Extracting again proposes nothing new.
        let count = app.count_rows("claim_candidates").await;
        let again = extract(app, article).await;
        assert_eq!(app.count_rows("claim_candidates").await, count);
        assert_eq!(
            again.iter().map(|c| c["id"].clone()).collect::<Vec<_>>(),
            candidates.iter().map(|c| c["id"].clone()).collect::<Vec<_>>()
        );
    }

    async fn accepting_a_candidate_makes_one_claim_with_its_appearance_however_often_it_is_accepted(app: TestApp) {
        let article = demo_article(app).await;
        let candidates = extract(app, article).await;
        let war = find(&candidates, |c| c["text"] == "France is at war");

        let first = accept(app, war).await;
        assert_eq!(first["created"], true);
        let claim = &first["claim"];
        assert_eq!(claim["kind"], "QUOTE");
        assert_eq!(claim["quote"], "France is at war");
        assert_eq!(claim["setting"], "a joint session of Parliament at the Palace of Versailles");
        assert_eq!(claim["speaker"]["name"], "Francois Hollande");
        assert_eq!(claim["speaker"]["kind"], "PERSON");
        let appearance = &claim["appearances"]["edges"][0]["node"];
        assert_eq!(appearance["spanStart"], war["spanStart"]);
        assert_eq!(appearance["spanEnd"], war["spanEnd"]);
        assert_eq!(appearance["excerpt"], "“France is at war,\"");
        assert_eq!(appearance["article"]["id"], json!(article));
        assert_eq!(first["candidate"], json!({ "status": "ACCEPTED", "claimId": claim["id"] }));

        let counts = (app.count_rows("claims").await, app.count_rows("sources").await, app.count_rows("appearances").await);
        let second = accept(app, war).await;
        assert_eq!(second["created"], false);
        assert_eq!(second["claim"]["id"], claim["id"]);
        assert_eq!((app.count_rows("claims").await, app.count_rows("sources").await, app.count_rows("appearances").await), counts);

        // The other Hollande quotes reuse the source the first accept created.
        let forces = find(&candidates, |c| c["text"].as_str().unwrap().starts_with("We must combine"));
        let third = accept(app, forces).await;
        assert_eq!(third["claim"]["speaker"]["id"], claim["speaker"]["id"]);

        // A figure takes the article's publication time as its as-of time.
        let deaths = find(&candidates, |c| c["quantity"]["measure"] == "deaths");
        let figure = accept(app, deaths).await;
        assert_eq!(figure["claim"]["kind"], "QUANTITY");
        assert_eq!(figure["claim"]["quantity"]["value"], "129");
        assert_eq!(figure["claim"]["quantity"]["asOf"], "2015-11-17T16:01:00+00:00");

        // An unnamed group becomes a group source.
        let officials = find(&candidates, |c| c["speaker"]["name"] == "Western officials");
        let statement = accept(app, officials).await;
        assert_eq!(statement["claim"]["speaker"]["kind"], "GROUP");
        assert_eq!(statement["claim"]["kind"], "EVENT");

        // Dismissed and accepted candidates leave the open list.
        let isis = find(&candidates, |c| c["rule"] == "statement.responsibility");
        let dismissed = app
            .gql_ok("mutation($id: UUID!) { dismissCandidate(id: $id) { status } }", json!({ "id": isis["id"] }))
            .await;
        assert_eq!(dismissed["dismissCandidate"]["status"], "DISMISSED");
        let open = app
            .gql_ok("query($a: UUID!) { article(id: $a) { candidates(status: OPEN) { id } } }", json!({ "a": article }))
            .await;
        let open = open["article"]["candidates"].as_array().unwrap().len();
        assert_eq!(open, candidates.len() - 5);
        let (code, _) = app
            .gql_error("mutation($id: UUID!) { dismissCandidate(id: $id) { status } }", json!({ "id": war["id"] }))
            .await;
        assert_eq!(code, "CONFLICT");
    }

    async fn a_candidate_of_an_article_changed_since_extraction_is_refused_until_extracted_again(app: TestApp) {
        let article = demo_article(app).await;
        let candidates = extract(app, article).await;
        let war = find(&candidates, |c| c["text"] == "France is at war");
        app.gql_ok(
            "mutation($a: UUID!, $body: String!) { updateArticle(id: $a, expectedVersion: 1, input: { body: $body }) { version } }",
            json!({ "a": article, "body": format!("Paris, 17 November.\n\n{DEMO}") }),
        )
        .await;
        let (code, error) = app
            .gql_error("mutation($id: UUID!) { acceptCandidate(id: $id) { created } }", json!({ "id": war["id"] }))
            .await;
        assert_eq!(code, "CONFLICT", "{error}");
        assert_eq!(app.count_rows("claims").await, 0);

        // Extracting again replaces the stale open candidates with ones at the new spans.
        let fresh = extract(app, article).await;
        assert_eq!(fresh.len(), candidates.len());
        let war = find(&fresh, |c| c["text"] == "France is at war");
        assert_eq!(war["spanStart"], offset("“France is at war,\"") + 21);
        assert_eq!(accept(app, war).await["created"], true);
    }

    async fn extraction_needs_the_editor_role_and_reading_candidates_the_viewer_role(app: TestApp) {
        let article = demo_article(app).await;
        let (status, body) = app
            .graphql_as(Some(&app.bearer(Role::Checker)), "mutation($a: UUID!) { extractClaims(articleId: $a) { id } }", json!({ "a": article }))
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
        extract(app, article).await;
        let (_, body) = app
            .graphql_as(Some(&app.bearer(Role::Viewer)), "query($a: UUID!) { article(id: $a) { candidates { kind } } }", json!({ "a": article }))
            .await;
        assert!(body["data"]["article"]["candidates"].as_array().unwrap().len() >= 8, "{body}");
        let (code, _) = app
            .gql_error("mutation($a: UUID!) { extractClaims(articleId: $a) { id } }", json!({ "a": Uuid::now_v7() }))
            .await;
        assert_eq!(code, "NOT_FOUND");
    }

    async fn rest_extracts_lists_accepts_once_and_rejects_bad_bodies(app: TestApp) {
        let article = demo_article(app).await;
        let path = format!("/api/v1/articles/{article}/candidates");
        let (status, _, extracted) = app.rest(Method::POST, &path, Some(Role::Editor), None, &[]).await;
        assert_eq!(status, 200, "{extracted}");
        let candidates = extracted.as_array().unwrap();
        let war = find(candidates, |c| c["text"] == "France is at war");
        assert_eq!(war["kind"], "quote");
        assert_eq!(war["speaker"]["name"], "Francois Hollande");

        let accept_path = format!("/api/v1/candidates/{}/accept", war["id"].as_str().unwrap());
        let (status, headers, first) = app.rest(Method::POST, &accept_path, Some(Role::Editor), None, &[]).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(headers["location"].to_str().unwrap(), format!("/api/v1/claims/{}", first["claim"]["id"].as_str().unwrap()));
        let (status, _, second) = app.rest(Method::POST, &accept_path, Some(Role::Editor), None, &[]).await;
        assert_eq!(status, 200);
        assert_eq!(second["claim"]["id"], first["claim"]["id"]);
        assert_eq!(second["created"], false);

        let (status, _, open) = app.rest(Method::GET, &format!("{path}?status=open"), Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 200);
        assert_eq!(open.as_array().unwrap().len(), candidates.len() - 1);

        let other = find(candidates, |c| c["rule"] == "statement.responsibility");
        let other_path = format!("/api/v1/candidates/{}/accept", other["id"].as_str().unwrap());
        let (status, _, problem) = app
            .rest(Method::POST, &other_path, Some(Role::Editor), Some(json!({ "speakerId": "not-a-uuid" })), &[])
            .await;
        assert_eq!(status, 400, "{problem}");
        assert_eq!(problem["code"], "BAD_USER_INPUT", "{problem}");
        let (status, _, problem) = app
            .rest(Method::POST, &other_path, Some(Role::Editor), Some(json!({ "speakerId": Uuid::now_v7() })), &[])
            .await;
        assert_eq!(status, 400, "an unknown speaker is refused: {problem}");
        let (status, _, problem) = app
            .rest(Method::POST, &format!("/api/v1/candidates/{}/accept", Uuid::now_v7()), Some(Role::Editor), None, &[])
            .await;
        assert_eq!(status, 404, "{problem}");
        let (status, _, _) = app.rest(Method::POST, &path, Some(Role::Checker), None, &[]).await;
        assert_eq!(status, 403);
    }

    async fn an_import_can_propose_candidates_for_each_article(app: TestApp) {
        let line = json!({ "article": { "url": "https://wire.example/hollande", "title": "Hollande at Versailles", "body": DEMO } });
        let response = app
            .client
            .post(format!("{}/api/v1/import?extract=true", app.address))
            .header("authorization", app.bearer(Role::Editor))
            .header("content-type", "application/x-ndjson")
            .body(format!("{line}\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let report: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(report["status"], "created", "{text}");
        let proposed = report["candidates"].as_i64().unwrap();
        assert!(proposed >= 8, "{text}");
        assert_eq!(app.count_rows("claim_candidates").await, proposed);
    }
}

#[test]
fn the_cli_extracts_candidates_from_a_text_file() {
    let output = Command::new(env!("CARGO_BIN_EXE_claimtrack"))
        .args([
            "extract",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/article-hollande-2015-11-17.txt"
            ),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let candidates: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let quotes = candidates.iter().filter(|c| c["kind"] == "quote").count();
    assert_eq!(quotes, 3);
    let deaths = find(&candidates, |c| c["quantity"]["measure"] == "deaths");
    assert_eq!(deaths["quantity"]["value"], "129");
    assert_eq!(deaths["figure_span"]["start"], offset("killed 129"));
}
