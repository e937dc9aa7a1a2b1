//! claimtrack: a service for tracking claims in the news and what checkers found.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod dialect;
pub mod domain;
pub mod entity;
pub mod error;
pub mod extract;
pub mod graphql;
pub mod health;
pub mod interchange;
pub mod live;
pub mod rest;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod views;
pub mod web;
pub mod webhooks;
