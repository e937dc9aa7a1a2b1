use std::process::Command;

use serde_json::json;

use crate::both_backends;

async fn table_counts(app: &crate::helpers::TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "sources",
        "articles",
        "claims",
        "appearances",
        "verifications",
        "audit_events",
    ] {
        counts.push(app.count_rows(table).await);
    }
    counts
}

both_backends! {
    async fn the_demo_loads_the_worked_example_once_however_often_it_runs(app: TestApp) {
        let first = claimtrack::demo::load(&app.state.db).await.unwrap();
        let counts = table_counts(app).await;
        assert_eq!(&counts[..5], &[7, 1, 7, 7, 1]);
        let second = claimtrack::demo::load(&app.state.db).await.unwrap();
        assert_eq!(second.created, 0);
        assert_eq!(second.existing, first.created);
        let again = table_counts(app).await;
        assert_eq!(again, counts);

        let data = app
            .gql_ok(
                "{ toll: claims(filter: { measure: \"deaths\" }) { edges { node {
                    text currentVerdict quantity { value subject }
                    verifications(first: 3) { edges { node { verdict rating summary citations { url } } } } } } }
                   quotes: claims(filter: { kind: [QUOTE] }) { edges { node { text setting speaker { name aliases } } } }
                   event: claims(filter: { kind: [EVENT] }) { edges { node { speaker { name } } } }
                   duration: claims(filter: { measure: \"duration\" }) { edges { node { quantity { lower unit value } } } }
                }",
                json!({}),
            )
            .await;
        let toll = &data["toll"]["edges"][0]["node"];
        assert_eq!(toll["quantity"], json!({ "value": "129", "subject": "November 2015 Paris attacks" }));
        assert_eq!(toll["currentVerdict"], "MOSTLY_TRUE");
        assert!(toll["verifications"]["edges"][0]["node"]["summary"].as_str().unwrap().contains("130"));
        let quotes = data["quotes"]["edges"].as_array().unwrap();
        assert_eq!(quotes.len(), 3);
        for quote in quotes {
            assert_eq!(quote["node"]["speaker"]["name"], "Francois Hollande");
            assert!(quote["node"]["setting"].as_str().unwrap().contains("Versailles"));
        }
        assert_eq!(data["event"]["edges"][0]["node"]["speaker"]["name"], "Islamic State");
        assert_eq!(data["duration"]["edges"][0]["node"]["quantity"], json!({ "lower": "1", "unit": "year", "value": null }));
    }
}

/// The binary's own commands, as an operator runs them.
#[test]
fn the_cli_loads_the_demo_twice_without_duplicates_and_prints_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_claimtrack"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let first = run(&["demo", "--database-url", &url]);
    assert!(
        first.contains("16 records created, 0 already present"),
        "{first}"
    );
    let second = run(&["demo", "--database-url", &url]);
    assert!(
        second.contains("0 records created, 16 already present"),
        "{second}"
    );
    let sdl = run(&["schema"]);
    assert_eq!(sdl, claimtrack::graphql::sdl());
    run(&["migrate", "--database-url", &url]);

    let created = run(&[
        "keys",
        "create",
        "--name",
        "dashboard",
        "--role",
        "viewer",
        "--expires-in",
        "30",
        "--database-url",
        &url,
    ]);
    let secret = created
        .split_whitespace()
        .find(|w| w.starts_with("ct_"))
        .unwrap()
        .to_owned();
    let key_id = &secret[3..15];
    let listed = run(&["keys", "list", "--database-url", &url]);
    let line = listed.lines().find(|l| l.starts_with(key_id)).unwrap();
    assert!(
        line.contains("dashboard") && line.contains("viewer"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "the list never shows secrets");
    run(&["keys", "revoke", key_id, "--database-url", &url]);
    let listed = run(&["keys", "list", "--database-url", &url]);
    let line = listed.lines().find(|l| l.starts_with(key_id)).unwrap();
    assert!(
        !line.trim_end().ends_with('-'),
        "revoked time shown: {line}"
    );
}
