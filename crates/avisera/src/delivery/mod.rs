//! Sending what the engine stored: the worker that claims due notifications and the channels
//! that carry them (SMTP, an SMS provider's HTTP API, the dev inbox), each channel's providers
//! in the operator's order behind a router that fails over.

mod budget;
pub mod channel;
pub mod handoff;
pub mod limits;
pub mod router;
mod send;
pub mod worker;
