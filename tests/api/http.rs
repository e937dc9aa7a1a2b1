use serde_json::{Value, json};

use crate::both_backends;

both_backends! {
    async fn queries_work_over_get_and_mutations_do_not(app: TestApp) {
        app.create_source("PERSON", "John Kerry").await;
        let response = app.get("/graphql").query(&[("query", "{ sources { edges { node { name } } } }")]).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["sources"]["edges"][0]["node"]["name"], "John Kerry");

        let mutation = "mutation { createSource(input: { kind: PERSON, name: \"Sneaky\" }) { id } }";
        let response = app.get("/graphql").query(&[("query", mutation)]).send().await.unwrap();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "POST");
        assert_eq!(app.count_rows("sources").await, 1);
    }

    async fn batched_requests_are_answered_in_order_and_bounded(app: TestApp) {
        app.create_source("PERSON", "John Kerry").await;
        let batch = json!([
            { "query": "{ sources { totalCount } }" },
            { "query": "query($id: UUID!) { source(id: $id) { id } }", "variables": { "id": uuid::Uuid::now_v7() } },
            { "query": "mutation { createSource(input: { kind: GROUP, name: \"Western officials\" }) { name } }" },
        ]);
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("authorization", app.bearer(claimtrack::domain::Role::Editor))
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let answers: Value = response.json().await.unwrap();
        assert_eq!(answers[0]["data"]["sources"]["totalCount"], 1);
        assert_eq!(answers[1]["errors"][0]["extensions"]["code"], "NOT_FOUND");
        assert_eq!(answers[2]["data"]["createSource"]["name"], "Western officials");

        let too_many: Vec<Value> = (0..11).map(|_| json!({ "query": "{ sources { totalCount } }" })).collect();
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("authorization", app.bearer(claimtrack::domain::Role::Editor))
            .json(&too_many)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }

    async fn graphql_over_http_answers_in_its_own_media_type_when_asked(app: TestApp) {
        let post = |accept: &'static str, query: &'static str, role: claimtrack::domain::Role| {
            app.client
                .post(format!("{}/graphql", app.address))
                .header("authorization", app.bearer(role))
                .header("accept", accept)
                .json(&json!({ "query": query }))
                .send()
        };
        let media = |r: &reqwest::Response| r.headers()["content-type"].to_str().unwrap().to_owned();
        use claimtrack::domain::Role::{Editor, Viewer};
        const WANTS: &str = "application/graphql-response+json, application/json;q=0.9";

        // Executed: 200, in the media type asked for.
        let ok = post(WANTS, "{ claims { totalCount } }", Viewer).await.unwrap();
        assert_eq!(ok.status(), 200);
        assert!(media(&ok).starts_with("application/graphql-response+json"), "{}", media(&ok));
        // A document that does not validate: a request error, 400, no data.
        let invalid = post(WANTS, "{ claims { nosuchfield } }", Viewer).await.unwrap();
        assert_eq!(invalid.status(), 400);
        assert!(media(&invalid).starts_with("application/graphql-response+json"));
        let body: Value = invalid.json().await.unwrap();
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        // One that does not parse, and one refused before reading: the same media type.
        let unparsable = post(WANTS, "{ claims( ", Viewer).await.unwrap();
        assert_eq!(unparsable.status(), 400);
        assert!(media(&unparsable).starts_with("application/graphql-response+json"));
        // A field error is not a request error: 200 with the error at its path.
        let forbidden = post(WANTS, "mutation { createSource(input: { kind: PERSON, name: \"X\" }) { id } }", Viewer).await.unwrap();
        assert_eq!(forbidden.status(), 200);
        let body: Value = forbidden.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        assert_eq!(body["errors"][0]["path"][0], "createSource");
        // Plain JSON clients keep what they had: 200 for a request error, application/json.
        let legacy = post("application/json", "{ claims { nosuchfield } }", Editor).await.unwrap();
        assert_eq!(legacy.status(), 200);
        assert!(media(&legacy).starts_with("application/json"));
        let refused_type = post("application/graphql-response+json;q=0, application/json", "{ claims { totalCount } }", Viewer).await.unwrap();
        assert!(media(&refused_type).starts_with("application/json"), "q=0 refuses it");
    }

    async fn the_schema_is_served_as_sdl_to_those_who_may_introspect(app: TestApp) {
        let url = format!("{}/graphql/schema.graphql", app.address);
        let response = app.client.get(&url).header("authorization", app.bearer(claimtrack::domain::Role::Viewer)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/graphql"));
        let served = response.text().await.unwrap();
        let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
        assert_eq!(served.trim(), checked_in.trim(), "the same SDL as schema.graphql");
        let anonymous = app.client.get(&url).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        let body: Value = anonymous.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }

    async fn a_browser_gets_graphiql(app: TestApp) {
        let response = app
            .client
            .get(format!("{}/graphql", app.address))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let policy = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.contains("script-src 'self';"), "scripts from this server only: {policy}");
        let page = response.text().await.unwrap();
        assert!(page.contains("/assets/vendor/graphiql-3.9.0/graphiql.min.js"), "{page}");
        // Every script and stylesheet the page names is served here, and nothing else is named.
        for asset in page.split(['"', '\'']).filter(|part| part.starts_with("/assets/")) {
            let file = app.client.get(format!("{}{asset}", app.address)).send().await.unwrap();
            assert_eq!(file.status(), 200, "{asset}");
            assert!(!file.text().await.unwrap().contains("unpkg.com"), "{asset} loads nothing from a CDN");
        }
        assert!(!page.contains("https://"), "no address elsewhere: {page}");
    }

    async fn the_desk_is_served_at_the_root_with_its_files_revalidated_by_hash(app: TestApp) {
        let response = app.client.get(format!("{}/", app.address)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
        let page = response.text().await.unwrap();
        assert!(page.contains("/assets/desk/desk.js"), "{page}");
        let script = app.client.get(format!("{}/assets/desk/desk.js", app.address)).send().await.unwrap();
        assert_eq!(script.status(), 200);
        assert!(script.headers()["content-type"].to_str().unwrap().contains("javascript"));
        let etag = script.headers()["etag"].to_str().unwrap().to_owned();
        let again = app.client.get(format!("{}/assets/desk/desk.js", app.address)).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304);
        let missing = app.client.get(format!("{}/assets/desk/nothing.js", app.address)).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        let page_as_file = app.client.get(format!("{}/assets/desk/index.html", app.address)).send().await.unwrap();
        assert_eq!(page_as_file.status(), 404, "pages are served at their routes, with their policies");
    }

    async fn health_and_readiness_answer_and_every_response_has_a_request_id(app: TestApp) {
        for path in ["/healthz", "/readyz"] {
            let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            assert!(response.headers().contains_key("x-request-id"), "{path}");
        }
        let ready: Value = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap().json().await.unwrap();
        assert_eq!(ready["database"], "ok");
    }

    async fn a_callers_request_id_is_kept_and_a_garbled_one_replaced(app: TestApp) {
        let id_of = |headers: &reqwest::header::HeaderMap| headers["x-request-id"].to_str().unwrap().to_owned();
        let sent = app.client.get(format!("{}/healthz", app.address)).header("x-request-id", "desk-7f3a:42").send().await.unwrap();
        assert_eq!(id_of(sent.headers()), "desk-7f3a:42", "the caller's id comes back");
        for garbled in ["two words", &"x".repeat(200)] {
            let replaced = app.client.get(format!("{}/healthz", app.address)).header("x-request-id", garbled).send().await.unwrap();
            let ours = id_of(replaced.headers());
            assert!(uuid::Uuid::parse_str(&ours).is_ok(), "replaced by our own: {ours}");
        }
        let none = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
        assert!(uuid::Uuid::parse_str(&id_of(none.headers())).is_ok());
    }

    async fn malformed_requests_get_bad_user_input_never_a_crash(app: TestApp) {
        for query in [
            "{ claims { edges { node { nosuchfield } } } }",
            "{ claims( ",
            "query($id: UUID!) { claim(id: $id) { id } }",
        ] {
            let (code, _) = app.gql_error(query, json!({ "id": "not-a-uuid" })).await;
            assert_eq!(code, "BAD_USER_INPUT", "{query}");
        }
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .body("{ not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        // A deeply nested query is refused by the depth limit, not executed.
        let deep = format!("{{ claims {{ edges {{ node {} }} }} }}", "{ appearances { edges { node { claim ".repeat(6) + "{ id }" + &" } } } }".repeat(6));
        let (code, error) = app.gql_error(&deep, json!({})).await;
        assert_eq!(code, "QUERY_TOO_COMPLEX");
        assert_eq!(error["extensions"]["measure"], "depth", "{error}");
    }
}

both_backends! {
    async fn every_type_field_and_enum_value_of_the_schema_is_described(app: TestApp) {
        let data = app
            .gql_ok(
                "{ __schema { types { name kind description
                    fields { name description args { name description } }
                    inputFields { name description }
                    enumValues { name description } } } }",
                json!({}),
            )
            .await;
        let mut missing = Vec::new();
        let blank = |v: &Value| v.as_str().is_none_or(|s| s.trim().is_empty());
        for ty in data["__schema"]["types"].as_array().unwrap() {
            let name = ty["name"].as_str().unwrap();
            if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name) {
                continue;
            }
            if blank(&ty["description"]) && !["QueryRoot", "MutationRoot"].contains(&name) {
                missing.push(name.to_owned());
            }
            for list in ["fields", "inputFields", "enumValues"] {
                for item in ty[list].as_array().into_iter().flatten() {
                    if blank(&item["description"]) {
                        missing.push(format!("{name}.{}", item["name"].as_str().unwrap()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "undescribed: {missing:?}");
    }
}

/// The server's JSON log names the caller's request id and W3C trace id on the request's
/// lines; pretty logs to a pipe carry no colour codes.
#[actix_web::test]
async fn request_logs_carry_the_callers_request_and_trace_ids() {
    use std::io::{BufRead, BufReader};
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    for format in ["json", "pretty"] {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let mut command = app.command();
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("CLAIMTRACK_LOG__FORMAT", format)
            .env("CLAIMTRACK_LOG__LEVEL", "info")
            .env("CLAIMTRACK_AUTH__BOOTSTRAP_ADMIN_KEY", "false")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let guard = crate::helpers::ProcessGuard::new(child);
        let address = format!("http://127.0.0.1:{port}");
        let mut answered = false;
        for _ in 0..200 {
            if let Ok(response) = app
                .client
                .get(format!("{address}/healthz"))
                .header("x-request-id", "desk-req-1")
                .header(
                    "traceparent",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                )
                .send()
                .await
                && response.status().is_success()
            {
                answered = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(answered, "serve did not answer");
        drop(guard);
        let lines: Vec<String> = BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect();
        let request_line = lines
            .iter()
            .find(|l| l.contains("/healthz"))
            .unwrap_or_else(|| panic!("no request line: {lines:#?}"));
        assert!(request_line.contains("desk-req-1"), "{request_line}");
        assert!(
            request_line.contains("4bf92f3577b34da6a3ce929d0e0e4736"),
            "{request_line}"
        );
        if format == "json" {
            let parsed: Value = serde_json::from_str(request_line).unwrap();
            assert_eq!(
                parsed["span"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736",
                "{parsed}"
            );
        } else {
            assert!(
                lines.iter().all(|l| !l.contains('\u{1b}')),
                "no colour codes in a pipe: {lines:#?}"
            );
        }
    }
    app.finish().await;
}

#[actix_web::test]
async fn with_introspection_off_the_schema_is_not_served() {
    let Some(app) = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |settings| {
        settings.graphql.introspection = claimtrack::config::IntrospectionPolicy::Off;
    })
    .await
    else {
        return;
    };
    let refused = app
        .client
        .get(format!("{}/graphql/schema.graphql", app.address))
        .header("authorization", app.bearer(claimtrack::domain::Role::Admin))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    app.finish().await;
}
