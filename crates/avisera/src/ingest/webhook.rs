//! Signed carrier webhooks (placeholder until the next commit).
