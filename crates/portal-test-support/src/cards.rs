//! A card-number scanner: finds what could be a payment card number (a run
//! of 13 to 19 digits passing the Luhn check) in a response body, a log or
//! a database dump, so tests can show none ever leaks.

/// Every run of 13 to 19 ASCII digits in `text` that passes the Luhn
/// check, in order. A run is all the digits between two non-digits: a
/// longer run (a 20-digit number) is not a card number and none of its
/// parts is taken for one.
pub fn find_card_numbers(text: &str) -> Vec<String> {
    text.as_bytes()
        .split(|b| !b.is_ascii_digit())
        .filter(|run| (13..=19).contains(&run.len()) && luhn_valid(run))
        .map(|run| String::from_utf8_lossy(run).into_owned())
        .collect()
}

/// Whether ASCII `digits` pass the Luhn check.
fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Fails the test when `text` holds something that could be a card
/// number; `what` names where it came from ("the pay page's body"). The
/// message shows only the first six and last four digits of each.
///
/// # Panics
/// When a card number is found.
pub fn assert_no_card_numbers(what: &str, text: &str) {
    let found = find_card_numbers(text);
    if !found.is_empty() {
        let masked: Vec<String> = found.iter().map(|n| mask(n)).collect();
        panic!(
            "{what} holds {} possible card number(s): {}",
            found.len(),
            masked.join(", ")
        );
    }
}

/// `424242…4242 (16 digits)`.
fn mask(number: &str) -> String {
    let len = number.len();
    format!(
        "{}…{} ({len} digits)",
        &number[..6.min(len)],
        &number[len.saturating_sub(4)..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_card_numbers_are_found_wherever_they_stand() {
        assert_eq!(
            find_card_numbers("4242424242424242"),
            vec!["4242424242424242"]
        );
        assert_eq!(
            find_card_numbers(r#"{"number":"4000002760003184","other":"x4000000000000341y"}"#),
            vec!["4000002760003184", "4000000000000341"]
        );
        // 13 and 19 digits: the shortest and longest card numbers.
        assert_eq!(find_card_numbers("a4222222222222b"), vec!["4222222222222"]);
        assert_eq!(
            find_card_numbers("6011000990139424123"),
            Vec::<String>::new(),
            "a 19-digit run that fails the Luhn check"
        );
        assert_eq!(
            find_card_numbers("n=4000000000000000006"),
            vec!["4000000000000000006"]
        );
    }

    #[test]
    fn numbers_written_with_spaces_or_inside_longer_runs_are_not_cards() {
        assert!(find_card_numbers("4242 4242 4242 4242").is_empty());
        assert!(find_card_numbers("4242-4242-4242-4242").is_empty());
        assert!(find_card_numbers("04242424242424242000").is_empty());
        assert!(find_card_numbers("42424242424242420000000").is_empty());
        assert!(find_card_numbers("424242424242").is_empty());
    }

    #[test]
    fn identifiers_times_and_amounts_are_not_cards() {
        for text in [
            "8d3c0b4e-4a7f-4f0a-9e3b-2c1d5e6f7a8b",
            "00000000-0000-4000-8000-000000000000",
            "2026-11-26T06:35:03.123456Z",
            "2026-11-26 06:35:03.123456+00",
            "1764138903",
            "1764138903123",
            r#"{"amount_minor":4900,"currency":"USD","amount":"49.00"}"#,
            r#"{"amount_minor":99999999999999}"#,
            "t=1764138903,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
            "ch_test_kdjfhgkdjfhgkdjfhgkdjfhg",
        ] {
            assert_eq!(find_card_numbers(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn the_assertion_names_the_place_and_masks_the_number() {
        assert_no_card_numbers("a clean body", "Visa •••• 4242, paid 49.00 USD");
        let caught = std::panic::catch_unwind(|| {
            assert_no_card_numbers("the pay page", "<input value=\"4242424242424242\">");
        })
        .unwrap_err();
        let message = caught
            .downcast_ref::<String>()
            .expect("a formatted panic message");
        assert!(message.contains("the pay page"), "{message}");
        assert!(message.contains("424242…4242 (16 digits)"), "{message}");
        assert!(find_card_numbers(message).is_empty(), "{message}");
    }
}
