//! The desk and GraphiQL, used in a real headless Chromium as a checker would, on
//! SQLite and PostgreSQL. Screenshots of each view go to `$CLAIMTRACK_SCREENSHOTS`
//! when it is set.

use claimtrack::domain::Role;
use serde_json::json;
use uuid::Uuid;

use crate::browser::Browser;
use crate::helpers::{TestApp, id};

/// As `both_backends!`, ignored (with the reason) where Chromium is not installed.
macro_rules! in_chromium {
    ($(async fn $name:ident($app:ident: TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: &$crate::helpers::TestApp) $body

                #[actix_web::test]
                #[cfg_attr(without_chromium, ignore = "browser test: install chromium and chromium-driver to run it")]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.unwrap();
                    run(&app).await;
                    app.finish().await;
                }

                #[actix_web::test]
                #[cfg_attr(any(without_postgres, without_chromium), ignore = "PostgreSQL browser test: set TEST_POSTGRES_URL and install chromium and chromium-driver to run it")]
                async fn postgres() {
                    let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await else {
                        return;
                    };
                    run(&app).await;
                    app.finish().await;
                }
            }
        )*
    };
}

/// Opens the desk and signs in with `role`'s key.
async fn signed_in(app: &TestApp, role: Role) -> Browser {
    let browser = Browser::start(1280, 800).await;
    browser.goto(&format!("{}/", app.address)).await;
    let key = browser.find("input[name=key]").await;
    browser.screenshot("sign-in").await;
    key.send_keys(&app.keys[&role]).await.unwrap();
    browser
        .find("form.signin button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.find("#queue-list li[data-claim]").await;
    browser
}

async fn claim_id(app: &TestApp, text: &str) -> Uuid {
    let data = app
        .gql_ok(
            "query($t: String) { claims(first: 1, filter: { textContains: $t }) { nodes { id } } }",
            json!({ "t": text }),
        )
        .await;
    id(&data["claims"]["nodes"][0]["id"])
}

async fn no_console_errors(browser: &Browser, page: &str) {
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors on {page}: {errors:#?}");
}

in_chromium! {
    async fn a_checker_finds_a_claim_and_records_a_verdict_through_the_desk(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        let browser = signed_in(app, Role::Checker).await;
        let queue = browser.text_containing("#queue-list", "killed 129").await;
        assert!(queue.contains("France is at war"), "the demo claims are listed: {queue}");
        assert!(browser.text("#who").await.contains("checker"), "the role is shown");
        browser.screenshot("queue").await;
        no_console_errors(&browser, "the queue").await;

        // Search without the accent finds the speaker's claims, the match highlighted.
        browser.find("#queue-search").await.send_keys("francois").await.unwrap();
        let marked = browser.text_containing("#queue-list mark", "ran").await;
        assert!(marked.to_lowercase().starts_with("fran"), "the speaker's name is marked: {marked}");
        let found = browser.text("#queue-list").await;
        assert!(found.contains("France is at war") && !found.contains("killed 129"), "{found}");
        browser.screenshot("search").await;
        // The same by the speaker filter, picked by name.
        browser.find("#queue-search").await.clear().await.unwrap();
        browser.text_containing("#queue-list", "killed 129").await;
        browser.find("#queue-speaker").await.send_keys("Francois Hollande").await.unwrap();
        let spoken = browser.text_without("#queue-list", "killed 129").await;
        assert!(spoken.contains("France is at war"), "{spoken}");
        browser.find("#queue-speaker").await.clear().await.unwrap();

        // The toll claim: its appearance marked in the article, a verdict recorded.
        let toll = claim_id(app, "killed 129").await;
        browser.goto(&format!("{}/#/claim/{toll}", app.address)).await;
        browser.text_containing("#claim-text", "killed 129").await;
        assert!(browser.has(".excerpt mark").await, "the claim is marked in its article");
        let before = browser.text("#history").await;
        browser.find("select[name=verdict]").await.select_by_value("MOSTLY_TRUE").await.unwrap();
        browser.text_containing("output[name=rating]", "4 of 5").await;
        browser.find("textarea[name=summary]").await.send_keys("The toll rose to 130 later.").await.unwrap();
        browser.find("input[name=citation]").await.send_keys("https://www.interieur.gouv.fr/toll").await.unwrap();
        browser.find("form[aria-labelledby=verdict-title] button[type=submit]").await.click().await.unwrap();
        let history = browser.text_containing("#history", "The toll rose to 130 later.").await;
        assert_ne!(history, before);
        browser.text_containing("#current-verdict", "mostly true").await;
        browser.text_containing("#audit", "verification").await;
        let page = browser.text("main").await;
        assert!(!page.contains("null") && !page.contains("undefined"), "nothing missing shows as such: {page}");
        browser.screenshot("claim").await;
        // Tags: added and removed from the page.
        browser.type_into("input[name=tags]", "paris-attacks, tolls").await;
        browser.click_on("#tags form button[type=submit]").await;
        browser.text_containing("#tags", "#tolls").await;
        browser.click_on("[aria-label='Remove tag tolls']").await;
        let tags = browser.text_without("#tags", "#tolls").await;
        assert!(tags.contains("#paris-attacks"), "{tags}");
        let stored = app.gql_ok("query($id: UUID!) { claim(id: $id) { tags { name } } }", json!({ "id": toll })).await;
        assert_eq!(stored["claim"]["tags"], json!([{ "name": "paris-attacks" }]));
        // A note half written while another client records a verdict: the page shows the
        // new verdict and keeps the text.
        browser.type_into("textarea[name=note]", "Half-written note").await;
        app.graphql_as(
            Some(&app.bearer(Role::Editor)),
            "mutation($id: UUID!) { recordVerification(claimId: $id, input: { verdict: TRUE, summary: \"Confirmed by the ministry.\" }) { id } }",
            json!({ "id": toll }),
        )
        .await;
        browser.text_containing("#history", "Confirmed by the ministry.").await;
        let kept = browser.script("return document.querySelector('textarea[name=note]').value;", vec![]).await;
        assert_eq!(kept, "Half-written note", "a live update keeps what the user is typing");
        // Its public page, as a reader sees it.
        browser.goto(&format!("{}/reviews/{toll}", app.address)).await;
        browser.text_containing("main", "Verdict: True").await;
        no_console_errors(&browser, "the public review page").await;
        let stored = app
            .gql_ok("query($id: UUID!) { claim(id: $id) { currentVerdict verifications(first: 2) { nodes { verdict summary citations { url } } } } }", json!({ "id": toll }))
            .await;
        assert_eq!(stored["claim"]["currentVerdict"], "TRUE");
        let through_the_form = &stored["claim"]["verifications"]["nodes"][1];
        assert_eq!(through_the_form["verdict"], "MOSTLY_TRUE", "{stored}");
        assert_eq!(through_the_form["citations"][0]["url"], "https://www.interieur.gouv.fr/toll");
        no_console_errors(&browser, "the claim").await;
        browser.close().await;
    }

    async fn a_verdict_recorded_elsewhere_appears_in_an_open_queue(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        let browser = signed_in(app, Role::Viewer).await;
        let war = claim_id(app, "France is at war").await;
        let row = format!("#queue-list li[data-claim=\"{war}\"]");
        browser.find(&row).await;
        app.await_subscribers(1).await;
        // Another client records a verdict: the open queue shows it without a reload.
        app.graphql_as(
            Some(&app.bearer(Role::Checker)),
            "mutation($id: UUID!) { recordVerification(claimId: $id, input: { verdict: MISLEADING, summary: \"Rhetoric.\" }) { id } }",
            json!({ "id": war }),
        )
        .await;
        browser.text_containing(&row, "misleading").await;
        // A claim created elsewhere appears at the top.
        app.create_claim(json!({ "kind": "OTHER", "text": "A claim made by another desk" })).await;
        browser.text_containing("#queue-list li:first-child", "A claim made by another desk").await;
        no_console_errors(&browser, "the live queue").await;
        browser.close().await;
    }

    async fn a_viewer_is_offered_no_writes_and_a_forged_one_is_refused(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        let browser = signed_in(app, Role::Viewer).await;
        let toll = claim_id(app, "killed 129").await;
        browser.goto(&format!("{}/#/claim/{toll}", app.address)).await;
        browser.text_containing("#claim-text", "killed 129").await;
        browser.find("#history li").await;
        assert!(!browser.has("#verdict-title").await, "no verdict form for a viewer");
        assert!(!browser.has("textarea[name=note]").await, "no note form for a viewer");
        browser.screenshot("claim-viewer").await;
        // The same write, forged from the page with the viewer's key: the server refuses it.
        let answer = browser
            .script_async(
                "const done = arguments[arguments.length - 1];
                 fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json',
                   authorization: 'Bearer ' + sessionStorage.getItem('claimtrack.key') },
                   body: JSON.stringify({ query: 'mutation($c: UUID!) { recordVerification(claimId: $c, input: { verdict: TRUE, summary: \"forged\" }) { id } }',
                                          variables: { c: arguments[0] } }) })
                   .then(r => r.json()).then(done, e => done(String(e)));",
                vec![json!(toll)],
            )
            .await;
        assert_eq!(answer["errors"][0]["extensions"]["code"], "FORBIDDEN", "{answer}");
        let count = app.gql_ok("query($id: UUID!) { claim(id: $id) { verifications { nodes { id } } } }", json!({ "id": toll })).await;
        assert_eq!(count["claim"]["verifications"]["nodes"].as_array().unwrap().len(), 1, "nothing was written");
        no_console_errors(&browser, "the viewer's claim page").await;
        browser.close().await;
    }

    async fn a_token_from_the_identity_provider_signs_in_too(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        let token = crate::auth::sign(&app.jwt_secret, &crate::auth::claims("checker", crate::helpers::JWT_AUDIENCE, 300));
        let browser = Browser::start(1280, 800).await;
        browser.goto(&format!("{}/", app.address)).await;
        browser.find("input[name=key]").await.send_keys(&token).await.unwrap();
        browser.find("form.signin button[type=submit]").await.click().await.unwrap();
        browser.text_containing("#queue-list", "killed 129").await;
        assert!(browser.text("#who").await.contains("checker"), "the token's role");
        // A wrong key is refused with a message, and nothing is kept.
        browser.find("#sign-out").await.click().await.unwrap();
        browser.find("input[name=key]").await.send_keys("ct_not_a_key").await.unwrap();
        browser.find("form.signin button[type=submit]").await.click().await.unwrap();
        browser.text_containing("#status", "not accepted").await;
        let kept = browser.script("return sessionStorage.getItem('claimtrack.key');", vec![]).await;
        assert_eq!(kept, serde_json::Value::Null);
        browser.close().await;
    }

    async fn an_editor_merges_a_duplicate_found_by_checked_before(app: TestApp) {
        let first = app.create_claim(json!({ "kind": "OTHER", "text": "The unemployment rate fell to 4.1 percent in October" })).await;
        let second = app.create_claim(json!({ "kind": "OTHER", "text": "Unemployment rate fell to 4.1 percent in October, the ministry said" })).await;
        let (first, second) = (id(&first["id"]), id(&second["id"]));
        let browser = signed_in(app, Role::Editor).await;
        browser.goto(&format!("{}/#/claim/{second}", app.address)).await;
        browser.text_containing("#checked-before", "4.1 percent").await;
        browser.find(&format!("[data-merge-into=\"{first}\"]")).await.click().await.unwrap();
        browser.client.accept_alert().await.unwrap();
        browser.text_containing("#claim-text", "The unemployment rate fell").await;
        let merged = app.gql_ok("query($id: UUID!) { claim(id: $id) { id mergedIds } }", json!({ "id": second })).await;
        assert_eq!(merged["claim"]["id"], first.to_string(), "the duplicate now resolves to the claim it was merged into");
        no_console_errors(&browser, "the merge").await;
        browser.close().await;
    }

    async fn the_desk_works_in_a_phone_width_window(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        let browser = Browser::start(390, 844).await;
        browser.goto(&format!("{}/", app.address)).await;
        browser.find("input[name=key]").await.send_keys(&app.keys[&Role::Checker]).await.unwrap();
        browser.find("form.signin button[type=submit]").await.click().await.unwrap();
        browser.text_containing("#queue-list", "killed 129").await;
        let overflow = browser.script("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await;
        assert!(overflow.as_i64().unwrap_or(1) <= 0, "no sideways scrolling: {overflow}");
        browser.screenshot("queue-phone").await;
        // Every control is labelled.
        let unlabelled = browser
            .script(
                "return [...document.querySelectorAll('input, select, textarea')]
                   .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                   .map(e => e.name);",
                vec![],
            )
            .await;
        assert_eq!(unlabelled, json!([]), "controls without a label");
        no_console_errors(&browser, "the phone-width queue").await;
        browser.close().await;
    }

    async fn an_article_pasted_in_the_desk_gives_candidates_to_accept(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        let browser = signed_in(app, Role::Editor).await;
        browser.goto(&format!("{}/#/article/new", app.address)).await;
        browser.find("input[name=url]").await.send_keys("https://news.example/2026/12/01/harbour").await.unwrap();
        browser.find("input[name=title]").await.send_keys("Harbour reopens").await.unwrap();
        browser
            .find("textarea[name=body]")
            .await
            .send_keys("The harbour reopened on Monday. \"We lost 40 boats in the storm,\" said Maria Lopez, the harbour master.")
            .await
            .unwrap();
        browser.find("form[aria-labelledby=new-article-title] button[type=submit]").await.click().await.unwrap();
        browser.text_containing("#candidates", "40 boats").await;
        assert!(browser.has("#article-body mark").await, "candidates are marked in the text");
        browser.screenshot("article").await;
        browser.find("#candidates [data-accept]").await.click().await.unwrap();
        browser.text_containing("#candidates", "Open the claim").await;
        let claims = app
            .gql_ok("{ claims(filter: { textContains: \"40 boats\" }) { nodes { text appearances { nodes { article { url } } } } } }", json!({}))
            .await;
        let accepted = &claims["claims"]["nodes"][0];
        assert_eq!(accepted["appearances"]["nodes"][0]["article"]["url"], "https://news.example/2026/12/01/harbour", "{claims}");
        no_console_errors(&browser, "the article view").await;
        browser.close().await;
    }

    async fn a_speakers_page_shows_their_claims_and_record(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        let browser = signed_in(app, Role::Viewer).await;
        let war = claim_id(app, "France is at war").await;
        app.record_verification(war, "TRUE").await;
        browser.goto(&format!("{}/#/claim/{war}", app.address)).await;
        browser.text_containing("#claim-text", "France is at war").await;
        browser.find("dl.facts a[href^='#/source/']").await.click().await.unwrap();
        browser.text_containing("#source-name", "Hollande").await;
        let page = browser.text("main").await;
        assert!(page.contains("France is at war") && page.contains("1 claims judged"), "{page}");
        browser.screenshot("source").await;
        no_console_errors(&browser, "the speaker's page").await;
        browser.close().await;
    }

    async fn graphiql_runs_the_dashboard_query_with_nothing_from_the_network(app: TestApp) {
        claimtrack::demo::load(&app.state.db).await.unwrap();
        // Signed in on the desk, GraphiQL in the same tab carries its key.
        let browser = signed_in(app, Role::Viewer).await;
        browser.goto(&format!("{}/graphql", app.address)).await;
        browser.find(".graphiql-execute-button").await.click().await.unwrap();
        browser.text_containing(".graphiql-response", "\"claims\"").await;
        // The whole answer, from the response editor (it renders only the visible lines).
        let result = browser
            .script("return document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue();", vec![])
            .await;
        let result: serde_json::Value = serde_json::from_str(result.as_str().unwrap()).unwrap();
        let texts: Vec<&str> = result["data"]["claims"]["nodes"].as_array().unwrap().iter().map(|n| n["text"].as_str().unwrap()).collect();
        assert_eq!(texts.len(), 7, "{result}");
        assert!(texts.iter().any(|t| t.contains("killed 129")), "{texts:?}");
        browser.screenshot("graphiql").await;
        let resources = browser.resources().await;
        assert!(!resources.is_empty());
        for resource in &resources {
            assert!(resource.starts_with(&app.address), "a request left the machine: {resource}");
        }
        no_console_errors(&browser, "GraphiQL").await;

        // A subscription from GraphiQL, over graphql-transport-ws with the same header:
        // the editor reopens with it (GraphiQL keeps the last query in local storage).
        browser
            .script(
                "localStorage.setItem('graphiql:query', 'subscription { claimChanged { change claim { text } } }');
                 localStorage.removeItem('graphiql:operationName');",
                vec![],
            )
            .await;
        browser.client.refresh().await.unwrap();
        // The desk's own subscription ended when the tab left it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while app.subscribers() > 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(app.subscribers(), 0, "the desk ends its subscriptions when the tab leaves it");
        browser.find(".graphiql-execute-button").await.click().await.unwrap();
        app.await_subscribers(1).await;
        app.create_claim(json!({ "kind": "OTHER", "text": "Seen live in GraphiQL" })).await;
        browser.text_containing(".graphiql-response", "Seen live in GraphiQL").await;
        no_console_errors(&browser, "a GraphiQL subscription").await;
        browser.close().await;
    }
}
