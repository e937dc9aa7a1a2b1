use serde_json::json;

use crate::both_backends_with;
use crate::helpers::{TestApp, id};

/// The dashboard: newest claims with speaker, appearances (article and outlet) and the
/// latest three verifications.
pub const DASHBOARD: &str = "query Dashboard($first: Int!) {
  claims(first: $first) {
    edges { node {
      id text kind status createdAt
      quantity { value lower upper unit measure subject }
      speaker { name }
      appearances { edges { node { excerpt article { title url outlet { name } } } } }
      verifications(first: 3) { edges { node { verdict rating createdAt } } }
    } }
  }
}";

/// Statements the dashboard query itself ran, the first time its text is seen (through
/// the resolvers) and the next time (compiled into one statement): the
/// request's total minus what a trivial request costs.
async fn statements_for(app: &TestApp, first: usize) -> (u64, u64, usize) {
    let before = app.statements();
    app.gql_ok("{ __typename }", json!({})).await;
    let overhead = app.statements() - before;
    // A text of its own per page size, so that each is new to the server.
    let query = format!("{DASHBOARD} # first {first}");
    let mut counts = Vec::new();
    let mut length = 0;
    for _ in 0..2 {
        let before = app.statements();
        let data = app.gql_ok(&query, json!({ "first": first })).await;
        counts.push(app.statements() - before - overhead);
        length = data["claims"]["edges"].as_array().unwrap().len();
    }
    (counts[0], counts[1], length)
}

both_backends_with! { crate::helpers::counting;
    async fn the_dashboard_query_runs_a_fixed_number_of_statements_whatever_the_page_size(app: TestApp) {
        let mut speakers = Vec::new();
        for n in 0..3 {
            speakers.push(app.create_source("PERSON", &format!("Speaker {n}")).await);
        }
        let mut articles = Vec::new();
        for n in 0..4 {
            let outlet = app.create_source("OUTLET", &format!("Outlet {n}")).await;
            articles.push(app.create_article(&format!("https://outlet{n}.example/story"), "the body text", Some(outlet)).await);
        }
        for n in 0..50_usize {
            let claim = app
                .create_claim(json!({
                    "kind": "QUANTITY", "text": format!("claim {n}"),
                    "speakerId": if n.is_multiple_of(10) { None } else { Some(speakers[n % 3]) },
                    "quantity": { "measure": "deaths", "value": n.to_string() },
                    "appearances": [
                        { "articleId": articles[n % 4], "excerpt": "the body" },
                        { "articleId": articles[(n + 1) % 4], "excerpt": "text" }
                    ]
                }))
                .await;
            for verdict in ["FALSE", "MIXED", "TRUE", "MOSTLY_TRUE"].iter().take(1 + n % 4) {
                app.record_verification(id(&claim["id"]), verdict).await;
            }
        }

        let (small, small_compiled, small_len) = statements_for(app, 5).await;
        let (large, large_compiled, large_len) = statements_for(app, 50).await;
        assert_eq!((small_len, large_len), (5, 50));
        assert_eq!(small, large, "statement count grows with the page size");
        assert!(large <= 3, "the dashboard query ran {large} statements");
        assert_eq!((small_compiled, large_compiled), (1, 1), "the compiled dashboard is one statement");

        // The latest three really are the latest three.
        let data = app.gql_ok(DASHBOARD, json!({ "first": 50 })).await;
        for edge in data["claims"]["edges"].as_array().unwrap() {
            let n: usize = edge["node"]["text"].as_str().unwrap()[6..].parse().unwrap();
            let verdicts = edge["node"]["verifications"]["edges"].as_array().unwrap();
            assert_eq!(verdicts.len(), (1 + n % 4).min(3), "claim {n}");
            assert_eq!(edge["node"]["appearances"]["edges"].as_array().unwrap().len(), 2);
            assert_eq!(edge["node"]["speaker"].is_null(), n.is_multiple_of(10));
        }
    }
}

both_backends_with! { crate::helpers::counting;
    async fn recording_a_verification_reads_the_claim_and_writes_once(app: TestApp) {
        let claim = id(&app.create_claim(json!({ "kind": "OTHER", "text": "a claim to check" })).await["id"]);
        app.record_verification(claim, "MIXED").await;
        let before = app.statements();
        app.gql_ok("{ __typename }", json!({})).await;
        let overhead = app.statements() - before;
        let before = app.statements();
        let recorded = app.record_verification(claim, "TRUE").await;
        let ran = app.statements() - before - overhead;
        // PostgreSQL: the claim's read, then one statement for the claim's update, the
        // verification, its audit event and both outbox events. SQLite: the same rows
        // one statement each (the two outbox events in one), 5 in all; 7 when the read
        // came from a connection still on an older snapshot (sqlx finishes SQLite reads
        // on its worker thread, launchbadge/sqlx#2543): the guard then matches nothing
        // and the write is planned again under the lock.
        let expected: &[u64] = match app.state.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => &[2],
            _ => &[5, 7],
        };
        assert!(expected.contains(&ran), "{ran} statements for one verification, expected {expected:?}");
        let data = app.gql_ok("query($id: UUID!) { claim(id: $id) { status currentVerdict verifications { edges { node { id verdict } } } } }", json!({ "id": claim })).await;
        assert_eq!(data["claim"]["status"], "REVIEWED");
        assert_eq!(data["claim"]["currentVerdict"], "TRUE");
        assert_eq!(data["claim"]["verifications"]["edges"][0]["node"]["id"], recorded["id"]);
        let trail = app.gql_ok("query($id: UUID!) { claim(id: $id) { auditTrail { edges { node { operation entityType } } } } }", json!({ "id": claim })).await;
        let operations: Vec<_> = trail["claim"]["auditTrail"]["edges"].as_array().unwrap().iter().map(|e| format!("{}.{}", e["node"]["entityType"].as_str().unwrap(), e["node"]["operation"].as_str().unwrap())).collect();
        assert_eq!(operations, ["claim.create", "verification.record", "verification.record"]);
    }
}
