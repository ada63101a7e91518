//! ChartGuard's demo regional health information platform: FHIR R4 JSON over
//! TLS on loopback, deterministic synthetic patients plus third-party fixtures,
//! bearer-token checks against an OpenID issuer, and failure injection.
//!
//! Code map: [`certs`] (demo PKI), [`data`] (generator and fixture loader),
//! [`store`] (indexes), [`fhir`] (REST handlers), [`auth`] (JWT checks),
//! [`faults`] (failure injection), [`server`] (wiring and start-up),
//! [`resident_id`] (GB 11643 checksums); what clients write, in memory and
//! apart from the clinical data: [`audit`] (AuditEvents from workstations),
//! [`task`] (answers to referrals), [`records`] (what those two share).

pub mod audit;
pub mod auth;
pub mod certs;
pub mod data;
pub mod faults;
pub mod fhir;
pub mod records;
pub mod resident_id;
pub mod server;
pub mod store;
pub mod task;
