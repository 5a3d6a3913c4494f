//! Sending what the engine stored: the worker that claims due notifications and the channels
//! that carry them (SMTP, an SMS provider's HTTP API, the dev inbox).

mod budget;
pub mod channel;
pub mod limits;
mod send;
pub mod worker;
