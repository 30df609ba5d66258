//! Rows of idempotency keys.

use diesel::prelude::*;
use portal_domain::ports::StoreError;
use portal_domain::{
    AccountId, Fingerprint, IdempotencyKey, IdempotencyRecord, IdempotencyState, StoredResponse,
};

use super::{corrupt, known, parsed, required};
use crate::schema::idempotency_keys;
use crate::sql_types::{Id, Time};

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = idempotency_keys, treat_none_as_null = true)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct IdempotencyRow {
    account_id: Id,
    key: String,
    fingerprint: String,
    claim: Option<Id>,
    lease_until: Option<Time>,
    response_status: Option<i32>,
    response_content_type: Option<String>,
    response_body: Option<Vec<u8>>,
    created_at: Time,
    expires_at: Time,
}

impl From<&IdempotencyRecord> for IdempotencyRow {
    fn from(r: &IdempotencyRecord) -> Self {
        let (claim, lease_until, response) = match &r.state {
            IdempotencyState::InProgress { claim, lease_until } => {
                (Some(Id(*claim)), Some(Time(*lease_until)), None)
            }
            IdempotencyState::Completed(response) => (None, None, Some(response)),
        };
        Self {
            account_id: Id(r.account_id.as_uuid()),
            key: r.key.as_str().to_owned(),
            fingerprint: r.fingerprint.to_hex(),
            claim,
            lease_until,
            response_status: response.map(|s| i32::from(s.status)),
            response_content_type: response.map(|s| s.content_type.clone()),
            response_body: response.map(|s| s.sealed_body.clone()),
            created_at: Time(r.created_at),
            expires_at: Time(r.expires_at),
        }
    }
}

impl TryFrom<IdempotencyRow> for IdempotencyRecord {
    type Error = StoreError;

    fn try_from(r: IdempotencyRow) -> Result<Self, StoreError> {
        let state = match r.claim {
            Some(claim) => IdempotencyState::InProgress {
                claim: claim.0,
                lease_until: required("idempotency_keys.lease_until", r.lease_until)?.0,
            },
            None => {
                let status = required("idempotency_keys.response_status", r.response_status)?;
                IdempotencyState::Completed(StoredResponse {
                    status: u16::try_from(status).map_err(|_| {
                        corrupt(format_args!("idempotency_keys.response_status: {status}"))
                    })?,
                    content_type: required(
                        "idempotency_keys.response_content_type",
                        r.response_content_type,
                    )?,
                    sealed_body: required("idempotency_keys.response_body", r.response_body)?,
                })
            }
        };
        Ok(Self {
            account_id: AccountId::from_uuid(r.account_id.0),
            key: parsed("idempotency_keys.key", IdempotencyKey::parse("key", &r.key))?,
            fingerprint: known(
                "idempotency_keys.fingerprint",
                &r.fingerprint,
                Fingerprint::from_hex(&r.fingerprint),
            )?,
            state,
            created_at: r.created_at.0,
            expires_at: r.expires_at.0,
        })
    }
}
