//! Ways events come in besides `POST /v1/events`: EDIFACT interchanges (API upload and the
//! `import` command), signed carrier webhooks, and the NATS JetStream stream.

pub mod edifact;
pub mod nats;
pub mod webhook;
