//! The integration tests, one binary (one link) with a module per area. `common` drives the real
//! router over a real database (SQLite, or a fresh Postgres schema); `real_server` runs the real
//! `icp-builder` binary as a child process and talks HTTP/1.1 to it.
//!
//! Every test shares this one process: a test that changes something process-wide (the search
//! limit) puts it back when it ends, and the counting allocator's measurements
//! (`memory_budget`) each run in a process of their own.

mod common;
mod real_server;

mod api;
mod cli;
mod conditional;
mod cross_user;
mod events;
mod fault;
mod headers;
mod history;
mod mail;
mod memory_budget;
mod module_graph;
mod observability;
mod ops;
mod pages;
mod process;
mod properties;
mod roles;
mod search_limit;
mod sign_up_refusals;
mod token_scopes;
mod transfer;
mod trust;
mod two_instances;
mod web_auth;
mod webhook_delivery;
mod webhook_pages;
mod webhooks;
mod workspaces;
