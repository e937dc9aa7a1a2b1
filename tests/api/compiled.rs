//! Planned claims queries: the first time a query text is seen it runs through the
//! resolvers; after that, dashboard-shaped `claims` queries are answered by the planner's
//! one JSON-building statement. Both must answer exactly the same, and the planner's
//! counters tell which path answered.

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

/// Runs `query` twice, the second time through the planner (the first time through the
/// resolvers, unless the text was planned before); both answers must be equal and
/// error-free. Returns the answer and the statements of the second run, less what a
/// trivial request costs.
async fn twice(app: &TestApp, query: &str, variables: Value) -> (Value, u64) {
    let (answer, statements, planned) = twice_by(app, query, variables).await;
    assert!(planned, "the planner answered the second time: {query}");
    (answer, statements)
}

/// As `twice`, for a query the planner does not take: both times through the resolvers.
async fn twice_unplanned(app: &TestApp, query: &str, variables: Value) -> Value {
    let before = app.planned();
    let (answer, _, _) = twice_by(app, query, variables).await;
    assert_eq!(
        app.planned(),
        before,
        "the resolvers answered both times: {query}"
    );
    answer
}

/// The answer, the statements of the second run, and whether the planner answered it.
async fn twice_by(app: &TestApp, query: &str, variables: Value) -> (Value, u64, bool) {
    let first = app.graphql(query, variables.clone()).await;
    assert!(first.get("errors").is_none(), "{first:#}");
    let before = app.statements();
    app.gql_ok("{ __typename }", json!({})).await;
    let overhead = app.statements() - before;
    let before = app.statements();
    let planned = app.planned();
    let second = app.graphql(query, variables).await;
    let planned = app.planned() == planned + 1;
    let statements = app.statements() - before - overhead;
    assert_eq!(
        first,
        second,
        "planned answer differs for {variables_of}",
        variables_of = query
    );
    (second["data"].clone(), statements, planned)
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

        // Fields the planner does not know go the normal way, answering the same.
        twice_unplanned(app, "{ claims { nodes { id currentVerification { verdict } speaker { aliases } } } }", json!({})).await;
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

    async fn a_planned_query_takes_its_variables_as_the_resolvers_do(app: TestApp) {
        newsroom(app).await;
        let query = "query($first: Int!, $filter: ClaimFilterInput) { claims(first: $first, filter: $filter) { nodes { id text } } }";
        twice(app, query, json!({ "first": 2 })).await;
        let planned = app.planned();
        // A required variable missing, an input field the type does not have: refused
        // as the resolvers refuse them, not answered with a default.
        for variables in [
            json!({}),
            json!({ "first": 2, "filter": { "nosuchField": 1 } }),
            json!({ "first": 2, "filter": { "kind": "NOT_A_KIND" } }),
        ] {
            let answer = app.graphql(query, variables.clone()).await;
            assert!(answer.get("errors").is_some(), "{variables}: {answer:#}");
            assert!(answer["data"].is_null(), "{variables}: {answer:#}");
        }
        assert_eq!(app.planned(), planned, "the planner took none of them");
        // A list of one may be given as the value alone, on both paths.
        let single = app.graphql(query, json!({ "first": 5, "filter": { "kind": "QUANTITY" } })).await;
        assert_eq!(single["data"]["claims"]["nodes"].as_array().unwrap().len(), 2, "{single:#}");
        assert_eq!(app.planned(), planned + 1);
    }

    async fn objects_wider_than_the_database_builds_go_the_normal_way(app: TestApp) {
        newsroom(app).await;
        // PostgreSQL builds an object of at most 50 members.
        let wide: Vec<String> = (0..60).map(|i| format!("f{i}: text")).collect();
        let query = format!("{{ claims(first: 3) {{ nodes {{ {} }} }} }}", wide.join(" "));
        let answer = twice_unplanned(app, &query, json!({})).await;
        let node = &answer["claims"]["nodes"][0];
        assert_eq!(node.as_object().unwrap().len(), 60);
        assert_eq!(app.plans_dropped(), 0, "no failing plan was ever made");
        // Fifty members are planned.
        let fifty: Vec<String> = (0..50).map(|i| format!("f{i}: text")).collect();
        twice(app, &format!("{{ claims(first: 3) {{ nodes {{ {} }} }} }}", fifty.join(" ")), json!({})).await;
    }

    async fn a_plan_whose_statement_fails_is_dropped_and_the_resolvers_answer(app: TestApp) {
        let ids = newsroom(app).await;
        let query = "{ claims { nodes { id kind status } } }";
        twice(app, query, json!({})).await;
        // A stored value the enum does not have (written behind the service's back).
        let claim = match app.state.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => format!("'{}'", ids[2]),
            _ => format!("X'{}'", ids[2].simple()),
        };
        app.execute_sql(&format!("UPDATE claims SET kind = 'rumour' WHERE id = {claim}")).await;
        let planned = app.planned();
        let (code, _) = app.gql_error(query, json!({})).await;
        assert_eq!(code, "INTERNAL", "an unreadable stored value is an error, never a default");
        assert_eq!(app.plans_dropped(), 1, "the failing plan is dropped");
        assert_eq!(app.planned(), planned);
        // Repaired, the text is answered by the resolvers from now on.
        app.execute_sql(&format!("UPDATE claims SET kind = 'quantity' WHERE id = {claim}")).await;
        twice_unplanned(app, query, json!({})).await;
        assert_eq!(app.plans_dropped(), 1);
    }

    async fn each_application_has_its_own_plans(app: TestApp) {
        newsroom(app).await;
        let query = "{ claims(first: 4) { nodes { id text } } }";
        twice(app, query, json!({})).await;
        // A second application in the same process learns on its own, with its own limits.
        let backend = match app.state.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => crate::helpers::Backend::Postgres,
            _ => crate::helpers::Backend::Sqlite,
        };
        let other = crate::helpers::spawn_app_with(backend, |settings| {
            settings.graphql.max_page_size = 3;
        })
        .await
        .unwrap();
        let (code, _) = other.gql_error(query, json!({})).await;
        assert_eq!(code, "BAD_USER_INPUT", "a page over this application's limit");
        assert_eq!(other.planned(), 0);
        let small = "{ claims(first: 2) { nodes { id text } } }";
        other.gql_ok(small, json!({})).await;
        other.gql_ok(small, json!({})).await;
        assert_eq!(other.planned(), 1);
        other.finish().await;
    }
}
