//! The benchmark's dataset and its correctness check, over a real server and database
//! (the service's own test harness), and the harness's refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The service's test harness, shared: the same fresh databases and servers.
#[allow(dead_code, unused_macros, unused_imports)]
#[path = "../../tests/api/helpers.rs"]
mod helpers;

use claimtrack::domain::Role;
use claimtrack_bench::seed::seed;
use claimtrack_bench::{FILTER_STATUS, check_answers};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::TestApp;

/// A digest of the seeded rows that does not depend on how each database stores them.
async fn fingerprint(app: &TestApp) -> Vec<String> {
    let db = &app.state.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, speaker_id, status, kind, value, lower_bound, current_verdict, created_at FROM claims ORDER BY created_at, id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let id: uuid::Uuid = r.try_get("", "id").unwrap();
            let speaker: Option<uuid::Uuid> = r.try_get("", "speaker_id").unwrap();
            let at: chrono::DateTime<chrono::Utc> = r.try_get("", "created_at").unwrap();
            let text = |c: &str| {
                r.try_get::<Option<String>>("", c)
                    .unwrap()
                    .unwrap_or_default()
            };
            format!(
                "{id} {speaker:?} {} {} {} {} {} {}",
                text("status"),
                text("kind"),
                text("value"),
                text("lower_bound"),
                text("current_verdict"),
                at.timestamp_micros()
            )
        })
        .collect()
}

crate::both_backends! {
    async fn the_seeded_dataset_is_deterministic_and_shaped_as_specified(app: TestApp) {
        let seeded = seed(&app.state.db, 7, 0.02).await.unwrap();
        assert_eq!((seeded.sources, seeded.articles, seeded.claims), (40, 200, 2000));
        let rows = fingerprint(app).await;
        assert_eq!(rows.len(), 2000);
        // The same seed gives the same rows, whichever database (this digest is known).
        let digest = rows.iter().fold(0u64, |h, r| r.bytes().fold(h, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
        assert_eq!(digest, KNOWN_DIGEST, "the dataset for seed 7 changed");
        // Strictly increasing creation times.
        let times: Vec<i64> = rows.iter().map(|r| r.rsplit(' ').next().unwrap().parse().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
        let share = |f: &dyn Fn(&str) -> bool| rows.iter().filter(|r| f(r)).count() as f64 / rows.len() as f64;
        let without_speaker = share(&|r| r.contains(" None "));
        assert!((0.03..0.07).contains(&without_speaker), "{without_speaker}");
        for status in ["in_review", "reviewed", "archived"] {
            let s = share(&|r| r.contains(&format!(" {status} ")));
            assert!((0.12..0.18).contains(&s), "{status}: {s}");
        }
        let verifications = app.count_rows("verifications").await as f64;
        let mean = verifications / 2000.0;
        assert!((1.8..2.2).contains(&mean), "mean verifications per claim {mean}");
        let most = app.count_rows("(SELECT claim_id FROM verifications GROUP BY claim_id HAVING count(*) > 11) t").await;
        assert_eq!(most, 0);
        let beyond_three = app.count_rows("(SELECT claim_id FROM verifications GROUP BY claim_id HAVING count(*) > 3) t").await;
        assert!(beyond_three > 100, "latest 3 must really limit: {beyond_three}");
    }

    async fn the_graphql_dashboard_answers_what_the_sql_baseline_answers(app: TestApp) {
        seed(&app.state.db, 11, 0.01).await.unwrap();
        let viewer = app.keys[&Role::Viewer].clone();
        let shown = check_answers(&app.state.db, &app.address, &viewer, None).await.unwrap();
        assert_eq!(shown, 50);
        let filtered = check_answers(&app.state.db, &app.address, &viewer, Some(FILTER_STATUS)).await.unwrap();
        assert_eq!(filtered, 50);
        // After a write through the API the two still agree: the newest claim's latest
        // verification is the new one on both sides.
        let newest: uuid::Uuid = app.state.db
            .query_one_raw(Statement::from_string(app.state.db.get_database_backend(), "SELECT id FROM claims WHERE status <> 'archived' ORDER BY created_at DESC LIMIT 1"))
            .await.unwrap().unwrap().try_get("", "id").unwrap();
        app.record_verification(newest, "FALSE").await;
        check_answers(&app.state.db, &app.address, &viewer, None).await.unwrap();
    }
}

/// The fingerprint digest of seed 7 at scale 0.02.
const KNOWN_DIGEST: u64 = 11_513_436_298_617_527_591;

crate::both_backends! {
    async fn a_database_holding_other_data_is_refused_and_left_alone(app: TestApp) {
        app.create_source("PERSON", "An operator's record").await;
        let options = claimtrack_bench::Options {
            seed: 1,
            scale: 0.01,
            duration: std::time::Duration::from_secs(1),
            concurrency: vec![1],
            existing_data_key: None,
        };
        let refused = claimtrack_bench::run(&app.state.settings, None, &options)
            .await
            .expect_err("an operator's database is refused");
        assert!(refused.to_string().contains("not a benchmark dataset"), "{refused}");
        assert_eq!(app.count_rows("claims").await, 0, "nothing seeded");
        assert_eq!(app.count_rows("sources").await, 1);
        let db = &app.state.db;
        let marker = match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "SELECT 1 AS found FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'bench_inserts'",
            _ => "SELECT 1 AS found FROM sqlite_master WHERE name = 'bench_inserts'",
        };
        let created = db.query_one_raw(Statement::from_string(db.get_database_backend(), marker)).await.unwrap();
        assert!(created.is_none(), "no table created in someone else's database");
    }
}
