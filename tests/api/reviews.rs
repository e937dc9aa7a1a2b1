//! Published reviews: the public page of a reviewed claim with its ClaimReview JSON-LD,
//! and the ClaimReview points a publisher relies on (a `url` that exists, the earliest
//! published appearance first, the review's own language, a short `claimReviewed`).

use claimtrack::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::{TestApp, id};
use crate::schema_org::claim_review_problems;

/// The public page of `claim`: its status and HTML (no credentials sent).
async fn page(app: &TestApp, claim: &str) -> (u16, String) {
    let response = app
        .client
        .get(format!("{}/reviews/{claim}", app.address))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The JSON-LD embedded in a page.
fn embedded(html: &str) -> Value {
    let start = html
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD on the page")
        + "<script type=\"application/ld+json\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

async fn claim_review(app: &TestApp, claim: Uuid) -> Value {
    let (status, _, body) = app
        .rest(
            Method::GET,
            &format!("/api/v1/claims/{claim}/claimreview"),
            Some(Role::Viewer),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn toll_claim(app: &TestApp) -> Uuid {
    claimtrack::demo::load(&app.state.db).await.unwrap();
    let data = app
        .gql_ok(
            "{ claims(filter: { textContains: \"killed 129\" }) { nodes { id } } }",
            json!({}),
        )
        .await;
    id(&data["claims"]["nodes"][0]["id"])
}

async fn verify(app: &TestApp, claim: Uuid, input: Value) -> Value {
    app.graphql_as(
        Some(&app.bearer(Role::Checker)),
        "mutation($id: UUID!, $input: RecordVerificationInput!) { recordVerification(claimId: $id, input: $input) { id reviewUrl claimReviewed language } }",
        json!({ "id": claim, "input": input }),
    )
    .await
    .1
}

both_backends! {
    async fn a_reviewed_claim_has_a_public_page_carrying_its_claimreview(app: TestApp) {
        let toll = toll_claim(app).await;
        let (status, html) = page(app, &toll.to_string()).await;
        assert_eq!(status, 200, "{html}");
        let on_page = embedded(&html);
        let document = claim_review(app, toll).await;
        assert_eq!(on_page, document, "the page carries the API's ClaimReview");
        assert_eq!(claim_review_problems(&document), Vec::<String>::new(), "{document:#}");
        // Its url is this page, which exists.
        let url = document["url"].as_str().unwrap();
        assert!(url.ends_with(&format!("/reviews/{toll}")), "{url}");
        assert!(html.contains("Mostly true") && html.contains("killed 129"), "{html}");
        assert!(html.contains("The toll stood at 129"), "the review's summary is shown");

        // Anything not published has no page: unknown, malformed, not reviewed.
        for missing in [Uuid::now_v7().to_string(), "not-an-id".to_owned()] {
            assert_eq!(page(app, &missing).await.0, 404, "{missing}");
        }
        let open = app.create_claim(json!({ "kind": "OTHER", "text": "An open claim" })).await;
        assert_eq!(page(app, open["id"].as_str().unwrap()).await.0, 404, "a claim not checked yet");
        // Archived: no longer published.
        let version = app.gql_ok("query($id: UUID!) { claim(id: $id) { version } }", json!({ "id": toll })).await["claim"]["version"].clone();
        app.gql_ok("mutation($id: UUID!, $v: Int!) { updateClaim(id: $id, expectedVersion: $v, input: { status: ARCHIVED }) { status } }", json!({ "id": toll, "v": version })).await;
        assert_eq!(page(app, &toll.to_string()).await.0, 404);
    }

    async fn the_claimreview_uses_what_the_checker_published(app: TestApp) {
        let toll = toll_claim(app).await;
        let answer = verify(app, toll, json!({
            "verdict": "MOSTLY_TRUE",
            "summary": "Final toll 130 </script><b>",
            "reviewUrl": "https://factcheck.example/2015/paris-toll",
            "claimReviewed": "Paris attacks killed 129",
            "language": "fr",
        })).await;
        assert!(answer.get("errors").is_none(), "{answer}");
        assert_eq!(answer["data"]["recordVerification"]["reviewUrl"], "https://factcheck.example/2015/paris-toll");
        let document = claim_review(app, toll).await;
        assert_eq!(document["url"], "https://factcheck.example/2015/paris-toll", "the newsroom's own article");
        assert_eq!(document["claimReviewed"], "Paris attacks killed 129");
        assert_eq!(document["inLanguage"], "fr", "the review's language");
        assert_eq!(claim_review_problems(&document), Vec::<String>::new(), "{document:#}");
        // Markup in the summary neither breaks the page nor its JSON-LD.
        let (status, html) = page(app, &toll.to_string()).await;
        assert_eq!(status, 200);
        assert_eq!(embedded(&html), document);
        assert!(html.contains("Read the full fact-check") && !html.contains("<b>"), "{html}");
        // Bad publication details are refused with the field named; nothing is stored.
        for (field, input) in [
            ("input.reviewUrl", json!({ "verdict": "TRUE", "summary": "s", "reviewUrl": "ftp://x.example/r" })),
            ("input.claimReviewed", json!({ "verdict": "TRUE", "summary": "s", "claimReviewed": "x".repeat(301) })),
            ("input.language", json!({ "verdict": "TRUE", "summary": "s", "language": "not a tag" })),
        ] {
            let refused = verify(app, toll, input).await;
            assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
            assert!(refused.to_string().contains(field), "{field}: {refused}");
        }
        assert_eq!(claim_review(app, toll).await, document, "nothing was recorded");
    }

    async fn the_first_appearance_is_the_earliest_published_and_claimreviewed_stays_short(app: TestApp) {
        let outlet = app.create_source("OUTLET", "Morning Wire").await;
        let body = "The minister said that unemployment fell for the ninth consecutive quarter across every region of the country, the longest run since records began.";
        let later = app.create_article("https://wire.example/late", body, Some(outlet)).await;
        let earlier = app.create_article("https://wire.example/early", body, Some(outlet)).await;
        for (article, published) in [(later, "2026-03-02T08:00:00Z"), (earlier, "2026-03-01T08:00:00Z")] {
            let version = app.gql_ok("query($id: UUID!) { article(id: $id) { version } }", json!({ "id": article })).await["article"]["version"].clone();
            app.gql_ok("mutation($id: UUID!, $v: Int!, $at: DateTime!) { updateArticle(id: $id, expectedVersion: $v, input: { publishedAt: $at }) { id } }",
                json!({ "id": article, "v": version, "at": published })).await;
        }
        let text = "Unemployment fell for the ninth consecutive quarter across every region of the country";
        // Found first in the article published later.
        let claim = app.create_claim(json!({ "kind": "OTHER", "text": text, "appearances": [
            { "articleId": later, "excerpt": "unemployment fell for the ninth consecutive quarter" },
            { "articleId": earlier, "excerpt": "unemployment fell for the ninth consecutive quarter" },
        ] })).await;
        let claim = id(&claim["id"]);
        assert!(verify(app, claim, json!({ "verdict": "TRUE", "summary": "ONS series." })).await.get("errors").is_none());
        let document = claim_review(app, claim).await;
        assert_eq!(claim_review_problems(&document), Vec::<String>::new(), "{document:#}");
        assert_eq!(document["itemReviewed"]["firstAppearance"]["url"], "https://wire.example/early");
        assert_eq!(document["itemReviewed"]["datePublished"], "2026-03-01");
        let reviewed = document["claimReviewed"].as_str().unwrap();
        assert!(reviewed.chars().count() <= 75 && reviewed.ends_with('…'), "{reviewed}");
        assert!(text.starts_with(reviewed.trim_end_matches('…')), "cut at a word: {reviewed}");
        assert!(document.get("inLanguage").is_none(), "no language stated, none made up");
    }
}

#[actix_web::test]
async fn the_organisations_review_language_is_the_default() {
    let Some(app) = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |settings| {
        settings.public.review_language = "en-GB".into();
        settings.public.organization_url = "https://factcheck.example".into();
    })
    .await
    else {
        return;
    };
    let toll = toll_claim(&app).await;
    let document = claim_review(&app, toll).await;
    assert_eq!(document["inLanguage"], "en-GB");
    assert_eq!(document["author"]["url"], "https://factcheck.example");
    assert_eq!(claim_review_problems(&document), Vec::<String>::new());
    app.finish().await;
}
