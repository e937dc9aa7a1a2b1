use serde_json::json;

use crate::both_backends;
use crate::helpers::id;

const ARTICLE_FIELDS: &str = "id url title publishedAt language body version outlet { name }";

both_backends! {
    async fn an_article_can_be_created_read_updated_and_deleted(app: TestApp) {
        let outlet = app.create_source("OUTLET", "Example Wire").await;
        let created = app
            .gql_ok(
                &format!("mutation($i: CreateArticleInput!) {{ createArticle(input: $i) {{ {ARTICLE_FIELDS} }} }}"),
                json!({ "i": {
                    "url": "HTTPS://Wire.Example/story?id=7&utm_source=feed#top",
                    "title": "Hollande urges coalition",
                    "outletId": outlet,
                    "publishedAt": "2015-11-17T16:01:00Z",
                    "language": "en",
                    "body": "“France is at war,” Hollande told Parliament."
                } }),
            )
            .await["createArticle"]
            .clone();
        assert_eq!(created["url"], "https://wire.example/story?id=7");
        assert_eq!(created["outlet"]["name"], "Example Wire");
        assert_eq!(created["publishedAt"], "2015-11-17T16:01:00+00:00");
        let article = id(&created["id"]);

        // Found by id and by any spelling of its URL.
        let by_id = app.gql_ok(&format!("query($id: UUID!) {{ article(id: $id) {{ {ARTICLE_FIELDS} }} }}"), json!({ "id": article })).await;
        assert_eq!(by_id["article"], created);
        let by_url = app
            .gql_ok("{ article(url: \"https://wire.example/story?id=7&fbclid=abc\") { id } }", json!({}))
            .await;
        assert_eq!(id(&by_url["article"]["id"]), article);

        let updated = app
            .gql_ok(
                "mutation($id: UUID!) { updateArticle(id: $id, expectedVersion: 1, input: { title: \"New title\", outletId: null }) { title version outlet { name } } }",
                json!({ "id": article }),
            )
            .await;
        assert_eq!(updated["updateArticle"], json!({ "title": "New title", "version": 2, "outlet": null }));

        app.gql_ok("mutation($id: UUID!) { deleteArticle(id: $id) }", json!({ "id": article })).await;
        let (code, _) = app.gql_error("query($id: UUID!) { article(id: $id) { id } }", json!({ "id": article })).await;
        assert_eq!(code, "NOT_FOUND");
    }

    async fn a_second_article_with_the_same_canonical_url_is_a_conflict(app: TestApp) {
        app.create_article("https://wire.example/a", "", None).await;
        let (code, _) = app
            .gql_error(
                "mutation { createArticle(input: { url: \"https://WIRE.example:443/a#comments\", title: \"again\" }) { id } }",
                json!({}),
            )
            .await;
        assert_eq!(code, "CONFLICT");
        assert_eq!(app.count_rows("articles").await, 1);
    }

    async fn invalid_article_input_is_rejected_with_field_paths(app: TestApp) {
        let cases = [
            (json!({ "url": "ftp://wire.example/a", "title": "t" }), "input.url"),
            (json!({ "url": "not a url", "title": "t" }), "input.url"),
            (json!({ "url": "https://wire.example/a", "title": "   " }), "input.title"),
            (json!({ "url": "https://wire.example/a", "title": "t", "language": "english!" }), "input.language"),
        ];
        for (input, field) in cases {
            let (code, error) = app
                .gql_error("mutation($i: CreateArticleInput!) { createArticle(input: $i) { id } }", json!({ "i": input }))
                .await;
            assert_eq!(code, "BAD_USER_INPUT", "{input}");
            assert_eq!(error["extensions"]["field"], field, "{input}");
        }
        let (code, _) = app
            .gql_error(
                "mutation($o: UUID!) { createArticle(input: { url: \"https://wire.example/a\", title: \"t\", outletId: $o }) { id } }",
                json!({ "o": uuid::Uuid::now_v7() }),
            )
            .await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert_eq!(app.count_rows("articles").await, 0);
    }

    async fn deleting_an_article_removes_its_appearances_but_keeps_the_claims(app: TestApp) {
        let article = app.create_article("https://wire.example/b", "France is at war", None).await;
        let claim = app
            .create_claim(json!({ "kind": "QUOTE", "text": "France is at war",
                "appearances": [{ "articleId": article, "excerpt": "France is at war", "spanStart": 0, "spanEnd": 16 }] }))
            .await;
        assert_eq!(app.count_rows("appearances").await, 1);
        app.gql_ok("mutation($id: UUID!) { deleteArticle(id: $id) }", json!({ "id": article })).await;
        assert_eq!(app.count_rows("appearances").await, 0);
        let still = app.gql_ok("query($id: UUID!) { claim(id: $id) { text } }", json!({ "id": claim["id"] })).await;
        assert_eq!(still["claim"]["text"], "France is at war");
    }

    async fn articles_can_be_filtered_by_outlet_language_and_publication_time(app: TestApp) {
        let wire = app.create_source("OUTLET", "Example Wire").await;
        app.create_article("https://wire.example/1", "", Some(wire)).await;
        app.create_article("https://other.example/2", "", None).await;
        app.gql_ok(
            "mutation { createArticle(input: { url: \"https://fr.example/3\", title: \"t\", language: \"fr\", publishedAt: \"2015-11-16T10:00:00Z\" }) { id } }",
            json!({}),
        )
        .await;
        let data = app
            .gql_ok(
                "query($wire: UUID!) {
                    byOutlet: articles(filter: { outletId: $wire }) { totalCount edges { node { url } } }
                    french: articles(filter: { language: \"fr\" }) { totalCount }
                    early: articles(filter: { publishedBefore: \"2015-11-17T00:00:00Z\" }) { totalCount }
                    late: articles(filter: { publishedAfter: \"2015-11-17T00:00:00Z\" }) { totalCount }
                }",
                json!({ "wire": wire }),
            )
            .await;
        assert_eq!(data["byOutlet"]["edges"], json!([{ "node": { "url": "https://wire.example/1" } }]));
        assert_eq!(data["french"]["totalCount"], 1);
        assert_eq!(data["early"]["totalCount"], 1);
        assert_eq!(data["late"]["totalCount"], 0);
    }
}
