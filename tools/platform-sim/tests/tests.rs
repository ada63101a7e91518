//! Integration tests of the demo platform: the real server on an ephemeral
//! port over TLS, called with a reqwest client that trusts only the test CA.

mod audit;
mod auth;
mod changes;
mod cli;
mod everything;
mod faults;
mod fixtures;
mod generator;
mod referrals;
mod search;
mod support;
