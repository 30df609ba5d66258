//! Contract checks for what documents are branded with: the account's
//! letterhead settings and its logo.

use chrono::Duration;

use crate::model::{
    AccentColour, Account, Address, Logo, LogoFormat, PaymentInstructions, SettingsPatch,
};
use crate::ports::Store;

use super::Fixture;

/// A PNG of 400×120 pixels whose body holds every byte value, long
/// enough to show a store keeps large values whole.
fn png() -> Logo {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&400u32.to_be_bytes());
    bytes.extend_from_slice(&120u32.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes.extend((0..300_000u32).map(|i| u8::try_from(i % 251).expect("a byte")));
    Logo::new(LogoFormat::Png, bytes).expect("fixture PNG")
}

fn svg(colour: &str) -> Logo {
    let text = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>Northwind «Studio» ✏️</title><rect fill="{colour}" width="10" height="10"/></svg>"#
    );
    Logo::new(LogoFormat::Svg, text.into_bytes()).expect("fixture SVG")
}

pub async fn letterhead_settings_round_trip_set_and_cleared(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Northwind Studio").await;
    let stored = store.account(account.id).await.unwrap().unwrap();
    assert_eq!(stored.settings.address, None);
    assert_eq!(stored.settings.accent_colour, AccentColour::DEFAULT);
    assert_eq!(stored.settings.payment_instructions, None);

    let address = Address::parse(
        "address",
        "Northwind Studio\n12 rue de l'Église\n75001 Paris «France»",
    )
    .unwrap();
    let instructions = PaymentInstructions::parse(
        "payment_instructions",
        "IBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP\nQuote the invoice number ✓",
    )
    .unwrap();
    let branded = Account {
        settings: account
            .settings
            .apply(SettingsPatch {
                address: Some(Some(address.clone())),
                accent_colour: Some(AccentColour::parse("accent_colour", "#C0FFEE").unwrap()),
                payment_instructions: Some(Some(instructions.clone())),
                ..SettingsPatch::default()
            })
            .unwrap(),
        updated_at: f.now + Duration::seconds(5),
        ..account.clone()
    };
    assert!(store.update_account(&account, &branded).await.unwrap());
    let stored = store.account(account.id).await.unwrap().unwrap();
    assert_eq!(stored, branded);
    assert_eq!(stored.settings.accent_colour.to_string(), "#c0ffee");

    // Each of them is compared: a writer that read another value of any
    // one of them loses, and nothing is written.
    let stale = [
        SettingsPatch {
            address: Some(None),
            ..SettingsPatch::default()
        },
        SettingsPatch {
            accent_colour: Some(AccentColour::DEFAULT),
            ..SettingsPatch::default()
        },
        SettingsPatch {
            payment_instructions: Some(Some(
                PaymentInstructions::parse("payment_instructions", "Cheques to Northwind").unwrap(),
            )),
            ..SettingsPatch::default()
        },
    ];
    for patch in stale {
        let read_before = Account {
            settings: branded.settings.apply(patch.clone()).unwrap(),
            ..branded.clone()
        };
        assert!(
            !store.update_account(&read_before, &account).await.unwrap(),
            "{patch:?}"
        );
        assert_eq!(
            store.account(account.id).await.unwrap(),
            Some(branded.clone())
        );
    }

    let cleared = Account {
        settings: branded
            .settings
            .apply(SettingsPatch {
                address: Some(None),
                accent_colour: Some(AccentColour::DEFAULT),
                payment_instructions: Some(None),
                ..SettingsPatch::default()
            })
            .unwrap(),
        updated_at: f.now + Duration::seconds(10),
        ..branded.clone()
    };
    assert_eq!(cleared.settings, account.settings);
    assert!(store.update_account(&branded, &cleared).await.unwrap());
    assert_eq!(store.account(account.id).await.unwrap(), Some(cleared));
}

pub async fn logos_are_set_replaced_and_removed_per_account(store: &dyn Store) {
    let f = Fixture::new(store);
    let account = f.account("Northwind Studio").await;
    let other = f.account("Other").await;
    assert_eq!(store.logo(account.id).await.unwrap(), None);

    let (png, blue, red) = (png(), svg("#1f4e79"), svg("red"));
    store.set_logo(account.id, Some(&png), f.now).await.unwrap();
    assert_eq!(store.logo(account.id).await.unwrap(), Some(png.clone()));
    assert_eq!(store.logo(other.id).await.unwrap(), None);
    // The account itself is read as before.
    assert_eq!(
        store.account(account.id).await.unwrap(),
        Some(account.clone())
    );

    store.set_logo(other.id, Some(&red), f.now).await.unwrap();
    let later = f.now + Duration::minutes(5);
    store
        .set_logo(account.id, Some(&blue), later)
        .await
        .unwrap();
    assert_eq!(store.logo(account.id).await.unwrap(), Some(blue.clone()));
    assert_eq!(store.logo(other.id).await.unwrap(), Some(red.clone()));

    store.set_logo(account.id, None, later).await.unwrap();
    assert_eq!(store.logo(account.id).await.unwrap(), None);
    assert_eq!(store.logo(other.id).await.unwrap(), Some(red.clone()));
    // Removing what is not there changes nothing.
    store.set_logo(account.id, None, later).await.unwrap();
    assert_eq!(store.logo(other.id).await.unwrap(), Some(red));

    store
        .set_logo(account.id, Some(&png), later + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(store.logo(account.id).await.unwrap(), Some(png.clone()));

    // A logo belongs to an account that exists.
    let stranger = crate::model::AccountId::generate(f.random());
    assert!(store.set_logo(stranger, Some(&png), later).await.is_err());
    assert_eq!(store.logo(stranger).await.unwrap(), None);
}
