//! Figures about one quantity: keys grouping claims across sources, each figure's
//! standing (consistent, superseded, in conflict), the open-conflict list, and conflict
//! events, over GraphQL and REST.

use claimtrack::domain::Role;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::{TestApp, id};
use crate::live::Socket;

const SERIES: &str = "query($key: String, $subject: String, $measure: String) {
    quantity(key: $key, subject: $subject, measure: $measure) {
        key subject measure bestClaimId
        figures {
            claimId sourceId sourceRole value lower upper low high asOf asOfStated
            verdict status best current conflictsWith
            source { name }
        }
        conflicts { totalCount nodes { id } }
    }
}";

const CONFLICTS: &str = "query($filter: QuantityConflictFilter) {
    quantityConflicts(filter: $filter) {
        totalCount
        nodes {
            id key open resolution detectedAt resolvedAt firstClaimId secondClaimId
            first { claimId value status source { name } }
            second { claimId value status source { name } }
        }
    }
}";

/// Records a figure about the Paris attacks' deaths, as `source` gave it `as_of`.
async fn figure(app: &TestApp, source: Uuid, subject: &str, quantity: Value) -> Value {
    let mut quantity = quantity;
    quantity["subject"] = json!(subject);
    quantity
        .as_object_mut()
        .unwrap()
        .entry("measure")
        .or_insert(json!("deaths"));
    let data = app
        .gql_ok(
            "mutation($input: CreateClaimInput!) {
                createClaim(input: $input) { id version quantity { key } }
            }",
            json!({ "input": {
                "kind": "QUANTITY", "text": format!("{} deaths", quantity["value"]),
                "speakerId": source, "quantity": quantity,
            } }),
        )
        .await;
    data["createClaim"].clone()
}

async fn series(app: &TestApp, variables: Value) -> Value {
    app.gql_ok(SERIES, variables).await["quantity"].clone()
}

async fn conflicts(app: &TestApp, filter: Value) -> Value {
    app.gql_ok(CONFLICTS, json!({ "filter": filter })).await["quantityConflicts"].clone()
}

fn figure_of<'a>(series: &'a Value, claim: &Value) -> &'a Value {
    series["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["claimId"] == claim["id"])
        .unwrap_or_else(|| panic!("{claim} not in {series:#}"))
}

both_backends! {
    async fn a_later_different_figure_supersedes_the_earlier_one_and_is_no_conflict(app: TestApp) {
        let prosecutor = app.create_source("GOVERNMENT", "Paris prosecutor").await;
        let ministry = app.create_source("GOVERNMENT", "French health ministry").await;
        let early = figure(app, prosecutor, "November 2015 Paris attacks",
            json!({ "value": "129", "asOf": "2015-11-14T12:00:00Z" })).await;
        // Written differently, the same quantity: case, article and a synonym of deaths.
        let later = figure(app, ministry, "the November 2015 Paris Attacks",
            json!({ "value": "130", "measure": "killed", "asOf": "2015-11-20T12:00:00Z" })).await;
        assert_eq!(early["quantity"]["key"], "november 2015 paris attacks:death");
        assert_eq!(later["quantity"]["key"], early["quantity"]["key"]);

        let s = series(app, json!({ "subject": "november 2015 paris attacks", "measure": "Deaths" })).await;
        assert_eq!(s["key"], "november 2015 paris attacks:death");
        assert_eq!(s["bestClaimId"], later["id"]);
        let (old, new) = (figure_of(&s, &early), figure_of(&s, &later));
        assert_eq!(old["status"], "SUPERSEDED");
        assert_eq!(old["current"], false);
        assert_eq!(old["source"]["name"], "Paris prosecutor");
        assert_eq!((old["low"].as_str(), old["high"].as_str()), (Some("129"), Some("129")));
        assert_eq!(old["asOf"], "2015-11-14T12:00:00+00:00");
        assert_eq!(old["asOfStated"], true);
        assert_eq!(new["status"], "CONSISTENT");
        assert_eq!(new["best"], true);
        assert_eq!(s["figures"][0]["claimId"], early["id"], "oldest first");
        assert_eq!(conflicts(app, json!(null)).await["totalCount"], 0);
        assert_eq!(app.count_rows("quantity_conflicts").await, 0);
    }

    async fn two_sources_giving_different_figures_for_the_same_day_are_in_conflict(app: TestApp) {
        let police = app.create_source("GOVERNMENT", "Paris police").await;
        let hospital = app.create_source("ORGANIZATION", "AP-HP hospitals").await;
        let a = figure(app, police, "Paris attacks",
            json!({ "value": "129", "asOf": "2015-11-14T09:00:00Z" })).await;
        let b = figure(app, hospital, "Paris attacks",
            json!({ "value": "127", "asOf": "2015-11-14T18:00:00Z" })).await;

        let s = series(app, json!({ "key": "paris attacks:death" })).await;
        for (this, other) in [(&a, &b), (&b, &a)] {
            let f = figure_of(&s, this);
            assert_eq!(f["status"], "CONFLICT", "{f:#}");
            assert_eq!(f["conflictsWith"], json!([other["id"]]));
        }
        assert_eq!(s["conflicts"]["totalCount"], 1);

        // The dashboard's open-conflict list, over GraphQL and REST.
        let open = conflicts(app, json!(null)).await;
        assert_eq!(open["totalCount"], 1);
        let conflict = &open["nodes"][0];
        assert_eq!(conflict["open"], true);
        assert_eq!(conflict["key"], "paris attacks:death");
        let sides: Vec<&str> = [&conflict["first"], &conflict["second"]]
            .iter()
            .map(|f| f["source"]["name"].as_str().unwrap())
            .collect();
        assert!(sides.contains(&"Paris police") && sides.contains(&"AP-HP hospitals"), "{conflict:#}");
        let (status, _, page) = app
            .rest(Method::GET, "/api/v1/quantity-conflicts", Some(Role::Viewer), None, &[])
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["items"][0]["id"], conflict["id"]);
        assert_eq!(page["items"][0]["first"]["status"], "conflict");
        let (status, _, one) = app
            .rest(Method::GET, &format!("/api/v1/quantity-conflicts/{}", conflict["id"].as_str().unwrap()),
                Some(Role::Viewer), None, &[])
            .await;
        assert_eq!((status, one["open"].clone()), (200, json!(true)));

        // A checker settles it: the hospital figure is judged false.
        app.record_verification(id(&b["id"]), "FALSE").await;
        assert_eq!(conflicts(app, json!(null)).await["totalCount"], 0);
        let resolved = conflicts(app, json!({ "open": false })).await;
        assert_eq!(resolved["totalCount"], 1);
        assert_eq!(resolved["nodes"][0]["resolution"], "REFUTED");
        assert!(resolved["nodes"][0]["resolvedAt"].is_string());
        let s = series(app, json!({ "key": "paris attacks:death" })).await;
        assert_eq!(s["bestClaimId"], a["id"], "a refuted figure never stands");
        assert_eq!(figure_of(&s, &b)["verdict"], "FALSE");
    }

    async fn a_lower_bound_beside_the_figure_is_consistent_with_it(app: TestApp) {
        let police = app.create_source("GOVERNMENT", "Paris police").await;
        let wire = app.create_source("OUTLET", "Wire service").await;
        let exact = figure(app, police, "Paris attacks",
            json!({ "value": "129", "asOf": "2015-11-14T09:00:00Z" })).await;
        let at_least = figure(app, wire, "Paris attacks",
            json!({ "lower": "120", "asOf": "2015-11-14T11:00:00Z" })).await;
        // "about 130" reaches 117 to 143: consistent with 129 too.
        let about = figure(app, wire, "Paris attacks",
            json!({ "value": "130", "approximate": true, "asOf": "2015-11-14T12:00:00Z" })).await;

        let s = series(app, json!({ "key": "paris attacks:death" })).await;
        for claim in [&exact, &at_least, &about] {
            assert_eq!(figure_of(&s, claim)["status"], "CONSISTENT", "{s:#}");
        }
        assert_eq!(figure_of(&s, &at_least)["high"], Value::Null, "unbounded above");
        assert_eq!(figure_of(&s, &about)["low"], "117");
        assert_eq!(conflicts(app, json!(null)).await["totalCount"], 0);
    }

    async fn conflicts_end_when_a_figure_is_revised_superseded_or_deleted_and_each_change_is_announced(app: TestApp) {
        let police = app.create_source("GOVERNMENT", "Paris police").await;
        let hospital = app.create_source("ORGANIZATION", "AP-HP hospitals").await;
        let mut socket = Socket::connect(&app.address, json!({ "Authorization": app.bearer(Role::Viewer) }))
            .await
            .unwrap();
        socket.subscribe(app, "c", "subscription { quantityConflictChanged(key: \"paris attacks:death\") {
            change actor conflict { key open resolution firstClaimId secondClaimId }
        } }", json!({})).await;

        let a = figure(app, police, "Paris attacks", json!({ "value": "129", "asOf": "2015-11-14T09:00:00Z" })).await;
        let b = figure(app, hospital, "Paris attacks", json!({ "value": "120", "asOf": "2015-11-14T18:00:00Z" })).await;
        let event = socket.next_event("c").await;
        let detected = &event["data"]["quantityConflictChanged"];
        assert_eq!(detected["change"], "DETECTED", "{event:#}");
        assert_eq!(detected["conflict"]["open"], true);
        let mut pair = [a["id"].clone(), b["id"].clone()];
        pair.sort_by_key(|v| v.as_str().unwrap().to_owned());
        assert_eq!([detected["conflict"]["firstClaimId"].clone(), detected["conflict"]["secondClaimId"].clone()], pair);

        // Revised: the hospital corrects its figure to agree.
        app.gql_ok(
            "mutation($id: UUID!, $v: Int!, $input: UpdateClaimInput!) { updateClaim(id: $id, expectedVersion: $v, input: $input) { id } }",
            json!({ "id": b["id"], "v": b["version"], "input": { "quantity": {
                "subject": "Paris attacks", "measure": "deaths", "value": "129", "asOf": "2015-11-14T18:00:00Z" } } }),
        ).await;
        let event = socket.next_event("c").await;
        assert_eq!(event["data"]["quantityConflictChanged"]["change"], "RESOLVED");
        assert_eq!(event["data"]["quantityConflictChanged"]["conflict"]["resolution"], "REVISED");

        // Superseded: a new disagreement the same day, then a later official toll.
        let c = figure(app, hospital, "Paris attacks", json!({ "value": "140", "asOf": "2015-11-14T20:00:00Z" })).await;
        assert_eq!(socket.next_event("c").await["data"]["quantityConflictChanged"]["change"], "DETECTED");
        assert_eq!(conflicts(app, json!(null)).await["totalCount"], 1);
        figure(app, police, "Paris attacks", json!({ "value": "130", "asOf": "2015-11-20T12:00:00Z" })).await;
        let event = socket.next_event("c").await;
        assert_eq!(event["data"]["quantityConflictChanged"]["conflict"]["resolution"], "SUPERSEDED", "{event:#}");
        assert_eq!(conflicts(app, json!(null)).await["totalCount"], 0);

        // Withdrawn: a same-day disagreement whose claim is deleted.
        let d = figure(app, hospital, "Paris attacks", json!({ "value": "150", "asOf": "2015-11-20T13:00:00Z" })).await;
        assert_eq!(socket.next_event("c").await["data"]["quantityConflictChanged"]["change"], "DETECTED");
        app.gql_ok("mutation($id: UUID!) { deleteClaim(id: $id) }", json!({ "id": d["id"] })).await;
        let event = socket.next_event("c").await;
        assert_eq!(event["data"]["quantityConflictChanged"]["conflict"]["resolution"], "WITHDRAWN", "{event:#}");
        socket.assert_quiet().await;
        let all = conflicts(app, json!({ "open": null })).await;
        assert_eq!(all["totalCount"], 3);
        let s = series(app, json!({ "key": "paris attacks:death" })).await;
        assert_eq!(figure_of(&s, &c)["status"], "SUPERSEDED", "{s:#}");
    }

    async fn a_figure_without_a_speaker_is_given_by_the_outlet_that_carried_it(app: TestApp) {
        let reuters = app.create_source("OUTLET", "Reuters").await;
        let afp = app.create_source("OUTLET", "AFP").await;
        let story = |outlet, url: &'static str| async move {
            app.create_article(url, "The attacks killed 129 people.", Some(outlet)).await
        };
        let first = story(reuters, "https://reuters.example/a").await;
        let second = story(afp, "https://afp.example/b").await;
        let carried = |article: Uuid, value: &str| {
            json!({ "kind": "QUANTITY", "text": format!("The attacks killed {value}"),
                "quantity": { "subject": "Paris attacks", "measure": "deaths", "value": value,
                    "asOf": "2015-11-14T10:00:00Z" },
                "appearances": [{ "articleId": article, "excerpt": "The attacks killed" }] })
        };
        let a = app.create_claim(carried(first, "129")).await;
        app.create_claim(carried(second, "132")).await;
        let s = series(app, json!({ "key": "paris attacks:death" })).await;
        let f = figure_of(&s, &a);
        assert_eq!((f["sourceRole"].as_str(), f["source"]["name"].as_str()), (Some("OUTLET"), Some("Reuters")));
        assert_eq!(f["status"], "CONFLICT");
        assert_eq!(conflicts(app, json!(null)).await["totalCount"], 1);

        // The second story turns out to be Reuters' too: one source, no conflict.
        app.gql_ok(
            "mutation($id: UUID!, $input: UpdateArticleInput!) { updateArticle(id: $id, expectedVersion: 1, input: $input) { id } }",
            json!({ "id": second, "input": { "outletId": reuters } }),
        ).await;
        assert_eq!(conflicts(app, json!(null)).await["totalCount"], 0);
        let resolved = conflicts(app, json!({ "open": false })).await;
        assert_eq!(resolved["nodes"][0]["resolution"], "REVISED");
    }

    async fn a_quantity_is_named_by_key_or_by_subject_and_measure_and_bad_names_are_refused(app: TestApp) {
        let (code, _) = app.gql_error(SERIES, json!({ "subject": "Paris attacks" })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        let (code, _) = app.gql_error(SERIES, json!({ "subject": "!!", "measure": "deaths" })).await;
        assert_eq!(code, "BAD_USER_INPUT");
        assert_eq!(series(app, json!({ "key": "nothing:here" })).await, Value::Null);

        let (status, _, problem) = app
            .rest(Method::GET, "/api/v1/quantities", Some(Role::Viewer), None, &[])
            .await;
        assert_eq!((status, problem["type"].as_str()), (400, Some("/problems/bad-user-input")), "{problem:#}");
        let (status, _, problem) = app
            .rest(Method::GET, "/api/v1/quantities?key=nothing%3Ahere", Some(Role::Viewer), None, &[])
            .await;
        assert_eq!((status, problem["type"].as_str()), (404, Some("/problems/not-found")));
        let (status, _, problem) = app
            .rest(Method::GET, "/api/v1/quantity-conflicts?state=maybe", Some(Role::Viewer), None, &[])
            .await;
        assert_eq!((status, problem["type"].as_str()), (400, Some("/problems/bad-user-input")));
        let (status, _, _) = app
            .rest(Method::GET, "/api/v1/quantity-conflicts", None, None, &[])
            .await;
        assert_eq!(status, 401);

        let police = app.create_source("GOVERNMENT", "Paris police").await;
        figure(app, police, "Paris attacks", json!({ "value": "129" })).await;
        let (status, _, body) = app
            .rest(Method::GET, "/api/v1/quantities?subject=Paris%20Attacks&measure=dead", Some(Role::Viewer), None, &[])
            .await;
        assert_eq!(status, 200, "{body:#}");
        assert_eq!(body["key"], "paris attacks:death");
        let only = &body["figures"][0];
        assert_eq!((only["status"].as_str(), only["as_of_stated"].as_bool()), (Some("consistent"), Some(false)));
    }

    async fn figures_recorded_at_the_same_moment_still_see_each_other(app: TestApp) {
        let sources = [
            app.create_source("GOVERNMENT", "Paris police").await,
            app.create_source("ORGANIZATION", "AP-HP hospitals").await,
        ];
        // Each round, two disagreeing figures about a fresh quantity are written at once.
        for round in 0..5 {
            let subject = format!("Attack number {round}");
            let (a, b) = futures_util::join!(
                figure(app, sources[0], &subject, json!({ "value": "10", "asOf": "2015-11-14T10:00:00Z" })),
                figure(app, sources[1], &subject, json!({ "value": "12", "asOf": "2015-11-14T10:00:00Z" })),
            );
            assert_eq!(a["quantity"]["key"], b["quantity"]["key"]);
            let open = conflicts(app, json!({ "key": a["quantity"]["key"] })).await;
            assert_eq!(open["totalCount"], 1, "round {round}: {open:#}");
        }
    }

    async fn figures_stored_before_keys_existed_are_keyed_and_compared_at_start_up(app: TestApp) {
        let police = app.create_source("GOVERNMENT", "Paris police").await;
        let hospital = app.create_source("ORGANIZATION", "AP-HP hospitals").await;
        let a = figure(app, police, "Paris attacks", json!({ "value": "129", "asOf": "2015-11-14T10:00:00Z" })).await;
        figure(app, hospital, "Paris attacks", json!({ "value": "127", "asOf": "2015-11-14T11:00:00Z" })).await;
        // As an older version left them: no key, no conflicts.
        for sql in [
            "DELETE FROM quantity_conflicts",
            "UPDATE claims SET quantity_key = NULL, quantity_at = NULL",
        ] {
            app.state.db.execute_unprepared(sql).await.unwrap();
        }
        assert_eq!(series(app, json!({ "key": "paris attacks:death" })).await, Value::Null);

        let (_, instance) = app.second_instance().await;
        let s = series(app, json!({ "key": "paris attacks:death" })).await;
        assert_eq!(figure_of(&s, &a)["status"], "CONFLICT", "{s:#}");
        assert_eq!(conflicts(app, json!(null)).await["totalCount"], 1);
        instance.stop().await;
    }
}
