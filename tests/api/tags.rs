//! Tags on claims and articles: normalised names, filters on every list (unknown tags
//! match nothing), renames that reach everything, role rules.

use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;

const TAG_CLAIM: &str = "mutation($id: UUID!, $tags: [String!]!) { tagClaim(claimId: $id, tags: $tags) { id tags { name } } }";

fn names(tags: &Value) -> Vec<String> {
    tags.as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(no error)")
}

both_backends! {
    async fn tags_are_normalised_filter_every_list_and_renames_reach_everything(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "Turnout was the highest since 1981" })).await;
        let other = app.create_claim(json!({ "kind": "OTHER", "text": "Hospitals are full" })).await;
        let article = app.create_article("https://wire.example/vote", "Turnout was the highest since 1981.", None).await;
        let (claim_id, other_id) = (claim["id"].as_str().unwrap(), other["id"].as_str().unwrap());

        // Checkers tag; names are normalised, so one topic is one tag.
        let (_, tagged) = app
            .graphql_as(Some(&app.bearer(Role::Checker)), TAG_CLAIM, json!({ "id": claim_id, "tags": ["Elections 2027", "  HEALTH "] }))
            .await;
        assert_eq!(names(&tagged["data"]["tagClaim"]["tags"]), ["elections-2027", "health"], "{tagged}");
        let again = app.gql_ok(TAG_CLAIM, json!({ "id": claim_id, "tags": ["elections-2027"] })).await;
        assert_eq!(names(&again["tagClaim"]["tags"]), ["elections-2027", "health"]);
        app.gql_ok(TAG_CLAIM, json!({ "id": other_id, "tags": ["health"] })).await;
        let (status, _, article_tags) = app
            .rest(Method::POST, &format!("/api/v1/articles/{article}/tags"), Some(Role::Checker), Some(json!({ "tags": ["Elections 2027"] })), &[])
            .await;
        assert_eq!((status, names(&article_tags)), (200, vec!["elections-2027".to_owned()]), "{article_tags}");
        let (_, refused) = app
            .graphql_as(Some(&app.bearer(Role::Viewer)), TAG_CLAIM, json!({ "id": claim_id, "tags": ["x"] }))
            .await;
        assert_eq!(code(&refused), "FORBIDDEN");
        let blank = app.graphql(TAG_CLAIM, json!({ "id": claim_id, "tags": ["  "] })).await;
        assert_eq!(code(&blank), "BAD_USER_INPUT", "{blank}");

        // Filters: any of the tags; unknown tags match nothing, without an error.
        let list = "query($tags: [String!]) { claims(filter: { tags: $tags }) { nodes { id } } }";
        let count = |data: &Value| data["claims"]["nodes"].as_array().unwrap().len();
        assert_eq!(count(&app.gql_ok(list, json!({ "tags": ["Health"] })).await), 2);
        assert_eq!(count(&app.gql_ok(list, json!({ "tags": ["elections-2027"] })).await), 1);
        assert_eq!(count(&app.gql_ok(list, json!({ "tags": ["no-such-tag"] })).await), 0);
        let (status, _, body) = app.rest(Method::GET, "/api/v1/claims?tags=no-such-tag,elections-2027", Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, body["items"].as_array().unwrap().len()), (200, 1), "{body}");
        let (status, _, body) = app.rest(Method::GET, "/api/v1/articles?tags=elections-2027", Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, body["items"].as_array().unwrap().len()), (200, 1), "{body}");
        let articles = app.gql_ok("{ articles(filter: { tags: [\"health\"] }) { nodes { id } } }", json!({})).await;
        assert_eq!(articles["articles"]["nodes"], json!([]));

        // Renaming reaches every claim and article; the old name names nothing now.
        let all = app.gql_ok("{ tags { tag { id name } claims articles } }", json!({})).await;
        assert_eq!(all["tags"], json!([
            { "tag": { "id": all["tags"][0]["tag"]["id"], "name": "elections-2027" }, "claims": 1, "articles": 1 },
            { "tag": { "id": all["tags"][1]["tag"]["id"], "name": "health" }, "claims": 2, "articles": 0 },
        ]));
        let elections = all["tags"][0]["tag"]["id"].clone();
        let (_, by_checker) = app
            .graphql_as(Some(&app.bearer(Role::Checker)), "mutation($id: UUID!) { renameTag(id: $id, name: \"x\") { name } }", json!({ "id": elections }))
            .await;
        assert_eq!(code(&by_checker), "FORBIDDEN");
        let taken = app.graphql("mutation($id: UUID!) { renameTag(id: $id, name: \"Health\") { name } }", json!({ "id": elections })).await;
        assert_eq!(code(&taken), "CONFLICT", "{taken}");
        let (status, _, renamed) = app
            .rest(Method::PATCH, &format!("/api/v1/tags/{}", elections.as_str().unwrap()), Some(Role::Editor), Some(json!({ "name": "Elections 2027 France" })), &[])
            .await;
        assert_eq!((status, renamed["name"].as_str()), (200, Some("elections-2027-france")), "{renamed}");
        let seen = app
            .gql_ok("query($c: UUID!, $a: UUID!) { claim(id: $c) { tags { name } } article(id: $a) { tags { name } } }", json!({ "c": claim_id, "a": article }))
            .await;
        assert_eq!(names(&seen["claim"]["tags"]), ["elections-2027-france", "health"]);
        assert_eq!(names(&seen["article"]["tags"]), ["elections-2027-france"]);
        assert_eq!(count(&app.gql_ok(list, json!({ "tags": ["elections-2027"] })).await), 0);
        assert_eq!(count(&app.gql_ok(list, json!({ "tags": ["elections-2027-france"] })).await), 1);

        // Untagging and deleting a tag take it off; each change is in the audit trail.
        let (status, _, left) = app.rest(Method::DELETE, &format!("/api/v1/claims/{claim_id}/tags/Health"), Some(Role::Checker), None, &[]).await;
        assert_eq!((status, names(&left)), (200, vec!["elections-2027-france".to_owned()]), "{left}");
        let (status, _, _) = app.rest(Method::DELETE, &format!("/api/v1/tags/{}", elections.as_str().unwrap()), Some(Role::Editor), None, &[]).await;
        assert_eq!(status, 204);
        let (_, _, none) = app.rest(Method::GET, &format!("/api/v1/articles/{article}/tags"), Some(Role::Viewer), None, &[]).await;
        assert_eq!(none, json!([]));
        let trail = app
            .gql_ok("query($id: UUID!) { claim(id: $id) { auditTrail { nodes { operation changes } } } }", json!({ "id": claim_id }))
            .await;
        let tag_changes: Vec<&Value> = trail["claim"]["auditTrail"]["nodes"].as_array().unwrap().iter().filter_map(|e| e["changes"].get("tags")).collect();
        assert_eq!(tag_changes, [
            &json!({ "from": [], "to": ["elections-2027", "health"] }),
            &json!({ "from": ["elections-2027-france", "health"], "to": ["elections-2027-france"] }),
        ]);
    }
}
