//! Integration tests over real HTTP: a server on a random port and a fresh database per
//! test, each test run on SQLite and (when TEST_POSTGRES_URL is set) on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod helpers;

mod articles;
mod assignments;
mod audit;
mod auth;
mod checked_before;
mod claims;
mod compiled;
mod demo;
mod desk;
mod extraction;
mod history;
mod hostile;
mod http;
mod interchange;
mod limits;
mod live;
mod merges;
mod notes;
mod paging;
mod quantities;
mod records;
mod rest;
mod reviews;
mod schema_org;
mod schema_sdl;
mod search;
mod sockets;
mod sources;
mod statements;
mod tags;
mod verifications;
mod webhooks;
