//! A validator for the schema.org vocabulary ClaimReview documents use: the types, the
//! properties each type has (its own and inherited, as schema.org defines them) and
//! their ranges, plus the properties Google's fact-check markup requires. Written from
//! the schema.org definitions of these types (schema.org/ClaimReview, /Claim, /Rating,
//! /NewsArticle, /Organization, /Person); it refuses anything outside them, so a typo or
//! a property on the wrong type fails the test.

use serde_json::Value;

/// A property's range.
#[derive(Clone, Copy, Debug)]
enum Range {
    Text,
    Url,
    /// An ISO 8601 date (`2015-11-14`) or date-time.
    Date,
    /// A number or its text.
    Number,
    /// A node of this type or one of its subtypes.
    Node(&'static str),
}

/// A property and the ranges its values may have.
type Property = (&'static str, &'static [Range]);

/// Each type: its supertype and its own properties.
const TYPES: &[(&str, Option<&str>, &[Property])] = {
    use Range::*;
    &[
        (
            "Thing",
            None,
            &[
                ("name", &[Text]),
                ("alternateName", &[Text]),
                ("description", &[Text]),
                ("url", &[Url]),
                ("sameAs", &[Url]),
            ],
        ),
        (
            "CreativeWork",
            Some("Thing"),
            &[
                ("author", &[Node("Organization"), Node("Person")]),
                ("datePublished", &[Date]),
                ("headline", &[Text]),
                ("inLanguage", &[Text]),
                ("publisher", &[Node("Organization"), Node("Person")]),
                ("text", &[Text]),
            ],
        ),
        ("Article", Some("CreativeWork"), &[("articleBody", &[Text])]),
        ("NewsArticle", Some("Article"), &[("dateline", &[Text])]),
        (
            "Review",
            Some("CreativeWork"),
            &[
                ("itemReviewed", &[Node("Thing")]),
                ("reviewBody", &[Text]),
                ("reviewRating", &[Node("Rating")]),
            ],
        ),
        ("ClaimReview", Some("Review"), &[("claimReviewed", &[Text])]),
        (
            "Claim",
            Some("CreativeWork"),
            &[
                ("appearance", &[Node("CreativeWork")]),
                ("firstAppearance", &[Node("CreativeWork")]),
                ("claimInterpreter", &[Node("Organization"), Node("Person")]),
            ],
        ),
        ("Intangible", Some("Thing"), &[]),
        (
            "Rating",
            Some("Intangible"),
            &[
                ("ratingValue", &[Number]),
                ("bestRating", &[Number]),
                ("worstRating", &[Number]),
                ("ratingExplanation", &[Text]),
                ("author", &[Node("Organization"), Node("Person")]),
            ],
        ),
        ("Organization", Some("Thing"), &[("logo", &[Url])]),
        ("Person", Some("Thing"), &[]),
    ]
};

fn supertype(name: &str) -> Option<&'static str> {
    TYPES
        .iter()
        .find(|(t, _, _)| *t == name)
        .and_then(|(_, s, _)| *s)
}

fn is_a(name: &str, wanted: &str) -> bool {
    let mut current = Some(name);
    while let Some(t) = current {
        if t == wanted {
            return true;
        }
        current = supertype(t);
    }
    false
}

fn ranges(type_name: &str, property: &str) -> Option<&'static [Range]> {
    let mut current = Some(type_name);
    while let Some(t) = current {
        let (_, parent, properties) = TYPES.iter().find(|(name, _, _)| *name == t)?;
        if let Some((_, ranges)) = properties.iter().find(|(p, _)| *p == property) {
            return Some(ranges);
        }
        current = *parent;
    }
    None
}

fn is_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
        || chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

fn fits(value: &Value, range: Range, path: &str, problems: &mut Vec<String>) -> bool {
    match (range, value) {
        (Range::Text, Value::String(_)) => true,
        (Range::Url, Value::String(url)) => {
            url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        }
        (Range::Date, Value::String(date)) => is_date(date),
        (Range::Number, Value::Number(_)) => true,
        (Range::Number, Value::String(n)) => n.parse::<f64>().is_ok(),
        (Range::Node(wanted), Value::Object(_)) => {
            let Some(t) = value["@type"].as_str() else {
                return false;
            };
            if !is_a(t, wanted) {
                return false;
            }
            node(value, path, problems);
            true
        }
        _ => false,
    }
}

fn node(value: &Value, path: &str, problems: &mut Vec<String>) {
    let Some(t) = value["@type"].as_str() else {
        problems.push(format!("{path}: no @type"));
        return;
    };
    if !TYPES.iter().any(|(name, _, _)| *name == t) {
        problems.push(format!("{path}: unknown type {t}"));
        return;
    }
    for (property, v) in value.as_object().into_iter().flatten() {
        if property.starts_with('@') {
            continue;
        }
        let path = format!("{path}.{property}");
        let Some(ranges) = ranges(t, property) else {
            problems.push(format!("{path}: {t} has no property {property}"));
            continue;
        };
        // A property may repeat: a list's items each fit the range.
        let values: Vec<&Value> = match v {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for (i, item) in values.iter().enumerate() {
            let at = format!("{path}[{i}]");
            if !ranges.iter().any(|r| fits(item, *r, &at, problems)) {
                problems.push(format!("{at}: {item} is none of {ranges:?}"));
            }
        }
    }
}

/// The problems of a ClaimReview document: schema.org's vocabulary, and Google's
/// required fact-check properties (`claimReviewed`, `reviewRating` with a textual
/// `alternateName`, `url`, `author` with a name; a numeric rating within its bounds).
pub fn claim_review_problems(document: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if document["@context"] != "https://schema.org" {
        problems.push(format!("@context: {}", document["@context"]));
    }
    if document["@type"] != "ClaimReview" {
        problems.push(format!("@type: {}", document["@type"]));
    }
    node(document, "ClaimReview", &mut problems);
    for required in [
        "/claimReviewed",
        "/url",
        "/author/name",
        "/reviewRating/alternateName",
        "/itemReviewed/@type",
    ] {
        if document
            .pointer(required)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            problems.push(format!("required {required} missing"));
        }
    }
    let rating = &document["reviewRating"];
    if let Some(value) = rating["ratingValue"].as_f64() {
        let (worst, best) = (
            rating["worstRating"].as_f64(),
            rating["bestRating"].as_f64(),
        );
        if !matches!((worst, best), (Some(w), Some(b)) if w <= value && value <= b) {
            problems.push(format!(
                "ratingValue {value} outside worstRating/bestRating"
            ));
        }
    }
    problems
}

#[test]
fn the_validator_refuses_what_schema_org_does_not_define() {
    let good = serde_json::json!({
        "@context": "https://schema.org", "@type": "ClaimReview", "url": "https://a.example/r/1",
        "claimReviewed": "x", "author": { "@type": "Organization", "name": "Desk" },
        "reviewRating": { "@type": "Rating", "alternateName": "False", "ratingValue": 1, "bestRating": 5, "worstRating": 1 },
        "itemReviewed": { "@type": "Claim", "appearance": [{ "@type": "NewsArticle", "url": "https://n.example/a" }] },
    });
    assert_eq!(claim_review_problems(&good), Vec::<String>::new());
    for (pointer, bad) in [
        ("/reviewRating/ratingValue", serde_json::json!(7)),
        (
            "/itemReviewed/appearance",
            serde_json::json!([{ "@type": "Rating" }]),
        ),
        ("/url", serde_json::json!("/relative")),
    ] {
        let mut document = good.clone();
        *document.pointer_mut(pointer).unwrap() = bad;
        assert!(!claim_review_problems(&document).is_empty(), "{pointer}");
    }
    let mut undated = good.clone();
    undated["itemReviewed"]["datePublished"] = serde_json::json!("14 Nov 2015");
    assert!(
        !claim_review_problems(&undated).is_empty(),
        "a date schema.org cannot read"
    );
    let mut misplaced = good.clone();
    misplaced["reviewRating"]["claimReviewed"] = serde_json::json!("x");
    assert!(
        !claim_review_problems(&misplaced).is_empty(),
        "a property on the wrong type"
    );
}
