//! Public links: `/s/{tenant}/{shipment}/{token}` (and the first `/t/...` form) for the
//! tracking page, `/u/<receiver token>` and `/p/<receiver token>` for the receiver's opt-out
//! and preferences, and the first `/u/{tenant}/{token}?a={address}` opt-out, still honoured.
//! Signed links carry an HMAC-SHA256 of what they name under the node's `link_secret`, so
//! they cannot be guessed or altered, and any node with the same secret accepts them.

use avisera_domain::TenantId;
use avisera_domain::links::Links;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const TOKEN_BYTES: usize = 12;

pub struct SignedLinks {
    base: String,
    key: Vec<u8>,
}

#[derive(Clone, Copy)]
pub enum LinkKind {
    /// `/t/{tenant}/{tracking number}/{token}`: the first form, still honoured.
    Tracking,
    /// `/s/{tenant}/{shipment id}/{short token}`: what messages carry now.
    Shipment,
    Unsubscribe,
    /// The code after a shipment link that names the notification it came in (`visits`).
    Notification,
    /// `/o/{tenant}/{shipment id}/{short token}/{code}`: an email's open-tracking image.
    Open,
    /// An erased address's keyed hash, under which its opt-out still holds (`pseudonym`).
    Pseudonym,
}

impl SignedLinks {
    pub fn new(base: &str, key: &[u8]) -> Self {
        SignedLinks {
            base: base.trim_end_matches('/').to_string(),
            key: key.to_vec(),
        }
    }

    fn mac(&self, kind: LinkKind, tenant: TenantId, value: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        let kind = match kind {
            LinkKind::Tracking => "t",
            LinkKind::Shipment => "s",
            LinkKind::Unsubscribe => "u",
            LinkKind::Notification => "n",
            LinkKind::Open => "o",
            LinkKind::Pseudonym => "a",
        };
        // Lengths first, so no two different (kind, tenant, value) give the same input.
        for part in [kind.as_bytes(), tenant.0.to_string().as_bytes(), value.as_bytes()] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    pub fn token(&self, kind: LinkKind, tenant: TenantId, value: &str) -> String {
        hex::encode(&self.mac(kind, tenant, value).finalize().into_bytes()[..TOKEN_BYTES])
    }

    pub fn verify(&self, kind: LinkKind, tenant: TenantId, value: &str, token: &str) -> bool {
        match hex::decode(token) {
            Ok(bytes) if bytes.len() == TOKEN_BYTES => {
                self.mac(kind, tenant, value).verify_truncated_left(&bytes).is_ok()
            }
            _ => false,
        }
    }
}

impl SignedLinks {
    /// The keyed hash an erased address's opt-out is kept under (`privacy::hashed_address`):
    /// the full HMAC of the address (trimmed, lower case) for the tenant under `link_secret`,
    /// so the same address always meets it again and the hash gives no address back.
    pub fn pseudonym(&self, tenant: TenantId, address: &str) -> String {
        let address = address.trim().to_lowercase();
        let mac = self.mac(LinkKind::Pseudonym, tenant, &address).finalize().into_bytes();
        avisera_domain::privacy::hashed_address(&hex::encode(mac))
    }

    /// A 64-bit token in base 36 (at most 13 characters): short enough for an SMS, and far
    /// beyond guessing by trying links.
    pub fn short_token(&self, kind: LinkKind, tenant: TenantId, value: &str) -> String {
        let bytes = self.mac(kind, tenant, value).finalize().into_bytes();
        let mut n = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
        let mut digits = Vec::new();
        loop {
            digits.push(char::from_digit((n % 36) as u32, 36).expect("a base-36 digit"));
            n /= 36;
            if n == 0 {
                break;
            }
        }
        digits.iter().rev().collect()
    }

    pub fn verify_short(&self, kind: LinkKind, tenant: TenantId, value: &str, token: &str) -> bool {
        if token.is_empty() || token.len() > 13 {
            return false;
        }
        match u64::from_str_radix(token, 36) {
            Ok(n) if token.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()) => self
                .mac(kind, tenant, value)
                .verify_truncated_left(&n.to_be_bytes())
                .is_ok(),
            _ => false,
        }
    }
}

impl SignedLinks {
    /// The code that names a notification (by its dedupe key) among its shipment's: 40 bits
    /// in base 36 (at most 8 characters). It is only looked up among one shipment's
    /// notifications after the shipment's own token checked out, so it needs no more.
    pub fn notification_code(&self, tenant: TenantId, notification_key: &str) -> String {
        let bytes = self
            .mac(LinkKind::Notification, tenant, notification_key)
            .finalize()
            .into_bytes();
        let mut n = bytes[..5].iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
        let mut digits = Vec::new();
        loop {
            digits.push(char::from_digit((n % 36) as u32, 36).expect("a base-36 digit"));
            n /= 36;
            if n == 0 {
                break;
            }
        }
        digits.iter().rev().collect()
    }
}

/// Percent-encodes a query value (addresses hold `+` and `@`).
pub fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Links for SignedLinks {
    fn tracking(&self, tenant: TenantId, shipment: avisera_domain::ShipmentId, _tracking_number: &str) -> String {
        let token = self.short_token(LinkKind::Shipment, tenant, &shipment.to_string());
        format!("{}/s/{tenant}/{shipment}/{token}", self.base)
    }

    /// `/s/{tenant}/{shipment}/{token}/{code}`: the shipment's link and the notification's code.
    fn tracking_for(
        &self,
        tenant: TenantId,
        shipment: avisera_domain::ShipmentId,
        tracking_number: &str,
        notification_key: &str,
    ) -> String {
        let code = self.notification_code(tenant, notification_key);
        format!("{}/{code}", self.tracking(tenant, shipment, tracking_number))
    }

    /// `/o/{tenant}/{shipment}/{token}/{code}`: signed apart from the tracking link (its own
    /// kind), naming the notification by the same code.
    fn open_pixel(
        &self,
        tenant: TenantId,
        shipment: avisera_domain::ShipmentId,
        notification_key: &str,
    ) -> Option<String> {
        let token = self.short_token(LinkKind::Open, tenant, &shipment.to_string());
        let code = self.notification_code(tenant, notification_key);
        Some(format!("{}/o/{tenant}/{shipment}/{token}/{code}", self.base))
    }

    fn unsubscribe(&self, tenant: TenantId, address: &str) -> String {
        let token = self.token(LinkKind::Unsubscribe, tenant, address);
        format!("{}/u/{tenant}/{token}?a={}", self.base, query_value(address))
    }

    /// The token is random and stored: the link itself proves nothing, the store's lookup does.
    fn opt_out(&self, token: &avisera_domain::receiver::ReceiverToken) -> String {
        format!("{}/u/{token}", self.base)
    }

    fn preferences(&self, token: &avisera_domain::receiver::ReceiverToken) -> String {
        format!("{}/p/{token}", self.base)
    }

    /// Like the opt-out, named by the receiver's random token; the shipment's id only picks
    /// one of that receiver's shipments.
    fn rating(&self, token: &avisera_domain::receiver::ReceiverToken, shipment: avisera_domain::ShipmentId) -> String {
        format!("{}{}", self.base, avisera_domain::rating::rating_path(token, shipment))
    }

    /// Logos are public (they are in every email), so their links are not signed.
    fn logo(&self, tenant: TenantId, logo: avisera_domain::LogoId) -> String {
        format!("{}/l/{tenant}/{logo}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_what_they_were_made_for() {
        let links = SignedLinks::new("https://t.example/", b"secret");
        let t = links.token(LinkKind::Unsubscribe, TenantId(1), "+46701234567");
        assert!(links.verify(LinkKind::Unsubscribe, TenantId(1), "+46701234567", &t));
        assert!(!links.verify(LinkKind::Unsubscribe, TenantId(2), "+46701234567", &t));
        assert!(!links.verify(LinkKind::Tracking, TenantId(1), "+46701234567", &t));
        assert!(!links.verify(LinkKind::Unsubscribe, TenantId(1), "+46701234568", &t));
        assert!(!links.verify(LinkKind::Unsubscribe, TenantId(1), "+46701234567", "zz"));
        assert!(!SignedLinks::new("x", b"other").verify(LinkKind::Unsubscribe, TenantId(1), "+46701234567", &t));
        let s = links.short_token(LinkKind::Shipment, TenantId(1), "42");
        assert!(s.len() <= 13);
        assert!(links.verify_short(LinkKind::Shipment, TenantId(1), "42", &s));
        assert!(!links.verify_short(LinkKind::Shipment, TenantId(1), "43", &s));
        assert!(!links.verify_short(LinkKind::Shipment, TenantId(2), "42", &s));
        assert!(!links.verify_short(LinkKind::Shipment, TenantId(1), "42", &s.to_uppercase()));
        assert!(!links.verify_short(LinkKind::Shipment, TenantId(1), "42", "zzzzzzzzzzzzzz"));
        let code = links.notification_code(TenantId(1), "rule:1:shipment:42:delivered:x:sms:+4670");
        assert!(code.len() <= 8 && !code.contains('+'), "{code}");
        assert_ne!(
            code,
            links.notification_code(TenantId(2), "rule:1:shipment:42:delivered:x:sms:+4670")
        );
        assert_eq!(
            links.tracking_for(
                TenantId(1),
                avisera_domain::ShipmentId(42),
                "T",
                "rule:1:shipment:42:delivered:x:sms:+4670"
            ),
            format!("https://t.example/s/1/42/{s}/{code}")
        );
        assert_eq!(
            links.unsubscribe(TenantId(1), "+4670"),
            format!(
                "https://t.example/u/1/{}?a=%2B4670",
                links.token(LinkKind::Unsubscribe, TenantId(1), "+4670")
            )
        );
    }
}
