//! Fresh identifiers for what the test processor makes. They are written
//! in letters only, so no identifier ever holds a run of digits a
//! card-number scanner could take for a card.

use portal_domain::model::ProcessorRef;

/// `bytes` random bytes, each as two letters from `a` to `p`.
pub(crate) fn letters(bytes: usize) -> String {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random).expect("the OS has randomness");
    random
        .iter()
        .flat_map(|byte| [byte >> 4, byte & 0x0f])
        .map(|nibble| char::from(b'a' + nibble))
        .collect()
}

/// Lower-case hexadecimal.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|byte| [byte >> 4, byte & 0x0f])
        .map(|nibble| char::from(DIGITS[usize::from(nibble)]))
        .collect()
}

/// A fresh reference: `<prefix>_test_<24 letters>`.
pub(crate) fn reference(prefix: &str) -> ProcessorRef {
    ProcessorRef::parse(&format!("{prefix}_test_{}", letters(12)))
        .unwrap_or_else(|_| unreachable!("a reference is short printable ASCII"))
}
