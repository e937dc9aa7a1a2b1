//! The public review page: what the ClaimReview says, as plain HTML a newsroom can
//! link or frame, with the JSON-LD itself embedded for search engines. Everything shown
//! comes from the ClaimReview document, so the page and the feed cannot disagree.

use serde_json::Value;

use crate::entity::claim;

use crate::domain::html_escape as escape;

/// The document as JSON that cannot end its `<script>` element: `<`, `>` and `&` only
/// occur inside JSON strings, where their `\u` escapes mean the same.
fn embedded_json(document: &Value) -> String {
    document
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// An `http(s)` link, or the plain text when the address is anything else.
fn link(url: Option<&str>, label: &str) -> String {
    match url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        Some(url) => format!("<a href=\"{}\">{}</a>", escape(url), escape(label)),
        None => escape(label),
    }
}

fn shell(title: &str, lang: Option<&str>, head: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
         <link rel=\"stylesheet\" href=\"/assets/review/review.css\">\n{head}</head>\n\
         <body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        lang = escape(lang.unwrap_or("en")),
        title = escape(title),
    )
}

/// The page of a published review.
pub fn page(claim: &claim::Model, review: &Value) -> String {
    let claim_reviewed = text(review, "/claimReviewed").unwrap_or(&claim.text);
    let verdict = text(review, "/reviewRating/alternateName").unwrap_or_default();
    let rating = review
        .pointer("/reviewRating/ratingValue")
        .and_then(Value::as_i64)
        .map(|value| format!(" <span class=\"rating\">({value} of 5)</span>"))
        .unwrap_or_default();
    let organisation = text(review, "/author/name").unwrap_or_default();
    let claimant = text(review, "/itemReviewed/author/name")
        .map(|name| format!("<p class=\"claimant\">Claimed by {}</p>\n", escape(name)))
        .unwrap_or_default();
    let appearances: String = review
        .pointer("/itemReviewed/appearance")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|article| {
            let headline = text(article, "/headline").unwrap_or("article");
            let publisher = text(article, "/publisher/name")
                .map(|p| format!(" — {}", escape(p)))
                .unwrap_or_default();
            let published = text(article, "/datePublished")
                .map(|d| format!(", <time datetime=\"{0}\">{0}</time>", escape(d)))
                .unwrap_or_default();
            format!(
                "<li>{}{publisher}{published}</li>\n",
                link(text(article, "/url"), headline)
            )
        })
        .collect();
    let appeared = if appearances.is_empty() {
        String::new()
    } else {
        format!("<h2>Where it appeared</h2>\n<ul>\n{appearances}</ul>\n")
    };
    // The newsroom's own article, when the review's address is not this page.
    let own_article = text(review, "/url")
        .filter(|url| !url.contains("/reviews/"))
        .map(|url| format!("<p>{}</p>\n", link(Some(url), "Read the full fact-check")))
        .unwrap_or_default();
    let body = format!(
        "<article>\n<p class=\"kicker\">Fact-check by {org}</p>\n<h1>{claim_reviewed}</h1>\n\
         <blockquote>{full}</blockquote>\n{claimant}\
         <p class=\"verdict\">Verdict: <strong>{verdict}</strong>{rating}</p>\n\
         <p class=\"summary\">{summary}</p>\n{own_article}{appeared}\
         <footer><p>Reviewed <time datetime=\"{date}\">{date}</time> by {org_link}.</p></footer>\n\
         </article>\n",
        org = escape(organisation),
        claim_reviewed = escape(claim_reviewed),
        full = escape(&claim.text),
        verdict = escape(verdict),
        summary = escape(text(review, "/reviewBody").unwrap_or_default()),
        date = escape(text(review, "/datePublished").unwrap_or_default()),
        org_link = link(text(review, "/author/url"), organisation),
    );
    let head = format!(
        "<meta name=\"description\" content=\"{}: {}\">\n\
         <script type=\"application/ld+json\">{}</script>\n",
        escape(verdict),
        escape(claim_reviewed),
        embedded_json(review)
    );
    shell(
        &format!("Fact-check: {claim_reviewed}"),
        text(review, "/inLanguage"),
        &head,
        &body,
    )
}

/// The page for a claim without a published review (unknown, not reviewed yet, or
/// a draft).
pub fn missing() -> String {
    shell(
        "No published review",
        None,
        "",
        "<h1>No published review</h1>\n<p>There is no published fact-check at this address.</p>\n",
    )
}

/// The page when the review could not be read just now.
pub fn unavailable() -> String {
    shell(
        "Review unavailable",
        None,
        "",
        "<h1>Review unavailable</h1>\n<p>This fact-check cannot be shown right now; try again shortly.</p>\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_embedded_json_cannot_close_its_script_and_reads_back_the_same() {
        let document = json!({ "reviewBody": "</script><script>alert(1)</script> & more" });
        let embedded = embedded_json(&document);
        assert!(!embedded.contains("</script>") && !embedded.contains('<'));
        let back: Value = serde_json::from_str(&embedded).unwrap();
        assert_eq!(back, document);
    }

    #[test]
    fn text_and_links_are_escaped() {
        assert_eq!(
            escape("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(link(Some("javascript:alert(1)"), "x"), "x");
        assert_eq!(
            link(Some("https://a.example/?q=\"x\""), "a"),
            "<a href=\"https://a.example/?q=&quot;x&quot;\">a</a>"
        );
    }
}
