//! Full-text search: words in any case, accent and form across claims, articles and
//! sources; phrases, OR and exclusions; ranking and snippets; claim filters; changes
//! reaching the index at once; keyset paging by relevance; both doors.

use claimtrack::domain::Role;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::{TestApp, id};

const SEARCH: &str = "query($q: String!, $kinds: [SearchKind!], $claims: ClaimFilterInput, $first: Int, $after: String) {
    search(query: $q, kinds: $kinds, claims: $claims, first: $first, after: $after) {
        edges { cursor score
            node { __typename ... on Claim { id text } ... on Article { id title } ... on Source { id name } }
            snippets { field html fragments { text highlighted } } }
        pageInfo { hasNextPage endCursor } } }";

/// The ids of a search's hits, in order.
async fn hits(app: &TestApp, q: &str, kinds: Option<&[&str]>) -> Vec<Uuid> {
    let data = app.gql_ok(SEARCH, json!({ "q": q, "kinds": kinds })).await;
    data["search"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| id(&e["node"]["id"]))
        .collect()
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(no error)")
}

both_backends! {
    async fn search_finds_words_in_any_case_accent_and_form_across_records(app: TestApp) {
        let hollande = app.create_source("PERSON", "François Hollande").await;
        let outlet = app.create_source("OUTLET", "Agence Wire").await;
        let article = app
            .create_article("https://wire.example/paris", "Gunmen killed dozens of people in Paris on Friday night.", Some(outlet))
            .await;
        let war = id(&app.create_claim(json!({ "kind": "OTHER", "text": "France is at war", "speakerId": hollande })).await["id"]);
        let toll = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Attackers killed 129 people at the Bataclan" })).await["id"]);
        let lyon = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Hospitals in Lyon are full" })).await["id"]);
        let summit = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Paris will host the climate summit" })).await["id"]);
        // Found at once: the search catches the index up before it runs.
        let verdict = app
            .gql_ok(
                "mutation($claim: UUID!) { recordVerification(claimId: $claim, input: { verdict: FALSE, summary: \"Prosecutors in Paris confirmed 130 deaths\" }) { id } }",
                json!({ "claim": toll }),
            )
            .await;

        // Case and accents: "francois" finds the speaker and the claim he made.
        let found = hits(app, "francois", None).await;
        assert!(found.contains(&hollande) && found.contains(&war), "{found:?}");
        assert_eq!(hits(app, "WAR france", None).await, [war]);
        // Forms of a word: "kill" finds "killed" in a claim and an article body.
        let found = hits(app, "kill", None).await;
        assert!(found.contains(&toll) && found.contains(&article), "{found:?}");
        assert_eq!(found.len(), 2, "{found:?}");
        // Verdict summaries, outlets and source names are searched too.
        assert_eq!(hits(app, "prosecutors confirmed", None).await, [toll]);
        assert_eq!(hits(app, "agence wire gunmen", None).await, [article]);
        // Phrases, OR, exclusions.
        assert_eq!(hits(app, "\"at the Bataclan\"", None).await, [toll]);
        assert!(hits(app, "\"Bataclan at\"", None).await.is_empty());
        let either = hits(app, "lyon OR bataclan", Some(&["CLAIM"])).await;
        assert_eq!(either.len(), 2);
        assert!(either.contains(&lyon) && either.contains(&toll));
        assert_eq!(hits(app, "killed -bataclan", None).await, [article]);
        // Kinds.
        assert_eq!(hits(app, "francois", Some(&["SOURCE"])).await, [hollande]);
        assert_eq!(hits(app, "killed", Some(&["ARTICLE"])).await, [article]);

        // Ranking: a word in a claim's own text counts for more than in a summary.
        assert_eq!(hits(app, "paris", Some(&["CLAIM"])).await, [summit, toll]);

        // Snippets: the matching words highlighted, in their own spelling; HTML escaped.
        let data = app.gql_ok(SEARCH, json!({ "q": "killed francois", "kinds": ["CLAIM"] })).await;
        assert!(data["search"]["edges"].as_array().unwrap().is_empty());
        let data = app.gql_ok(SEARCH, json!({ "q": "francois", "kinds": ["CLAIM"] })).await;
        let snippet = &data["search"]["edges"][0]["snippets"][0];
        assert_eq!(snippet["field"], "DETAIL", "{data}");
        assert_eq!(snippet["html"], "<mark>François</mark> Hollande", "{data}");
        assert_eq!(snippet["fragments"], json!([{ "text": "François", "highlighted": true }, { "text": " Hollande", "highlighted": false }]));

        // Claim filters combine with the search, and the claim list takes `search`.
        let data = app
            .gql_ok(SEARCH, json!({ "q": "paris", "kinds": ["CLAIM"], "claims": { "currentVerdict": ["FALSE"] } }))
            .await;
        assert_eq!(data["search"]["edges"].as_array().unwrap().len(), 1, "{data}");
        assert_eq!(id(&data["search"]["edges"][0]["node"]["id"]), toll);
        let listed = app.gql_ok("{ claims(filter: { search: \"hollande war\" }) { totalCount nodes { id } } }", json!({})).await;
        assert_eq!(listed["claims"]["totalCount"], 1);
        assert_eq!(id(&listed["claims"]["nodes"][0]["id"]), war);
        let (status, _, body) = app.rest(Method::GET, "/api/v1/claims?search=hospitals&status=unreviewed", Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["items"].as_array().unwrap().len(), 1);

        // REST: the same search, hits with their path and snippets.
        let (status, _, body) = app.rest(Method::GET, "/api/v1/search?q=Fran%C3%A7ois&kinds=source", Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["items"][0]["kind"], "source");
        assert_eq!(body["items"][0]["href"], format!("/api/v1/sources/{hollande}"));
        assert_eq!(body["items"][0]["title"], "François Hollande");
        assert_eq!(body["items"][0]["snippets"][0]["field"], "title");

        // Changes reach the index: a rename, a deletion, a retraction.
        app.gql_ok("mutation($id: UUID!) { updateSource(id: $id, expectedVersion: 1, input: { name: \"Emmanuel Macron\" }) { id } }", json!({ "id": hollande })).await;
        assert!(hits(app, "hollande", None).await.is_empty());
        let found = hits(app, "macron", None).await;
        assert!(found.contains(&hollande) && found.contains(&war), "{found:?}");
        app.gql_ok("mutation($id: UUID!) { deleteClaim(id: $id) }", json!({ "id": lyon })).await;
        assert!(hits(app, "lyon", None).await.is_empty());
        app.gql_ok(
            "mutation($id: UUID!) { retractVerification(id: $id, reason: \"wrong figure\") { id } }",
            json!({ "id": verdict["recordVerification"]["id"] }),
        )
        .await;
        assert!(hits(app, "prosecutors", None).await.is_empty());
    }

    async fn bad_searches_are_refused_with_a_reason(app: TestApp) {
        for q in ["", "   ", "-war", "\"\"", &"word ".repeat(30), &"x".repeat(501)] {
            let response = app.graphql(SEARCH, json!({ "q": q })).await;
            assert_eq!(code(&response), "BAD_USER_INPUT", "{q:?}: {response}");
        }
        let response = app.graphql(SEARCH, json!({ "q": "war", "after": "not-a-cursor" })).await;
        assert_eq!(code(&response), "BAD_USER_INPUT", "{response}");
        let response = app.graphql("{ claims(filter: { search: \"-war\" }) { nodes { id } } }", json!({})).await;
        assert_eq!(code(&response), "BAD_USER_INPUT", "{response}");
        // Operators of the engines underneath are words like any other.
        for q in ["NEAR(a b)", "a:b", "x* OR", "!war & peace", "'quoted'", "(unbalanced", "NOT AND OR"] {
            let response = app.graphql(SEARCH, json!({ "q": q })).await;
            assert!(response.get("errors").is_none() || code(&response) == "BAD_USER_INPUT", "{q:?}: {response}");
        }
        let (status, _, body) = app.rest(Method::GET, "/api/v1/search?q=", Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["type"], "/problems/bad-user-input", "{body}");
        let (status, _, _) = app.rest(Method::GET, "/api/v1/search?q=war&kinds=planet", Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 400);
    }

    async fn search_pages_by_relevance_without_gaps_or_repeats(app: TestApp) {
        let mut created = Vec::new();
        for i in 0..7 {
            // More mentions of "budget" in fewer words rank higher.
            let text = format!("{} in year {i}", "budget deficit ".repeat(i + 1));
            created.push(id(&app.create_claim(json!({ "kind": "OTHER", "text": text })).await["id"]));
        }
        let mut seen = Vec::new();
        let mut scores = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data = app.gql_ok(SEARCH, json!({ "q": "budget", "first": 3, "after": after })).await;
            let page = &data["search"];
            for edge in page["edges"].as_array().unwrap() {
                seen.push(id(&edge["node"]["id"]));
                scores.push(edge["score"].as_f64().unwrap());
            }
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(seen.len(), 7, "{seen:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 7);
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

        // REST pages the same way.
        let (_, _, first) = app.rest(Method::GET, "/api/v1/search?q=budget&limit=4", Some(Role::Viewer), None, &[]).await;
        let cursor = first["next_cursor"].as_str().unwrap();
        let (_, _, rest) = app.rest(Method::GET, &format!("/api/v1/search?q=budget&limit=4&cursor={cursor}"), Some(Role::Viewer), None, &[]).await;
        let ids: Vec<Uuid> = first["items"].as_array().unwrap().iter().chain(rest["items"].as_array().unwrap()).map(|h| id(&h["id"])).collect();
        assert_eq!(ids, seen);

        // Rows added between pages: every row there at the start still comes once.
        let mut again = Vec::new();
        let mut after: Option<String> = None;
        let mut added = 0;
        loop {
            let data = app.gql_ok(SEARCH, json!({ "q": "budget", "first": 2, "after": after })).await;
            let page = &data["search"];
            again.extend(page["edges"].as_array().unwrap().iter().map(|e| id(&e["node"]["id"])));
            if added < 3 {
                // One that ranks first, one in the middle, one last.
                for text in ["budget budget", "budget deficit budget deficit budget deficit in year 9", "budget deficit budget deficit budget deficit budget deficit budget deficit budget deficit budget deficit budget deficit and more words in year 8"] {
                    app.create_claim(json!({ "kind": "OTHER", "text": text })).await;
                }
                added += 3;
            }
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
        for original in &created {
            assert_eq!(again.iter().filter(|x| *x == original).count(), 1, "{again:?}");
        }
    }

    async fn words_are_stemmed_in_the_language_of_their_article(app: TestApp) {
        let article = app
            .gql_ok(
                "mutation { createArticle(input: { url: \"https://journal.example/vote\", title: \"Les élections présidentielles reportées\", language: \"fr\", body: \"Les manifestants étaient nombreux devant l'Assemblée.\" }) { id } }",
                json!({}),
            )
            .await;
        let article = id(&article["createArticle"]["id"]);
        let claim = id(&app
            .create_claim(json!({ "kind": "EVENT", "text": "Les manifestants étaient nombreux", "appearances": [{ "articleId": article, "excerpt": "Les manifestants étaient nombreux" }] }))
            .await["id"]);
        // French forms without accents find the French text.
        assert_eq!(hits(app, "election presidentielle", None).await, [article]);
        assert_eq!(hits(app, "manifestant", Some(&["CLAIM"])).await, [claim]);
    }

    async fn a_writer_finds_its_write_while_older_transactions_run(app: TestApp) {
        // Another client's transaction, begun before the write and still open: on
        // PostgreSQL the write's outbox event is not settled until it ends.
        let db = &app.state.db;
        let holder = sea_orm::TransactionTrait::begin(db).await.unwrap();
        let assign_xid = match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "SELECT pg_current_xact_id()",
            _ => "SELECT 1",
        };
        holder.execute_unprepared(assign_xid).await.unwrap();
        let claim = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Ferries stopped running at noon" })).await["id"]);
        assert_eq!(hits(app, "ferries", None).await, [claim]);
        let listed = app.gql_ok("{ claims(filter: { search: \"ferry\" }) { nodes { id } } }", json!({})).await;
        assert_eq!(listed["claims"]["nodes"].as_array().unwrap().len(), 1);
        holder.rollback().await.unwrap();
        // Once settled, the cursor's own pass indexes it again: still found, once.
        let (_, _, body) = app.rest(Method::GET, "/api/v1/search?q=ferries", Some(Role::Viewer), None, &[]).await;
        assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
    }

    async fn the_index_is_built_from_existing_records_on_start(app: TestApp) {
        let claim = id(&app.create_claim(json!({ "kind": "OTHER", "text": "Turnout reached a record high" })).await["id"]);
        // Indexed (a search catches up; no pass of the index can write it again later).
        assert_eq!(hits(app, "turnout record", None).await, [claim]);
        // A database from before the index (or a release whose analysis changed): no
        // documents and no cursor.
        let db = &app.state.db;
        db.execute_unprepared("DELETE FROM search_documents").await.unwrap();
        db.execute_unprepared("DELETE FROM outbox_cursors WHERE name LIKE 'search.%'").await.unwrap();
        // An instance starting on it serves at once and builds the index behind.
        let (_address, instance) = app.second_instance().await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let rebuilding = || async {
            db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SELECT name FROM outbox_cursors WHERE name = 'search.v1.rebuild'"))
                .await
                .unwrap()
                .is_some()
        };
        while rebuilding().await {
            assert!(std::time::Instant::now() < deadline, "the index was not built");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(hits(app, "turnout record", None).await, [claim]);
        instance.stop().await;
    }
}
