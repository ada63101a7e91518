//! Integration tests of the core, one binary (see STYLE.md). Modules are
//! named after what they test. They run against real components on
//! loopback: the demo platform (`tools/platform-sim`) over TLS with a CA made
//! for the test, and the real OpenID provider (`tools/idp`).

mod support;

mod audit;
mod bindings;
mod cache;
mod check;
mod config;
mod export;
mod history;
mod login;
mod offline;
mod privacy;
mod search;
mod tiers;
mod views;
