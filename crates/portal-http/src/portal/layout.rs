//! The HTML frame every portal page shares, and small pieces of markup.
//! maud escapes every interpolated value, so names and numbers the
//! business typed can never become markup.

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};
use maud::{DOCTYPE, Markup, html};
use portal_domain::{DocumentStatus, Money, TimeZone, Token};

/// A full page. `header` is the signed-in bar, when there is a session.
pub(crate) fn page(title: &str, header: Option<Markup>, body: Markup) -> Markup {
    page_with_scripts(title, header, body, &[])
}

/// A full page that loads `scripts`, in order, at the end of its body:
/// only payment pages do, under their own Content-Security-Policy.
pub(crate) fn page_with_scripts(
    title: &str,
    header: Option<Markup>,
    body: Markup,
    scripts: &[String],
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) }
                link rel="stylesheet" href="/assets/portal.css";
                link rel="icon" type="image/svg+xml" href="/assets/icon.svg";
            }
            body {
                @if let Some(header) = header {
                    (header)
                }
                main { (body) }
                @for src in scripts {
                    script src=(src) {}
                }
            }
        }
    }
}

/// The bar at the top of a signed-in page.
pub(crate) fn signed_in_bar(account: &str, contact: &str, company: &str) -> Markup {
    html! {
        header.bar {
            div.brand {
                span.account { (account) }
                span.muted { " · Billing portal" }
            }
            nav.nav aria-label="Portal" {
                a href="/portal" { "Invoices" }
                a #nav-statements href="/portal/statements" { "Statements" }
                a #nav-methods href="/portal/methods" { "Payment methods" }
            }
            div.who {
                span { (contact) span.muted { " · " (company) } }
                form method="post" action="/portal/logout" {
                    button.link-button type="submit" { "Sign out" }
                }
            }
        }
    }
}

/// The banner every page of a test-mode processor carries.
pub(crate) fn test_mode_banner() -> Markup {
    html! {
        p #test-mode .test-mode role="note" { "Test mode — no real money moves" }
    }
}

/// A page with one centred card: the link, sign-in and error pages.
pub(crate) fn card(title: &str, body: Markup) -> Markup {
    page(title, None, html! { section.card.narrow { (body) } })
}

/// The "email me a new link" form. `link` is the token of the dead link
/// the client opened, if any: it tells the portal which business to ask.
/// Only a well-formed token goes back into the page.
pub(crate) fn request_form(link: Option<&str>, error: Option<&str>) -> Markup {
    let link = link.and_then(Token::parse);
    let link = link.as_ref().map(Token::expose);
    html! {
        form.request method="post" action="/portal/request-link" {
            @if let Some(link) = link {
                input type="hidden" name="link" value=(link);
            }
            label for="email" { "Your email address" }
            input #email type="email" name="email" required autocomplete="email" maxlength="254"
                aria-invalid=[error.map(|_| "true")];
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            button type="submit" { "Email me a new link" }
        }
    }
}

pub(crate) fn date(day: NaiveDate) -> String {
    // What `%-d %b %Y` writes, without parsing a format on every cell;
    // years of other than four digits (chrono signs them) go to chrono.
    if !(0..=9999).contains(&day.year()) {
        return day.format("%-d %b %Y").to_string();
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS[day.month0() as usize % 12];
    format!("{} {month} {:04}", day.day(), day.year())
}

/// The calendar day of `at` in the account's time zone, as `date` writes
/// it.
pub(crate) fn local_date(zone: TimeZone, at: DateTime<Utc>) -> String {
    date(zone.local(at).date())
}

/// The status badge of a document as the client sees it; `overdue` as
/// reckoned on the account's today.
pub(crate) fn status_badge(status: DocumentStatus, overdue: bool) -> Markup {
    let (class, text) = match status {
        _ if overdue => ("badge overdue", "Overdue"),
        DocumentStatus::Open => ("badge due", "Due"),
        DocumentStatus::PartiallyPaid => ("badge partial", "Partially paid"),
        DocumentStatus::Sent => ("badge", "Sent"),
        DocumentStatus::Paid => ("badge paid", "Paid"),
        DocumentStatus::Void => ("badge void", "Void"),
        DocumentStatus::Draft => ("badge", "Draft"),
    };
    html! { span class=(class) { (text) } }
}

/// Amounts, one per currency, joined for a sentence.
pub(crate) fn amounts(total: &[Money]) -> String {
    total
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" + ")
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::date;

    #[test]
    fn dates_read_as_chrono_writes_them() {
        let mut day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        for _ in 0..800 {
            assert_eq!(date(day), day.format("%-d %b %Y").to_string());
            day = day.succ_opt().unwrap();
        }
        for (year, month, day) in [
            (987, 3, 9),
            (0, 1, 1),
            (9999, 12, 31),
            (10_000, 1, 1),
            (-44, 3, 15),
        ] {
            let day = NaiveDate::from_ymd_opt(year, month, day).unwrap();
            assert_eq!(date(day), day.format("%-d %b %Y").to_string());
        }
    }
}
