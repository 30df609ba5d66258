//! A client with invoices to pay, and payment bodies, for the payment
//! tests.

use serde_json::{Value, json};

use super::World;

/// Acme with a contact, a sent $1,000.00 invoice and a sent $500.00 one.
pub async fn acme() -> (World, String, String, String, String) {
    let w = World::new().await;
    let (client, contact) = w.client_and_contact("Acme", "ap@acme.example").await;
    let big = w.invoice(&client, "INV-1", "USD", 100_000).await;
    let small = w.invoice(&client, "INV-2", "USD", 50_000).await;
    w.send_invoice(&big, &contact).await;
    w.send_invoice(&small, &contact).await;
    (w, client, contact, big, small)
}

pub fn payment(client: &str, amount: i64, allocations: Value) -> Value {
    json!({
        "client_id": client, "amount": amount, "currency": "USD",
        "method": { "type": "manual", "kind": "bank_transfer" },
        "reference": "WIRE-7", "received_at": "2026-11-24T10:00:00Z",
        "allocations": allocations,
    })
}
