//! Ways events come in besides `POST /v1/events`: EDIFACT interchanges (API upload and the
//! `import` command) and signed carrier webhooks.

pub mod edifact;
pub mod webhook;
