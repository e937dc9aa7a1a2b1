//! `schema.graphql` at the repository root is the SDL printed by `claimtrack schema`.

#[test]
fn schema_graphql_is_the_sdl_of_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let current = claimtrack::graphql::sdl();
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == current,
        "schema.graphql differs from the code; regenerate it with:\n    cargo run -- schema > schema.graphql"
    );
}
