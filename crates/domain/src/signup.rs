//! A business signing itself up: what the sign-up form must hold before anything is stored
//! (a valid organisation number, a company name, the first admin, a plan, the terms
//! accepted), and the tenant it becomes once the admin has confirmed their email.

use crate::Timestamp;
use crate::contact::EmailAddress;
use crate::organisation::{Country, OrganisationNumber};
use crate::plan::Plan;
use crate::tenant::Brand;
use crate::user::check_new_password;
use jiff::SignedDuration;

/// How long the emailed link to confirm a sign-up works.
pub const CONFIRM_WITHIN_HOURS: i64 = 24;

/// The form as typed, every field a string, so a refused form can be shown again as it was.
#[derive(Debug, Clone, Default)]
pub struct SignUpForm {
    pub country: String,
    pub organisation_number: String,
    pub company: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub plan: String,
    pub terms_accepted: bool,
    pub language: String,
}

/// A checked sign-up, waiting for its admin to confirm the email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUp {
    pub organisation: OrganisationNumber,
    pub company: String,
    pub admin_name: String,
    pub email: EmailAddress,
    pub plan: Plan,
    /// One of `sv`, `nb`, `da`, `fi`, `en`: the confirmation email's and the new tenant's language.
    pub language: String,
    pub expires_at: Timestamp,
}

/// What is wrong with a field, in the order the form shows them.
pub type FieldErrors = Vec<(&'static str, String)>;

impl SignUpForm {
    /// Checks every field (not only the first wrong one), so the form shows all that needs
    /// fixing at once.
    pub fn check(&self, now: Timestamp) -> Result<SignUp, FieldErrors> {
        let mut errors = FieldErrors::new();
        let country = self.country.parse::<Country>();
        let organisation = match &country {
            Ok(c) => OrganisationNumber::parse(*c, &self.organisation_number)
                .map_err(|e| errors.push(("organisation_number", e)))
                .ok(),
            Err(e) => {
                errors.push(("country", e.clone()));
                None
            }
        };
        let company = one_line(&self.company);
        if company.is_empty() {
            errors.push(("company", "enter the company's name".into()));
        } else if company.chars().count() > 100 {
            errors.push(("company", "the company name is longer than 100 characters".into()));
        }
        let admin_name = one_line(&self.name);
        if admin_name.is_empty() {
            errors.push(("name", "enter your name".into()));
        } else if admin_name.chars().count() > 100 {
            errors.push(("name", "the name is longer than 100 characters".into()));
        }
        let email = EmailAddress::parse(&self.email)
            .map_err(|e| errors.push(("email", e.to_string())))
            .ok();
        if let Err(e) = check_new_password(&self.password) {
            errors.push(("password", e));
        }
        let plan = self.plan.parse::<Plan>().map_err(|e| errors.push(("plan", e))).ok();
        if !self.terms_accepted {
            errors.push(("terms", "accept the terms of service to create the account".into()));
        }
        // The page's language when Avisera speaks it (the emails and the new tenant's brand
        // use it), else English.
        let language = if crate::template::LANGUAGES.contains(&self.language.as_str()) {
            self.language.as_str()
        } else {
            "en"
        };
        match (organisation, email, plan) {
            (Some(organisation), Some(email), Some(plan)) if errors.is_empty() => Ok(SignUp {
                organisation,
                company,
                admin_name,
                email,
                plan,
                language: language.into(),
                expires_at: now
                    .saturating_add(SignedDuration::from_hours(CONFIRM_WITHIN_HOURS))
                    .unwrap_or(now),
            }),
            _ => Err(errors),
        }
    }
}

impl SignUp {
    /// The new tenant's brand: the company's name everywhere, its admin as customer service
    /// until they set another, in the language they signed up in.
    pub fn brand(&self) -> Brand {
        let mut brand = Brand::named(&self.company);
        brand.customer_service_email = Some(self.email.clone());
        brand.default_language = self.language.clone();
        brand
    }
}

/// Names are shown in page titles and email headers: one line, no control characters.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-07T10:00:00Z".parse().unwrap()
    }

    fn good() -> SignUpForm {
        SignUpForm {
            country: "SE".into(),
            organisation_number: "556036-0793".into(),
            company: "  Webshop\tAB ".into(),
            name: "Anna Admin".into(),
            email: "Anna@Webshop.example".into(),
            password: "a long enough secret".into(),
            plan: "plus".into(),
            terms_accepted: true,
            language: "sv".into(),
        }
    }

    #[test]
    fn a_complete_form_becomes_a_sign_up_that_expires_in_a_day() {
        let s = good().check(now()).unwrap();
        assert_eq!(s.company, "Webshop AB");
        assert_eq!(s.organisation.to_string(), "556036-0793");
        assert_eq!(s.plan, Plan::Plus);
        assert_eq!(s.expires_at, "2026-12-08T10:00:00Z".parse().unwrap());
        let brand = s.brand();
        assert_eq!(brand.brand_name, "Webshop AB");
        assert_eq!(brand.default_language, "sv");
        assert!(brand.check().is_ok());
    }

    #[test]
    fn the_page_language_is_kept_when_avisera_speaks_it_else_english() {
        for lang in ["sv", "nb", "da", "fi", "en"] {
            let s = SignUpForm {
                language: lang.into(),
                ..good()
            }
            .check(now())
            .unwrap();
            assert_eq!((s.language.as_str(), s.brand().default_language.as_str()), (lang, lang));
        }
        let s = SignUpForm {
            language: "de".into(),
            ..good()
        }
        .check(now())
        .unwrap();
        assert_eq!(s.language, "en");
    }

    #[test]
    fn every_wrong_field_is_named_at_once() {
        let form = SignUpForm {
            organisation_number: "556036-0794".into(),
            company: " ".into(),
            email: "not an address".into(),
            password: "short".into(),
            terms_accepted: false,
            ..good()
        };
        let fields: Vec<&str> = form.check(now()).unwrap_err().iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["organisation_number", "company", "email", "password", "terms"]);
        let unknown = SignUpForm {
            country: "DE".into(),
            plan: "gold".into(),
            ..good()
        };
        let fields: Vec<&str> = unknown.check(now()).unwrap_err().iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["country", "plan"]);
    }
}
