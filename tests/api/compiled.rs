//! Compiled claims queries: the first time a query text is seen it runs through the
//! resolvers; after that, dashboard-shaped `claims` queries are answered by
//! one JSON-building statement. Both must answer exactly the same.

use claimtrack::domain::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_backends_with;
use crate::helpers::{TestApp, id};

/// Every kind of claim, with and without speakers, several appearances in articles with
/// and without outlets, verifications with and without ratings, and times with and
/// without sub-second digits.
async fn newsroom(app: &TestApp) -> Vec<Uuid> {
    let hollande = app.create_source("PERSON", "Francois Hollande").await;
    let wire = app.create_source("OUTLET", "Example Wire").await;
    let body = |i: usize| format!("Before. excerpt {i} with \"quotes\" and ünïcode. After.");
    let articles = [
        app.create_article("https://wire.example/a", &body(0), Some(wire))
            .await,
        app.create_article("https://blog.example/b", &body(1), None)
            .await,
        app.create_article("https://wire.example/c", &body(2), Some(wire))
            .await,
    ];
    let appearances = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "articleId": articles[i], "excerpt": format!("excerpt {i} with \"quotes\" and ünïcode") }))
            .collect()
    };
    let inputs = [
        json!({ "kind": "QUOTE", "text": "France is at war", "quote": "France is at war", "setting": "Versailles",
                "speakerId": hollande, "appearances": appearances(3) }),
        json!({ "kind": "QUANTITY", "text": "killed 129", "appearances": appearances(1),
                "quantity": { "subject": "Paris attacks", "measure": "deaths", "value": "129", "unit": "people",
                              "asOf": "2015-11-14T12:00:00.5Z" } }),
        json!({ "kind": "QUANTITY", "text": "more than a year", "speakerId": hollande,
                "quantity": { "subject": "bombing", "measure": "duration", "lower": "1", "upper": "1.75",
                              "unit": "year", "approximate": true, "asOf": "2015-11-17T16:01:00.123456Z" } }),
        json!({ "kind": "EVENT", "text": "Islamic State claimed responsibility", "status": "IN_REVIEW",
                "appearances": appearances(2) }),
        json!({ "kind": "OTHER", "text": "Nothing else" }),
    ];
    let mut ids = Vec::new();
    for input in inputs {
        ids.push(id(&app.create_claim(input).await["id"]));
    }
    for (claim, verdicts) in [
        (
            ids[0],
            vec!["TRUE", "MISLEADING", "MOSTLY_TRUE", "FALSE", "MIXED"],
        ),
        (ids[1], vec!["MOSTLY_TRUE"]),
        (ids[3], vec!["UNPROVEN", "TRUE"]),
    ] {
        for verdict in verdicts {
            app.record_verification(claim, verdict).await;
        }
    }
    ids
}

const FULL: &str = "query Full($filter: ClaimFilterInput, $first: Int, $after: String, $order: ListOrderInput) {
  list: claims(filter: $filter, first: $first, after: $after, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges {
      cursor
      node {
        id kind text speakerId status currentVerdict quote setting version createdAt updatedAt
        figure: quantity { subject measure value lower upper unit approximate asOf key }
        speaker { id kind name description url version createdAt updatedAt }
        appearances(first: 2) {
          nodes { id claimId articleId excerpt spanStart spanEnd createdAt
                  article { id url title outletId publishedAt language version createdAt updatedAt
                            outlet { id name kind } } }
          edges { node { id claimId articleId excerpt spanStart spanEnd createdAt
                  article { id url title outletId publishedAt language version createdAt updatedAt
                            outlet { id name kind } } } }
        }
        latest: verifications(first: 3) { nodes { id claimId verdict rating summary reviewerId reviewerName createdAt } }
      }
    }
  }
}";

/// Runs `query` twice (the first time through the resolvers); both answers must be
/// equal and error-free. Returns the answer and the statements of the second run, less
/// what a trivial request costs.
async fn twice(app: &TestApp, query: &str, variables: Value) -> (Value, u64) {
    let first = app.graphql(query, variables.clone()).await;
    assert!(first.get("errors").is_none(), "{first:#}");
    let before = app.statements();
    app.gql_ok("{ __typename }", json!({})).await;
    let overhead = app.statements() - before;
    let before = app.statements();
    let second = app.graphql(query, variables).await;
    let statements = app.statements() - before - overhead;
    assert_eq!(
        first,
        second,
        "compiled answer differs for {variables_of}",
        variables_of = query
    );
    (second["data"].clone(), statements)
}

both_backends_with! { crate::helpers::counting;
    async fn compiled_claims_queries_answer_exactly_what_the_resolvers_answer(app: TestApp) {
        let ids = newsroom(app).await;

        let (all, statements) = twice(app, FULL, json!({})).await;
        let edges = all["list"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 5);
        assert_eq!(all["list"]["totalCount"], 5);
        assert_eq!(edges[0]["node"]["id"], json!(ids[4]), "newest first");
        assert_eq!(statements, 2, "compiled: one statement and the count");

        // Pages, filters, order and variables go through the same input types.
        let (page, _) = twice(app, FULL, json!({ "first": 2, "order": { "field": "UPDATED_AT", "direction": "ASC" } })).await;
        assert_eq!(page["list"]["pageInfo"]["hasNextPage"], true);
        let after = page["list"]["pageInfo"]["endCursor"].clone();
        let (next, _) = twice(app, FULL, json!({ "first": 2, "after": after, "order": { "field": "UPDATED_AT", "direction": "ASC" } })).await;
        assert_eq!(next["list"]["pageInfo"]["hasPreviousPage"], true);
        twice(app, FULL, json!({ "filter": { "kind": ["QUANTITY"], "status": ["UNREVIEWED"] } })).await;
        twice(app, FULL, json!({ "filter": { "speakerId": Uuid::nil() } })).await;

        // The benchmark's dashboard, with and without its variable.
        let dashboard = "query Dashboard($status: [ClaimStatus!]) {
          claims(first: 50, filter: { status: $status }) { nodes {
            id text kind status createdAt quantity { value lower upper unit measure subject }
            speaker { name } appearances { nodes { excerpt article { title url outlet { name } } } }
            verifications(first: 3) { nodes { verdict rating createdAt } } } } }";
        let (reviewed, _) = twice(app, dashboard, json!({ "status": ["REVIEWED"] })).await;
        assert_eq!(reviewed["claims"]["nodes"].as_array().unwrap().len(), 3);
        twice(app, dashboard, json!({})).await;

        // Fields the compiler does not know go the normal way, answering the same.
        twice(app, "{ claims { nodes { id currentVerification { verdict } speaker { aliases } } } }", json!({})).await;
    }

    async fn a_compiled_query_still_refuses_what_the_resolvers_refuse(app: TestApp) {
        newsroom(app).await;
        let query = "query($first: Int) { claims(first: $first) { nodes { id text } } }";
        twice(app, query, json!({ "first": 3 })).await;
        // Bad variables, too large a page, no credentials: the same errors as ever.
        let (code, _) = app.gql_error(query, json!({ "first": 1000 })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        let (code, _) = app.gql_error(query, json!({ "first": "three" })).await;
        assert!(!code.is_empty());
        let (_, refused) = app.graphql_as(None, query, json!({ "first": 3 })).await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{refused:#}");
        let (_, viewer) = app.graphql_as(Some(&app.bearer(Role::Viewer)), query, json!({ "first": 3 })).await;
        assert_eq!(viewer["data"]["claims"]["nodes"].as_array().unwrap().len(), 3);
    }
}
