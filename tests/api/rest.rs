use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;

fn problem_type(body: &Value) -> &str {
    body["type"].as_str().unwrap_or_default()
}

both_backends! {
    async fn a_source_round_trips_over_rest_with_etags(app: TestApp) {
        let admin = Some(Role::Admin);
        let (status, headers, created) = app
            .rest(Method::POST, "/api/v1/sources", admin, Some(json!({ "kind": "person", "name": "Francois Hollande", "aliases": ["Hollande"] })), &[])
            .await;
        assert_eq!(status, 201, "{created}");
        let location = headers["location"].to_str().unwrap().to_owned();
        assert_eq!(location, format!("/api/v1/sources/{}", created["id"].as_str().unwrap()));
        assert_eq!(headers["etag"], "\"1\"");
        assert_eq!(created["kind"], "person");

        let (status, headers, read) = app.rest(Method::GET, &location, admin, None, &[]).await;
        assert_eq!((status, &read), (200, &created));
        assert_eq!(headers["etag"], "\"1\"");

        let change = json!({ "description": "President of France" });
        let (status, _, missing) = app.rest(Method::PATCH, &location, admin, Some(change.clone()), &[]).await;
        assert_eq!((status, problem_type(&missing)), (428, "/problems/precondition-required"));
        let (status, headers, updated) = app.rest(Method::PATCH, &location, admin, Some(change.clone()), &[("if-match", "\"1\"")]).await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(headers["etag"], "\"2\"");
        assert_eq!(updated["description"], "President of France");
        let (status, _, stale) = app.rest(Method::PATCH, &location, admin, Some(json!({ "name": "Hollande" })), &[("if-match", "\"1\"")]).await;
        assert_eq!((status, problem_type(&stale), stale["code"].as_str()), (412, "/problems/precondition-failed", Some("PRECONDITION_FAILED")));
        let (_, _, unchanged) = app.rest(Method::GET, &location, admin, None, &[]).await;
        assert_eq!(unchanged["name"], "Francois Hollande");
        // If-Match compares strongly: a weak validator never matches.
        let (status, _, weak) = app.rest(Method::PATCH, &location, admin, Some(json!({ "description": null })), &[("if-match", "W/\"2\"")]).await;
        assert_eq!((status, problem_type(&weak)), (412, "/problems/precondition-failed"));
        let (status, _, cleared) = app.rest(Method::PATCH, &location, admin, Some(json!({ "description": null })), &[("if-match", "\"2\"")]).await;
        assert_eq!((status, &cleared["description"]), (200, &Value::Null));

        let (status, _, _) = app.rest(Method::DELETE, &location, admin, None, &[]).await;
        assert_eq!(status, 204);
        let (status, headers, gone) = app.rest(Method::GET, &location, admin, None, &[]).await;
        assert_eq!((status, problem_type(&gone)), (404, "/problems/not-found"));
        assert_eq!(headers["content-type"], "application/problem+json");
    }

    async fn claims_articles_appearances_and_verifications_work_over_rest(app: TestApp) {
        let editor = Some(Role::Editor);
        let (_, _, article) = app
            .rest(Method::POST, "/api/v1/articles", editor, Some(json!({ "url": "https://wire.example/a?utm_source=x", "title": "Story", "body": "France is at war, he said." })), &[])
            .await;
        assert_eq!(article["url"], "https://wire.example/a");
        let (status, _, by_url) = app.rest(Method::GET, "/api/v1/articles?url=https://WIRE.example/a", editor, None, &[]).await;
        assert_eq!((status, &by_url["items"][0]["id"]), (200, &article["id"]));

        let (status, headers, claim) = app
            .rest(Method::POST, "/api/v1/claims", editor, Some(json!({
                "kind": "quantity", "text": "killed 129",
                "quantity": { "measure": "deaths", "value": "129", "lower": 100 },
                "appearances": [{ "article_id": article["id"], "excerpt": "France is at war", "span_start": 0, "span_end": 16 }]
            })), &[])
            .await;
        assert_eq!(status, 201, "{claim}");
        assert_eq!(claim["quantity"]["value"], "129");
        assert_eq!(claim["quantity"]["lower"], "100");
        assert_eq!(claim["appearances"][0]["span_end"], 16);
        let location = headers["location"].to_str().unwrap().to_owned();

        let (status, _, verification) = app
            .rest(Method::POST, &format!("{location}/verifications"), Some(Role::Checker), Some(json!({
                "verdict": "mostly_true", "summary": "The toll later rose to 130.",
                "citations": [{ "url": "https://prosecutor.example/130", "stance": "contradicts" }]
            })), &[])
            .await;
        assert_eq!(status, 201, "{verification}");
        assert_eq!(verification["rating"], 4);
        assert_eq!(verification["reviewer"]["name"], "test checker");
        assert_eq!(verification["citations"][0]["stance"], "contradicts");

        let (_, headers, reviewed) = app.rest(Method::GET, &location, editor, None, &[]).await;
        assert_eq!(reviewed["status"], "reviewed");
        assert_eq!(reviewed["current_verdict"], "mostly_true");
        assert_eq!(headers["etag"], "\"2\"");

        let retract = format!("/api/v1/verifications/{}/retraction", verification["id"].as_str().unwrap());
        let (status, _, retracted) = app.rest(Method::POST, &retract, Some(Role::Checker), Some(json!({ "reason": "wrong claim" })), &[]).await;
        assert_eq!((status, &retracted["retraction"]["reason"]), (201, &json!("wrong claim")));
        let (status, _, twice) = app.rest(Method::POST, &retract, Some(Role::Checker), Some(json!({ "reason": "again" })), &[]).await;
        assert_eq!((status, problem_type(&twice)), (409, "/problems/conflict"));
        let (_, _, history) = app.rest(Method::GET, &format!("{location}/verifications"), editor, None, &[]).await;
        assert_eq!(history["items"].as_array().unwrap().len(), 1);
        assert_eq!(history["items"][0]["retraction"]["reason"], "wrong claim");

        let other = app.create_article("https://wire.example/b", "more text", None).await;
        let (status, headers, appearance) = app
            .rest(Method::POST, &format!("{location}/appearances"), editor, Some(json!({ "article_id": other, "excerpt": "more" })), &[])
            .await;
        assert_eq!(status, 201, "{appearance}");
        let (_, _, listed) = app.rest(Method::GET, &format!("{location}/appearances"), editor, None, &[]).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);
        let (status, _, _) = app.rest(Method::DELETE, headers["location"].to_str().unwrap(), editor, None, &[]).await;
        assert_eq!(status, 204);
        let (status, _, _) = app.rest(Method::DELETE, &location, editor, None, &[]).await;
        assert_eq!(status, 409, "a verified claim is history");
    }

    async fn every_error_class_is_a_problem_with_a_stable_type(app: TestApp) {
        let admin = Some(Role::Admin);
        let raw = |method: Method, path: &str, content_type: &str, body: &str| {
            app.client
                .request(method, format!("{}{path}", app.address))
                .header("authorization", app.bearer(Role::Admin))
                .header("content-type", content_type.to_owned())
                .body(body.to_owned())
                .send()
        };
        let cases: Vec<(reqwest::Response, u16, &str)> = vec![
            (raw(Method::POST, "/api/v1/sources", "application/json", "{ not json").await.unwrap(), 400, "/problems/bad-user-input"),
            (raw(Method::POST, "/api/v1/sources", "text/plain", "{}").await.unwrap(), 415, "/problems/unsupported-media-type"),
            (raw(Method::POST, "/api/v1/sources", "application/json", &format!("{{\"kind\":\"person\",\"name\":\"{}\"}}", "x".repeat(2_000_000))).await.unwrap(), 413, "/problems/payload-too-large"),
            (raw(Method::POST, "/api/v1/sources", "application/json", "{\"kind\":\"person\",\"name\":\"x\",\"unknown\":1}").await.unwrap(), 400, "/problems/bad-user-input"),
            (raw(Method::GET, "/api/v1/sources/not-a-uuid", "application/json", "").await.unwrap(), 400, "/problems/bad-user-input"),
            (raw(Method::GET, "/api/v1/nothing-here", "application/json", "").await.unwrap(), 404, "/problems/not-found"),
            (raw(Method::PUT, "/api/v1/sources", "application/json", "{}").await.unwrap(), 405, "/problems/method-not-allowed"),
            (raw(Method::GET, "/api/v1/claims?status=bogus", "application/json", "").await.unwrap(), 400, "/problems/bad-user-input"),
            (raw(Method::GET, "/api/v1/claims?created_after=yesterday", "application/json", "").await.unwrap(), 400, "/problems/bad-user-input"),
        ];
        for (response, status, kind) in cases {
            let url = response.url().to_string();
            assert_eq!(response.status().as_u16(), status, "{url}");
            assert_eq!(response.headers()["content-type"], "application/problem+json", "{url}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(problem_type(&body), kind, "{url}: {body}");
            assert_eq!(body["status"], status);
            assert!(body["title"].is_string() && body["detail"].is_string() && body["code"].is_string(), "{body}");
        }
        let (status, _, invalid) = app
            .rest(Method::POST, "/api/v1/claims", admin, Some(json!({ "kind": "quantity", "text": " ", "quantity": { "measure": "deaths", "lower": "5", "upper": "1" } })), &[])
            .await;
        assert_eq!(status, 400);
        let fields: Vec<&str> = invalid["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["text", "quantity.lower"]);
        assert_eq!(app.count_rows("claims").await, 0);
        assert_eq!(app.count_rows("sources").await, 0);
    }

    async fn a_whole_list_pages_through_next_links(app: TestApp) {
        for n in 0..23 {
            app.create_claim(json!({ "kind": "other", "text": format!("claim {n}") }).as_object().map(|o| {
                let mut o = o.clone();
                o.insert("kind".into(), json!("OTHER"));
                Value::Object(o)
            }).unwrap()).await;
        }
        let mut next = Some("/api/v1/claims?limit=5&kind=other".to_owned());
        let mut seen = Vec::new();
        let mut pages = 0;
        while let Some(path) = next {
            let (status, headers, page) = app.rest(Method::GET, &path, Some(Role::Viewer), None, &[]).await;
            assert_eq!(status, 200, "{page}");
            for item in page["items"].as_array().unwrap() {
                seen.push(item["text"].as_str().unwrap().to_owned());
            }
            next = page["next"].as_str().map(str::to_owned);
            if let Some(link) = &next {
                assert_eq!(headers["link"].to_str().unwrap(), format!("<{link}>; rel=\"next\""));
                assert!(link.contains("kind=other"), "filters are kept: {link}");
            }
            pages += 1;
        }
        assert_eq!(pages, 5);
        let expected: Vec<String> = (0..23).rev().map(|n| format!("claim {n}")).collect();
        assert_eq!(seen, expected);
        let (status, _, too_big) = app.rest(Method::GET, "/api/v1/claims?limit=101", Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, &too_big["errors"][0]["field"]), (400, &json!("limit")));
    }

    async fn every_identity_gets_exactly_its_rights_over_rest(app: TestApp) {
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": "to check" })).await;
        let verify_path = format!("/api/v1/claims/{}/verifications", claim["id"].as_str().unwrap());
        let keys: Vec<(&str, Option<String>, [u16; 3])> = vec![
            ("viewer", Some(app.bearer(Role::Viewer)), [200, 403, 403]),
            ("checker", Some(app.bearer(Role::Checker)), [200, 201, 403]),
            ("editor", Some(app.bearer(Role::Editor)), [200, 201, 201]),
            ("admin", Some(app.bearer(Role::Admin)), [200, 201, 201]),
            ("anonymous", None, [401, 401, 401]),
            ("unknown key", Some("Bearer ct_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()), [401, 401, 401]),
            ("malformed header", Some("Token abc".into()), [401, 401, 401]),
        ];
        for (name, authorization, expected) in keys {
            for (operation, want) in ["read", "verify", "edit"].iter().zip(expected) {
                let (method, path, body, table) = match *operation {
                    "read" => (Method::GET, "/api/v1/claims".to_owned(), None, "claims"),
                    "verify" => (Method::POST, verify_path.clone(), Some(json!({ "verdict": "true", "summary": "ok" })), "verifications"),
                    _ => (Method::POST, "/api/v1/sources".to_owned(), Some(json!({ "kind": "person", "name": format!("{name} {}", uuid::Uuid::new_v4()) })), "sources"),
                };
                let before = app.count_rows(table).await;
                let mut request = app.client.request(method, format!("{}{path}", app.address));
                if let Some(value) = &authorization {
                    request = request.header("authorization", value);
                }
                if let Some(body) = body {
                    request = request.json(&body);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status().as_u16(), want, "{name} doing {operation}");
                if want == 401 {
                    assert_eq!(response.headers()["www-authenticate"], "Bearer", "{name}");
                }
                if want >= 400 {
                    let body: Value = response.json().await.unwrap();
                    assert_eq!(problem_type(&body), if want == 401 { "/problems/unauthenticated" } else { "/problems/forbidden" });
                    assert_eq!(app.count_rows(table).await, before, "{name} doing {operation} changed {table}");
                }
            }
        }
    }

    async fn the_claim_review_of_the_demo_toll_claim_has_every_field(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        let (_, _, found) = app.rest(Method::GET, "/api/v1/claims?measure=deaths", Some(Role::Viewer), None, &[]).await;
        let claim = &found["items"][0];
        let id = claim["id"].as_str().unwrap();
        let (status, headers, review) = app.rest(Method::GET, &format!("/api/v1/claims/{id}/claimreview"), Some(Role::Viewer), None, &[]).await;
        assert_eq!(status, 200, "{review}");
        assert_eq!(headers["content-type"], "application/ld+json");
        assert_eq!(review["@context"], "https://schema.org");
        assert_eq!(review["@type"], "ClaimReview");
        assert_eq!(review["url"], format!("https://factcheck.example/reviews/{id}"), "the public review page");
        assert_eq!(review["claimReviewed"], "The suicide bombings and shootings in Paris killed 129");
        assert_eq!(review["reviewRating"], json!({ "@type": "Rating", "alternateName": "Mostly true", "ratingValue": 4, "bestRating": 5, "worstRating": 1 }));
        assert_eq!(review["author"], json!({ "@type": "Organization", "name": "Test Checks", "url": "https://factcheck.example" }));
        assert!(review.get("inLanguage").is_none(), "the review's language, not the article's: none stated");
        assert_eq!(review["datePublished"].as_str().unwrap().len(), 10);
        let item = &review["itemReviewed"];
        assert_eq!(item["@type"], "Claim");
        assert_eq!(item["author"], json!({ "@type": "Organization", "name": "Example Wire" }));
        assert_eq!(item["datePublished"], "2015-11-17");
        assert_eq!(item["appearance"][0], json!({
            "@type": "NewsArticle",
            "url": claimtrack::demo::ARTICLE_URL,
            "headline": "French President Francois Hollande urges U.S., Russia to join coalition to fight ISIS",
            "datePublished": "2015-11-17",
            "publisher": { "@type": "Organization", "name": "Example Wire" }
        }));

        // GraphQL serves the same document.
        let data = app.gql_ok("query($id: UUID!) { claim(id: $id) { claimReview } }", json!({ "id": id })).await;
        assert_eq!(data["claim"]["claimReview"], review);

        // The claim filter's lists are comma-separated; a value that is not one is named.
        let (_, _, both) = app.rest(Method::GET, "/api/v1/claims?kind=quote,quantity,event,other&status=unreviewed", Some(Role::Viewer), None, &[]).await;
        assert!(!both["items"].as_array().unwrap().is_empty(), "{both}");
        let (status, _, refused) = app.rest(Method::GET, "/api/v1/claims?status=unreviewed,bogus", Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, problem_type(&refused)), (400, "/problems/bad-user-input"));
        assert_eq!(refused["errors"][0]["message"], "unknown ClaimStatus 'bogus'", "{refused}");

        // A quote by a person: its author is that person. No verification yet: 404.
        let (_, _, quotes) = app.rest(Method::GET, "/api/v1/claims?kind=quote", Some(Role::Viewer), None, &[]).await;
        let quote = quotes["items"][0]["id"].as_str().unwrap();
        let (status, _, none) = app.rest(Method::GET, &format!("/api/v1/claims/{quote}/claimreview"), Some(Role::Viewer), None, &[]).await;
        assert_eq!((status, problem_type(&none)), (404, "/problems/not-found"));
        app.record_verification(quote.parse().unwrap(), "MISLEADING").await;
        let (_, _, review) = app.rest(Method::GET, &format!("/api/v1/claims/{quote}/claimreview"), Some(Role::Viewer), None, &[]).await;
        assert_eq!(review["itemReviewed"]["author"], json!({ "@type": "Person", "name": "Francois Hollande" }));
        assert_eq!(review["reviewRating"], json!({ "@type": "Rating", "alternateName": "Misleading" }));
    }
}

both_backends! {
    async fn a_retried_post_with_the_same_idempotency_key_creates_nothing_new(app: TestApp) {
        let body = json!({ "kind": "person", "name": "John Kerry" });
        let key = [("idempotency-key", "create-kerry-1")];
        let (status, headers, first) = app.rest(Method::POST, "/api/v1/sources", Some(Role::Editor), Some(body.clone()), &key).await;
        assert_eq!(status, 201, "{first}");
        let location = headers["location"].clone();
        let (status, headers, again) = app.rest(Method::POST, "/api/v1/sources", Some(Role::Editor), Some(body.clone()), &key).await;
        assert_eq!((status, &again), (201, &first));
        assert_eq!(headers["location"], location);
        assert_eq!(headers["idempotent-replayed"], "true");
        assert_eq!(app.count_rows("sources").await, 1);

        // Another instance on the same database (and so a restarted one) replays it too.
        let (address, other) = app.second_instance().await;
        let replayed = app
            .client
            .post(format!("{address}/api/v1/sources"))
            .header("authorization", app.bearer(Role::Editor))
            .header("idempotency-key", "create-kerry-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(replayed.status(), 201);
        assert_eq!(replayed.json::<Value>().await.unwrap(), first);
        other.stop().await;
        assert_eq!(app.count_rows("sources").await, 1);

        // The same key with another body is refused.
        let (status, _, reused) = app
            .rest(Method::POST, "/api/v1/sources", Some(Role::Editor), Some(json!({ "kind": "person", "name": "Someone else" })), &key)
            .await;
        assert_eq!((status, problem_type(&reused)), (422, "/problems/idempotency-key-reused"));
        assert_eq!(app.count_rows("sources").await, 1);

        // Keys belong to their principal: another principal's same key is a new request.
        let (status, _, _) = app.rest(Method::POST, "/api/v1/sources", Some(Role::Admin), Some(json!({ "kind": "person", "name": "Admin's" })), &key).await;
        assert_eq!(status, 201);

        // A failed request does not burn its key: the corrected retry goes through.
        let retry_key = [("idempotency-key", "create-obama")];
        let (status, _, _) = app.rest(Method::POST, "/api/v1/sources", Some(Role::Editor), Some(json!({ "kind": "person", "name": " " })), &retry_key).await;
        assert_eq!(status, 400);
        let (status, _, _) = app.rest(Method::POST, "/api/v1/sources", Some(Role::Editor), Some(json!({ "kind": "person", "name": "Barack Obama" })), &retry_key).await;
        assert_eq!(status, 201);
        let (status, _, bad_key) = app.rest(Method::POST, "/api/v1/sources", Some(Role::Editor), Some(json!({ "kind": "group", "name": "x" })), &[("idempotency-key", "")]).await;
        assert_eq!((status, &bad_key["errors"][0]["field"]), (400, &json!("Idempotency-Key")));
    }
}

/// The documented routes: (method, path). Every one must be in the OpenAPI document.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/claims/{id}/assignment"),
    ("put", "/api/v1/claims/{id}/assignment"),
    ("delete", "/api/v1/claims/{id}/assignment"),
    ("get", "/api/v1/queue"),
    ("get", "/api/v1/principals"),
    ("get", "/api/v1/principals/me"),
    ("get", "/api/v1/claims/{id}/notes"),
    ("post", "/api/v1/claims/{id}/notes"),
    ("get", "/api/v1/notes/{id}"),
    ("patch", "/api/v1/notes/{id}"),
    ("post", "/api/v1/notes/{id}/retraction"),
    ("get", "/api/v1/tags"),
    ("get", "/api/v1/search"),
    ("get", "/api/v1/audit-events"),
    ("get", "/api/v1/claims/{id}/standing"),
    ("post", "/api/v1/claims/{id}/merge"),
    ("post", "/api/v1/checked-before"),
    ("patch", "/api/v1/tags/{id}"),
    ("delete", "/api/v1/tags/{id}"),
    ("get", "/api/v1/claims/{id}/tags"),
    ("post", "/api/v1/claims/{id}/tags"),
    ("delete", "/api/v1/claims/{id}/tags/{name}"),
    ("get", "/api/v1/articles/{id}/tags"),
    ("post", "/api/v1/articles/{id}/tags"),
    ("delete", "/api/v1/articles/{id}/tags/{name}"),
    ("get", "/api/v1/sources"),
    ("post", "/api/v1/sources"),
    ("get", "/api/v1/sources/{id}"),
    ("patch", "/api/v1/sources/{id}"),
    ("delete", "/api/v1/sources/{id}"),
    ("get", "/api/v1/sources/{id}/record"),
    ("get", "/api/v1/articles"),
    ("post", "/api/v1/articles"),
    ("get", "/api/v1/articles/{id}"),
    ("patch", "/api/v1/articles/{id}"),
    ("delete", "/api/v1/articles/{id}"),
    ("get", "/api/v1/articles/{id}/candidates"),
    ("post", "/api/v1/articles/{id}/candidates"),
    ("get", "/api/v1/candidates/{id}"),
    ("post", "/api/v1/candidates/{id}/accept"),
    ("post", "/api/v1/candidates/{id}/dismiss"),
    ("get", "/api/v1/quantities"),
    ("get", "/api/v1/quantity-conflicts"),
    ("get", "/api/v1/quantity-conflicts/{id}"),
    ("get", "/api/v1/claims"),
    ("post", "/api/v1/claims"),
    ("get", "/api/v1/claims/{id}"),
    ("patch", "/api/v1/claims/{id}"),
    ("delete", "/api/v1/claims/{id}"),
    ("get", "/api/v1/claims/{id}/appearances"),
    ("post", "/api/v1/claims/{id}/appearances"),
    ("delete", "/api/v1/claims/{id}/appearances/{appearance_id}"),
    ("get", "/api/v1/claims/{id}/claimreview"),
    ("get", "/api/v1/claims/{id}/verifications"),
    ("post", "/api/v1/claims/{id}/verifications"),
    ("get", "/api/v1/verifications/{id}"),
    ("post", "/api/v1/verifications/{id}/retraction"),
    ("post", "/api/v1/import"),
    ("get", "/api/v1/export"),
    ("get", "/api/v1/webhooks"),
    ("post", "/api/v1/webhooks"),
    ("get", "/api/v1/webhooks/{id}"),
    ("patch", "/api/v1/webhooks/{id}"),
    ("delete", "/api/v1/webhooks/{id}"),
    ("get", "/api/v1/webhooks/{id}/deliveries"),
    ("get", "/api/v1/webhook-deliveries/{id}"),
    ("post", "/api/v1/webhook-deliveries/{id}/replay"),
];

fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    reference
        .strip_prefix('#')
        .and_then(|pointer| document.pointer(pointer))
}

/// Every `$ref` in `value` resolves inside `document`.
fn check_refs(document: &Value, value: &Value, broken: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && resolve(document, reference).is_none()
            {
                broken.push(reference.clone());
            }
            map.values().for_each(|v| check_refs(document, v, broken));
        }
        Value::Array(items) => items.iter().for_each(|v| check_refs(document, v, broken)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_openapi_document_is_valid_3_1_and_lists_every_route() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    let document: Value = app
        .client
        .get(format!("{}/api/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["info"]["title"].is_string() && document["info"]["version"].is_string());
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut operation_ids = std::collections::HashSet::new();
    for (method, path) in ROUTES {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(
            operation_ids.insert(operation["operationId"].as_str().unwrap().to_owned()),
            "duplicate operationId at {method} {path}"
        );
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
        assert!(
            operation["security"].is_array(),
            "{method} {path} names no security"
        );
        // Every {param} in the path is declared.
        for param in path.split('{').skip(1).filter_map(|p| p.split('}').next()) {
            let declared = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == param && p["in"] == "path");
            assert!(declared, "{method} {path} does not declare {param}");
        }
        // Errors are documented as problem+json.
        let documented_problem =
            operation["responses"]
                .as_object()
                .unwrap()
                .iter()
                .any(|(status, r)| {
                    status.starts_with('4') && r["content"]["application/problem+json"].is_object()
                });
        assert!(
            documented_problem,
            "{method} {path} documents no problem response"
        );
    }
    let documented: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "the document has routes this test does not know"
    );
    let mut broken = Vec::new();
    check_refs(&document, &document, &mut broken);
    assert!(broken.is_empty(), "unresolved $refs: {broken:?}");

    // Every documented route answers (with 401 without credentials, not 404).
    for (method, path) in ROUTES {
        let concrete = path
            .replace("{id}", &uuid::Uuid::now_v7().to_string())
            .replace("{appearance_id}", &uuid::Uuid::now_v7().to_string());
        let response = app
            .client
            .request(
                method.to_uppercase().parse().unwrap(),
                format!("{}{concrete}", app.address),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
    }

    // The docs page and its assets come from the binary (no CDN).
    let page = app
        .client
        .get(format!("{}/api/docs/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("swagger-ui") && !html.contains("unpkg") && !html.contains("cdn"),
        "{html}"
    );
    let bundle = app
        .client
        .get(format!("{}/api/docs/swagger-ui-bundle.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
    app.finish().await;
}

both_backends! {
    async fn head_answers_every_get_without_the_body(app: TestApp) {
        let source = app.create_source("PERSON", "Ada Head").await;
        for path in ["/api/v1/claims".to_owned(), format!("/api/v1/sources/{source}"), "/api/v1/quantity-conflicts".to_owned()] {
            let get = app.client.get(format!("{}{path}", app.address)).header("authorization", app.bearer(Role::Viewer)).send().await.unwrap();
            let get_status = get.status();
            let get_etag = get.headers().get("etag").cloned();
            let get_body = get.bytes().await.unwrap();
            let head = app.client.head(format!("{}{path}", app.address)).header("authorization", app.bearer(Role::Viewer)).send().await.unwrap();
            assert_eq!(head.status(), get_status, "{path}");
            assert_eq!(head.headers().get("etag").cloned(), get_etag, "{path}: the same validators");
            let length: usize = head.headers()["content-length"].to_str().unwrap().parse().unwrap();
            assert_eq!(length, get_body.len(), "{path}: the GET's length");
            assert!(head.bytes().await.unwrap().is_empty(), "{path}: no body");
        }
        // Refusals stay what the GET would get.
        let anonymous = app.client.head(format!("{}/api/v1/claims", app.address)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        let missing = app.client.head(format!("{}/api/v1/sources/{}", app.address, uuid::Uuid::now_v7())).header("authorization", app.bearer(Role::Viewer)).send().await.unwrap();
        assert_eq!(missing.status(), 404);
    }
}
