//! Whether a request for a tracking link is a person's visit: link previews (chat apps and
//! social sites fetching the page to draw a card) and HEAD requests are not, so they are not
//! counted as clicks or page views.

/// User-agent fragments of the link-preview fetchers and crawlers we know, compared without
/// regard to case. A small list on purpose: an unknown bot counts as a visit, which only
/// overstates clicks; a person never goes uncounted for looking like one. iMessage's preview
/// names itself `facebookexternalhit` and `Twitterbot` after an old Safari string.
pub const PREVIEW_AGENTS: &[&str] = &[
    "slackbot",
    "slack-imgproxy",
    "facebookexternalhit",
    "facebot",
    "whatsapp",
    "telegrambot",
    "twitterbot",
    "linkedinbot",
    "discordbot",
    "googlebot",
    "bingbot",
    "applebot",
    "skypeuripreview",
    "microsoftpreview",
    "pinterestbot",
    "redditbot",
    "embedly",
    "viber",
    "snapchat",
    "mattermost",
    "iframely",
];

/// A request for a tracking link, as far as counting it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// `GET`, `HEAD`, ...
    pub method: &'a str,
    pub user_agent: Option<&'a str>,
}

/// True when the request is a person's visit: a GET from anything but a known preview bot.
pub fn counts(request: Request<'_>) -> bool {
    if !request.method.eq_ignore_ascii_case("GET") {
        return false;
    }
    match request.user_agent {
        Some(agent) => !is_preview(agent),
        None => true,
    }
}

/// True for a known link-preview fetcher's user agent.
pub fn is_preview(user_agent: &str) -> bool {
    let agent = user_agent.to_ascii_lowercase();
    PREVIEW_AGENTS.iter().any(|bot| agent.contains(bot))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
    const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";

    #[test]
    fn people_count_and_previews_and_heads_do_not() {
        let table: &[(&str, Option<&str>, bool)] = &[
            ("GET", Some(IPHONE), true),
            ("GET", Some(ANDROID), true),
            (
                "GET",
                Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"),
                true,
            ),
            ("GET", None, true),
            ("get", Some(IPHONE), true),
            ("HEAD", Some(IPHONE), false),
            ("POST", Some(IPHONE), false),
            (
                "GET",
                Some("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
                false,
            ),
            (
                "GET",
                Some("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
                false,
            ),
            ("GET", Some("WhatsApp/2.23.20.0 A"), false),
            ("GET", Some("TelegramBot (like TwitterBot)"), false),
            ("GET", Some("Twitterbot/1.0"), false),
            (
                "GET",
                Some("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"),
                false,
            ),
            (
                "GET",
                Some("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"),
                false,
            ),
            (
                "GET",
                Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
                false,
            ),
            (
                "GET",
                Some("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"),
                false,
            ),
            (
                "GET",
                Some(
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1)",
                ),
                false,
            ),
            (
                "GET",
                Some("Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5"),
                false,
            ),
            // iMessage's preview.
            (
                "GET",
                Some(
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
                ),
                false,
            ),
        ];
        for (method, agent, counted) in table {
            assert_eq!(
                counts(Request {
                    method,
                    user_agent: *agent
                }),
                *counted,
                "{method} {agent:?}"
            );
        }
    }
}
