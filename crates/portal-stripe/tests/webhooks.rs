//! The webhooks localstripe sends, signed as Stripe signs them, read by
//! the adapter: a charge's success and a decline settle our payments; a
//! changed body or a late delivery is refused.

mod support;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use portal_domain::model::{ClientId, Currency, EmailAddress, Money, PaymentId, ProcessorRef};
use portal_domain::ports::{
    BrowserToken, ChargeRequest, ChargeSource, ChargeStatus, CustomerInfo, EventEffect, Processor,
    WebhookError, WebhookRequest,
};
use portal_domain::testing::SeededRandom;
use portal_domain::testing::processor_contract::TestCard;
use support::{StripeHarness, WEBHOOK_SECRET};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn random() -> &'static SeededRandom {
    static RANDOM: OnceLock<SeededRandom> = OnceLock::new();
    RANDOM.get_or_init(|| {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        SeededRandom::new(seed)
    })
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(SystemTime::now())
}

async fn customer(processor: &dyn Processor) -> ProcessorRef {
    let email = EmailAddress::parse("email", "billing@acme.test").unwrap();
    processor
        .create_customer(CustomerInfo {
            client: ClientId::generate(random()),
            name: "Acme",
            email: Some(&email),
        })
        .await
        .expect("a customer")
}

fn charge(customer: &ProcessorRef, source: ChargeSource) -> ChargeRequest {
    ChargeRequest {
        payment: PaymentId::generate(random()),
        customer: customer.clone(),
        source,
        amount: Money::new(4900, Currency::parse("currency", "USD").unwrap()),
        description: "Invoices INV-0001".into(),
    }
}

/// A request as received: lower-case header names with values, the body.
type Received = (Vec<(String, String)>, Vec<u8>);

/// A webhook endpoint on a free port that keeps what it receives.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let kept = Arc::clone(&kept);
                tokio::spawn(async move {
                    if let Some(request) = read_request(&mut stream).await {
                        kept.lock().unwrap().push(request);
                    }
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        Self {
            url,
            received,
            task,
        }
    }

    /// The first request whose body mentions `needle`, waiting up to ten
    /// seconds (localstripe sends about a second after the change).
    async fn wait_for(&self, needle: &str) -> Received {
        for _ in 0..100 {
            let found = self
                .received
                .lock()
                .unwrap()
                .iter()
                .find(|(_, body)| String::from_utf8_lossy(body).contains(needle))
                .cloned();
            if let Some(found) = found {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no webhook mentioning {needle} arrived");
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let headers: Vec<(String, String)> = head
        .split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())?;
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((headers, body))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhooks_localstripe_signs_are_verified_and_settle_our_payments() {
    let Some(harness) = StripeHarness::start("localstripe webhooks").await else {
        return;
    };
    let receiver = Receiver::start().await;
    let (status, _) = harness
        .post(
            &format!("/_config/webhooks/{}", PaymentId::generate(random())),
            &[
                ("url", receiver.url.as_str()),
                ("secret", WEBHOOK_SECRET),
                ("events[]", "payment_intent.succeeded"),
                ("events[]", "payment_intent.payment_failed"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let processor = harness.stripe();
    let customer = customer(processor).await;
    let card = harness.payment_method(TestCard::Succeeds).await;
    let paid = charge(
        &customer,
        ChargeSource::Token(BrowserToken::parse(&card).unwrap()),
    );
    let succeeded = processor.charge(&paid).await.unwrap();
    let declined_card = harness.payment_method(TestCard::Declines).await;
    let declined = charge(
        &customer,
        ChargeSource::Token(BrowserToken::parse(&declined_card).unwrap()),
    );
    let failed = processor.charge(&declined).await.unwrap();
    assert!(
        matches!(failed.status, ChargeStatus::Failed { .. }),
        "{failed:?}"
    );

    let succeeded_ref = succeeded.reference.unwrap();
    let (headers, body) = receiver.wait_for(succeeded_ref.as_str()).await;
    let request = WebhookRequest {
        headers: &headers,
        body: &body,
        now: now(),
    };
    let events = processor.parse_webhook(&request).expect("a verified event");
    assert_eq!(events.len(), 1);
    assert!(events[0].id.as_str().starts_with("evt_"));
    assert_eq!(
        events[0].effect,
        EventEffect::ChargeSucceeded {
            reference: succeeded_ref,
            payment: Some(paid.payment),
            method: None,
        }
    );

    let failed_ref = failed.reference.unwrap();
    let (headers, body) = receiver.wait_for(failed_ref.as_str()).await;
    let request = WebhookRequest {
        headers: &headers,
        body: &body,
        now: now(),
    };
    let events = processor.parse_webhook(&request).expect("a verified event");
    match &events[0].effect {
        EventEffect::ChargeFailed {
            reference,
            payment,
            message,
        } => {
            assert_eq!(reference, &failed_ref);
            assert_eq!(payment, &Some(declined.payment));
            assert_eq!(message, "Your card was declined.");
        }
        other => panic!("{other:?}"),
    }

    let mut forged = body.clone();
    forged.extend_from_slice(b" ");
    let request = WebhookRequest {
        headers: &headers,
        body: &forged,
        now: now(),
    };
    assert_eq!(
        processor.parse_webhook(&request),
        Err(WebhookError::BadSignature)
    );
    let late = WebhookRequest {
        headers: &headers,
        body: &body,
        now: now() + chrono::Duration::minutes(6),
    };
    assert_eq!(processor.parse_webhook(&late), Err(WebhookError::Stale));
}
