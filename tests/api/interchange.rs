use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, id, spawn_app};

async fn export(app: &TestApp) -> String {
    let response = app.get("/api/v1/export").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    response.text().await.unwrap()
}

async fn import(app: &TestApp, role: Role, body: String) -> (u16, Vec<Value>) {
    let response = app
        .client
        .post(format!("{}/api/v1/import", app.address))
        .header("authorization", app.bearer(role))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (status, lines)
}

async fn round_trip(backend: Backend) {
    let Some(source) = spawn_app(backend).await else {
        return;
    };
    claimtrack::demo::load(&source.state.db).await.unwrap();
    // History beyond the demo: a retracted verification, an archived claim, a claim that
    // appears nowhere, a second appearance of one claim.
    let orphan = source
        .create_claim(json!({ "kind": "EVENT", "text": "Russia joined the conflict in September" }))
        .await;
    let first = source.record_verification(id(&orphan["id"]), "TRUE").await;
    source
        .gql_ok(
            "mutation($id: UUID!) { retractVerification(id: $id, reason: \"premature\") { id } }",
            json!({ "id": first["id"] }),
        )
        .await;
    source
        .record_verification(id(&orphan["id"]), "MOSTLY_TRUE")
        .await;
    source.gql_ok("mutation($id: UUID!) { updateClaim(id: $id, expectedVersion: 4, input: { status: ARCHIVED }) { status } }", json!({ "id": orphan["id"] })).await;
    let second_article = source
        .create_article(
            "https://other.example/followup",
            "France is at war, again.",
            None,
        )
        .await;
    let (_, _, war) = source
        .rest(
            Method::GET,
            "/api/v1/claims?text_contains=France%20is%20at%20war",
            Some(Role::Viewer),
            None,
            &[],
        )
        .await;
    source
        .gql_ok(
            "mutation($c: UUID!, $a: UUID!) { addAppearance(claimId: $c, input: { articleId: $a, excerpt: \"France is at war\", spanStart: 0, spanEnd: 16 }) { id } }",
            json!({ "c": war["items"][0]["id"], "a": second_article }),
        )
        .await;
    // Tags travel by name, on claims and on articles.
    source
        .gql_ok(
            "mutation($c: UUID!, $a: UUID!) { tagClaim(claimId: $c, tags: [\"Paris attacks\", \"security\"]) { id } tagArticle(articleId: $a, tags: [\"follow-up\"]) { id } }",
            json!({ "c": war["items"][0]["id"], "a": second_article }),
        )
        .await;
    let exported = export(&source).await;
    assert!(
        exported.contains(r#""tags":["paris-attacks","security"]"#),
        "{exported}"
    );
    assert!(exported.contains(r#""tags":["follow-up"]"#), "{exported}");
    assert_eq!(
        exported.lines().count(),
        4,
        "sources, two articles, the unplaced claim:\n{exported}"
    );

    let Some(target) = spawn_app(backend).await else {
        return;
    };
    let (status, report) = import(&target, Role::Editor, exported.clone()).await;
    assert_eq!(status, 200);
    let statuses: Vec<&str> = report.iter().filter_map(|r| r["status"].as_str()).collect();
    assert_eq!(
        statuses,
        ["created", "created", "created", "created"],
        "{report:?}"
    );
    assert_eq!(report.last().unwrap()["summary"]["failed"], 0);
    assert_eq!(
        export(&target).await,
        exported,
        "export → import → export changes nothing"
    );
    for table in [
        "sources",
        "articles",
        "claims",
        "appearances",
        "verifications",
        "retractions",
        "citations",
        "tags",
        "claim_tags",
        "article_tags",
    ] {
        assert_eq!(
            target.count_rows(table).await,
            source.count_rows(table).await,
            "{table}"
        );
    }
    // The same ids and verdicts, so links and dashboards keep working.
    let claim = target.gql_ok("query($id: UUID!) { claim(id: $id) { status currentVerdict verifications { edges { node { verdict retraction { reason } } } } } }", json!({ "id": orphan["id"] })).await;
    assert_eq!(claim["claim"]["status"], "ARCHIVED");
    assert_eq!(claim["claim"]["currentVerdict"], "MOSTLY_TRUE");
    assert_eq!(
        claim["claim"]["verifications"]["edges"][1]["node"]["retraction"]["reason"],
        "premature"
    );

    // Importing again changes nothing.
    let (_, again) = import(&target, Role::Editor, exported.clone()).await;
    assert_eq!(
        again.last().unwrap()["summary"]["unchanged"],
        4,
        "{again:?}"
    );
    assert_eq!(export(&target).await, exported);
    source.finish().await;
    target.finish().await;
}

#[actix_web::test]
async fn an_export_imported_into_an_empty_database_reproduces_the_data_sqlite() {
    round_trip(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    without_postgres,
    ignore = "PostgreSQL variant: set TEST_POSTGRES_URL to run it"
)]
async fn an_export_imported_into_an_empty_database_reproduces_the_data_postgres() {
    round_trip(Backend::Postgres).await;
}

both_backends! {
    async fn bad_lines_are_reported_and_leave_nothing_half_written(app: TestApp) {
        let good = |n: usize| json!({
            "article": { "url": format!("https://wire.example/{n}"), "title": format!("Story {n}"), "outlet": { "kind": "outlet", "name": "Example Wire" } },
            "claims": [{ "kind": "quote", "text": format!("quote {n}"), "speaker": { "kind": "person", "name": "Francois Hollande" } }]
        }).to_string();
        let half = json!({
            "article": { "url": "https://wire.example/half", "title": "Would be half-written" },
            "claims": [
                { "kind": "other", "text": "fine" },
                { "kind": "quantity", "text": "bad bounds", "quantity": { "measure": "deaths", "lower": "10", "upper": "1" } }
            ]
        }).to_string();
        let body = [good(1), "{ this is not json".to_owned(), half, String::new(), good(2), "{\"unknown\": 1}".to_owned()].join("\n");
        let (status, report) = import(app, Role::Editor, body).await;
        assert_eq!(status, 200);
        let statuses: Vec<(u64, &str)> = report.iter().filter(|r| r.get("line").is_some()).map(|r| (r["line"].as_u64().unwrap(), r["status"].as_str().unwrap())).collect();
        assert_eq!(statuses, [(1, "created"), (2, "failed"), (3, "failed"), (5, "created"), (6, "failed")]);
        let half_report = &report[2];
        assert_eq!(half_report["error"]["code"], "BAD_USER_INPUT");
        assert_eq!(half_report["error"]["errors"][0]["field"], "claims.1.quantity.lower");
        assert_eq!(report.last().unwrap()["summary"], json!({ "lines": 5, "created": 2, "updated": 0, "unchanged": 0, "failed": 3 }));
        // The failed line's article and its first claim were rolled back with it.
        assert_eq!(app.count_rows("articles").await, 2);
        assert_eq!(app.count_rows("claims").await, 2);
        let (_, _, half) = app.rest(Method::GET, "/api/v1/articles?url=https://wire.example/half", Some(Role::Viewer), None, &[]).await;
        assert_eq!(half["items"], json!([]));
        // Sources are upserted by kind and name: one Hollande, one outlet.
        assert_eq!(app.count_rows("sources").await, 2);
    }

    async fn importing_needs_the_editor_role(app: TestApp) {
        let (status, _, problem) = app.rest(Method::POST, "/api/v1/import", Some(Role::Checker), None, &[]).await;
        assert_eq!((status, problem["type"].as_str()), (403, Some("/problems/forbidden")));
        let (status, _, _) = app.rest(Method::GET, "/api/v1/export", None, None, &[]).await;
        assert_eq!(status, 401);
    }
}
