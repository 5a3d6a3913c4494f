//! The subjects of the bus, from the prefix.

/// The subjects under one prefix.
#[derive(Debug, Clone)]
pub struct Subjects {
    prefix: String,
}

impl Subjects {
    pub fn new(prefix: &str) -> Self {
        Subjects {
            prefix: prefix.to_string(),
        }
    }

    /// Where a carrier publishes events for `tenant`.
    pub fn events(&self, tenant: &str) -> String {
        format!("{}.events.{tenant}", self.prefix)
    }

    /// Every tenant's events: what the consumer reads.
    pub fn all_events(&self) -> String {
        format!("{}.events.>", self.prefix)
    }

    /// Where what could not be taken goes, by the tenant token it was published under.
    pub fn rejected(&self, tenant: &str) -> String {
        format!("{}.rejected.{tenant}", self.prefix)
    }

    pub fn all_rejected(&self) -> String {
        format!("{}.rejected.>", self.prefix)
    }

    /// The tenant token of an events subject: everything after `<prefix>.events.`. A subject
    /// with more tokens than that (`avisera.events.7.extra`) names no tenant: `None`.
    pub fn tenant_of<'s>(&self, subject: &'s str) -> Option<&'s str> {
        let rest = subject.strip_prefix(self.prefix.as_str())?.strip_prefix(".events.")?;
        (!rest.is_empty() && !rest.contains('.')).then_some(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_is_the_last_token_of_an_events_subject() {
        let s = Subjects::new("avisera");
        assert_eq!(s.tenant_of(&s.events("7")), Some("7"));
        assert_eq!(s.tenant_of("avisera.events.acme"), Some("acme"));
        assert_eq!(s.tenant_of("avisera.events.7.extra"), None);
        assert_eq!(s.tenant_of("avisera.events."), None);
        assert_eq!(s.tenant_of("avisera.rejected.7"), None);
        assert_eq!(s.tenant_of("aviseraX.events.7"), None);
        assert_eq!(s.rejected("7"), "avisera.rejected.7");
    }
}
