use std::collections::HashSet;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;

const PAGE_QUERY: &str = "query($first: Int, $after: String, $order: ListOrderInput) {
    claims(first: $first, after: $after, orderBy: $order) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { id text } }
    }
}";

async fn page(app: &TestApp, first: i64, after: &Value, order: Value) -> Value {
    app.gql_ok(
        PAGE_QUERY,
        json!({ "first": first, "after": after, "order": order }),
    )
    .await["claims"]
        .clone()
}

both_backends! {
    async fn paging_through_a_list_while_rows_are_added_has_no_gaps_or_duplicates(app: TestApp) {
        for n in 0..25 {
            app.create_claim(json!({ "kind": "OTHER", "text": format!("before {n}") })).await;
        }
        for order in [json!({ "field": "CREATED_AT", "direction": "DESC" }), json!({ "field": "CREATED_AT", "direction": "ASC" })] {
            let mut seen = Vec::new();
            let mut after = Value::Null;
            let mut added = 0;
            loop {
                let page = page(app, 7, &after, order.clone()).await;
                for edge in page["edges"].as_array().unwrap() {
                    seen.push(edge["node"]["text"].as_str().unwrap().to_owned());
                }
                // Newsroom keeps writing while the dashboard pages.
                app.create_claim(json!({ "kind": "OTHER", "text": format!("during {added} {order}") })).await;
                added += 1;
                if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                    break;
                }
                assert_eq!(page["pageInfo"]["hasPreviousPage"], after != Value::Null);
                after = page["pageInfo"]["endCursor"].clone();
            }
            let unique: HashSet<&String> = seen.iter().collect();
            assert_eq!(unique.len(), seen.len(), "duplicates in {seen:?}");
            for n in 0..25 {
                assert!(seen.contains(&format!("before {n}")), "gap: before {n} missing for {order}");
            }
            if order["direction"] == "DESC" {
                // Newest first: rows added during paging land before the cursor, never in a later page.
                assert_eq!(seen.len(), 25, "{seen:?}");
            }
        }
    }

    async fn page_size_defaults_to_twenty_and_above_one_hundred_is_an_error(app: TestApp) {
        for n in 0..21 {
            app.create_claim(json!({ "kind": "OTHER", "text": format!("claim {n}") })).await;
        }
        let default = app.gql_ok("{ claims { totalCount edges { cursor } pageInfo { hasNextPage } } }", json!({})).await;
        assert_eq!(default["claims"]["edges"].as_array().unwrap().len(), 20);
        assert_eq!(default["claims"]["pageInfo"]["hasNextPage"], true);
        assert_eq!(default["claims"]["totalCount"], 21);

        let max = app.gql_ok("{ claims(first: 100) { edges { cursor } } }", json!({})).await;
        assert_eq!(max["claims"]["edges"].as_array().unwrap().len(), 21);
        for query in ["{ claims(first: 101) { totalCount } }", "{ claims(first: -1) { totalCount } }", "{ sources(first: 1000) { totalCount } }"] {
            let (code, error) = app.gql_error(query, json!({})).await;
            assert_eq!(code, "BAD_USER_INPUT", "{query}");
            assert_eq!(error["extensions"]["field"], "first", "{query}");
        }
    }

    async fn a_cursor_is_only_valid_for_the_order_it_came_from(app: TestApp) {
        for n in 0..3 {
            app.create_claim(json!({ "kind": "OTHER", "text": format!("claim {n}") })).await;
        }
        let first = page(app, 1, &Value::Null, Value::Null).await;
        let cursor = first["pageInfo"]["endCursor"].clone();
        let asc = json!({ "field": "CREATED_AT", "direction": "ASC" });
        let response = app.graphql(PAGE_QUERY, json!({ "first": 1, "after": cursor, "order": asc })).await;
        assert_eq!(response["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let garbage = app.graphql(PAGE_QUERY, json!({ "first": 1, "after": "not-a-cursor" })).await;
        assert_eq!(garbage["errors"][0]["extensions"]["field"], "after");
    }

    async fn verification_history_pages_newest_first(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "checked often" })).await;
        let claim_id = crate::helpers::id(&claim["id"]);
        let verdicts = ["FALSE", "MOSTLY_FALSE", "MIXED", "MOSTLY_TRUE", "TRUE"];
        for verdict in verdicts {
            app.record_verification(claim_id, verdict).await;
        }
        let query = "query($id: UUID!, $after: String) { claim(id: $id) { verifications(first: 2, after: $after) {
            pageInfo { hasNextPage endCursor } edges { node { verdict } } } } }";
        let mut after = Value::Null;
        let mut seen = Vec::new();
        loop {
            let data = app.gql_ok(query, json!({ "id": claim_id, "after": after })).await;
            let connection = &data["claim"]["verifications"];
            for edge in connection["edges"].as_array().unwrap() {
                seen.push(edge["node"]["verdict"].as_str().unwrap().to_owned());
            }
            if connection["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
        let newest_first: Vec<&str> = verdicts.iter().rev().copied().collect();
        assert_eq!(seen, newest_first);
    }
}
