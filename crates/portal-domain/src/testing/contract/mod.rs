//! The store contract: one suite every [`Store`] adapter must pass.
//!
//! An adapter crate runs it with [`store_contract_tests!`], naming an async
//! function that returns a fresh, empty, migrated store wrapped in anything
//! implementing [`Harness`] (so a test database can be dropped after).
//!
//! [`store_contract_tests!`]: crate::store_contract_tests

mod access;
mod accounts;
mod batch;
mod branding;
mod contacts;
mod crm;
mod documents;
mod fixture;
mod idempotency;
mod outbox;
mod outbox_admin;
mod overview;
mod payments;
mod processor;
mod redemption;
mod requests;
mod sessions;
mod statements;

use std::future::Future;

use crate::model::{Cursor, Page, PageRequest};
use crate::ports::Store;

pub use access::*;
pub use accounts::*;
pub use batch::*;
pub use branding::*;
pub use contacts::*;
pub use crm::*;
pub use documents::*;
pub use idempotency::*;
pub use outbox::*;
pub use outbox_admin::*;
pub use overview::*;
pub use payments::*;
pub use processor::*;
pub use redemption::*;
pub use requests::*;
pub use sessions::*;
pub use statements::*;

pub(crate) use fixture::{Fixture, date};

/// Something that owns a store under test. `None` means the store's
/// service was deliberately switched off for this run (the harness must
/// refuse that in CI); the test then returns without checking anything.
pub trait Harness {
    fn store(&self) -> Option<&dyn Store>;
}

impl<S: Store> Harness for S {
    fn store(&self) -> Option<&dyn Store> {
        Some(self)
    }
}

/// Generates one test per contract check. `$make` is an async function
/// returning a fresh [`Harness`]. With `blocking`, tests run on this
/// crate's own executor (for stores that never wait); otherwise on tokio's
/// multi-threaded runtime, which the calling crate must depend on.
#[macro_export]
macro_rules! store_contract_tests {
    ($make:path) => {
        $crate::store_contract_tests!(@list tokio $make);
    };
    (blocking $make:path) => {
        $crate::store_contract_tests!(@list blocking $make);
    };
    (@list $mode:ident $make:path) => {
        $crate::store_contract_tests!(@each $mode $make;
            accounts_round_trip,
            api_keys_find_their_account_only,
            the_sole_account_is_known_only_when_alone,
            demo_account_is_the_oldest_demo,
            letterhead_settings_round_trip_set_and_cleared,
            logos_are_set_replaced_and_removed_per_account,
            api_keys_are_listed_oldest_first_in_pages,
            api_keys_are_revoked_but_never_the_last_active_one,
            clients_are_scoped_to_their_account,
            clients_are_paged_without_gaps_or_duplicates,
            client_updates_are_written,
            closing_a_portal_revokes_live_sessions_and_unused_links,
            a_closed_portal_takes_no_new_links_or_sessions,
            contact_emails_are_unique_per_client,
            contacts_are_found_by_email_across_clients,
            contacts_are_paged_oldest_first,
            contact_updates_are_compare_and_set,
            a_contact_email_clash_writes_nothing,
            changing_a_contact_revokes_its_access_only,
            an_inactive_contact_takes_no_new_links_or_sessions,
            documents_round_trip_with_their_lines,
            document_numbers_are_unique_per_account_and_kind,
            documents_are_filtered_and_listed_newest_first,
            client_documents_are_the_sent_ones_by_issue_date,
            document_status_changes_are_compare_and_set,
            recipients_are_listed_once_in_first_sent_order,
            payments_round_trip_and_settle_their_invoices,
            pending_and_failed_payments_do_not_count_as_paid,
            refunds_reopen_invoices_and_compare_the_payment_version,
            payments_are_listed_newest_first_and_filtered,
            the_overview_sums_ledgers_and_pages_both_lists,
            statement_currencies_are_those_of_sent_invoices_and_succeeded_payments,
            statement_invoices_are_the_sent_unvoided_ones_through_a_date,
            statement_invoices_are_paged_by_issue_date_then_id,
            statement_payments_are_the_succeeded_ones_before_a_time,
            statement_payments_are_paged_by_time_then_id,
            a_batch_applies_every_write,
            a_lost_compare_and_set_late_in_a_batch_writes_nothing,
            a_closed_portal_late_in_a_batch_writes_nothing,
            links_round_trip_and_revoke,
            a_link_is_redeemed_once,
            expired_or_revoked_links_are_not_redeemed,
            redeeming_activates_a_pending_session,
            redeeming_revokes_the_replaced_session,
            a_link_context_is_the_link_with_everything_it_resolves_to,
            a_redemption_ends_the_old_session_only_when_another_live_one,
            refused_redemptions_write_nothing,
            an_activation_that_finds_no_pending_session_writes_nothing,
            sessions_resolve_by_secret_with_their_context,
            sessions_are_listed_newest_first_and_filtered,
            sessions_are_touched_and_revoked_once,
            revoking_a_pending_session_revokes_its_link,
            audit_trails_are_ordered_and_scoped,
            audit_details_round_trip,
            link_requests_are_counted_and_forgotten,
            link_requests_enqueue_their_job_only_when_allowed,
            outbox_items_round_trip,
            claims_take_due_items_oldest_first,
            leases_are_exclusive_until_they_expire,
            settling_needs_the_claim_that_holds_the_item,
            a_dead_delivery_revokes_its_unused_link,
            completing_an_item_in_a_batch_needs_its_claim,
            only_failed_or_dead_items_are_retried,
            the_outbox_is_listed_newest_first_and_counted,
            a_request_key_is_begun_once,
            stale_requests_are_taken_over,
            finishing_and_abandoning_need_the_claim,
            the_first_server_key_is_the_only_one,
            a_retry_can_point_an_email_at_a_fresh_link,
            sent_items_are_forgotten_after_a_while,
            a_link_minted_for_an_old_address_is_not_stored,
            expired_requests_are_forgotten,
            processor_connections_are_put_replaced_and_deleted,
            connection_health_is_recorded_for_the_current_connection_only,
            processor_customers_are_stored_once_per_client_and_connection,
            saved_methods_list_the_default_first_then_oldest,
            a_new_default_method_takes_over_from_the_old,
            a_method_saved_again_replaces_the_one_with_its_reference,
            removing_or_defaulting_a_missing_method_loses_the_batch,
            methods_are_scoped_to_their_account,
            checkouts_round_trip_and_are_submitted_once,
            concurrent_checkout_submissions_have_one_winner,
            forgotten_checkouts_are_the_expired_unsubmitted_ones,
            processor_payments_round_trip_with_method_and_failure,
            payment_updates_compare_the_version,
            payments_are_found_by_their_charge_reference,
            pending_processor_payments_are_listed_oldest_first,
            processor_events_are_recorded_once,
            a_lost_processor_write_late_in_a_batch_writes_nothing,
            the_store_answers_pings,
        );
    };
    (@each tokio $make:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $check() {
                let harness = $make().await;
                if let Some(store) = $crate::testing::contract::Harness::store(&harness) {
                    $crate::testing::contract::$check(store).await;
                }
            }
        )*
    };
    (@each blocking $make:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::testing::block_on(async {
                    let harness = $make().await;
                    let store = $crate::testing::contract::Harness::store(&harness).expect("an in-process store");
                    $crate::testing::contract::$check(store).await;
                });
            }
        )*
    };
}

/// Reads a whole list page by page, `limit` items at a time, checking on
/// the way what every paged list promises: no page holds more than
/// [`PageRequest::fetch`] rows, a page that is followed by another holds
/// exactly that many, and each page starts strictly after the last item of
/// the one before. Returns every item in the order read.
pub(crate) async fn read_pages<T, F, Fut>(
    limit: u32,
    key: impl Fn(&T) -> Cursor,
    mut fetch: F,
) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Vec<T>>,
{
    let mut request = PageRequest::first(limit);
    let mut items = Vec::new();
    loop {
        let rows = fetch(request).await;
        let fetched = rows.len();
        assert!(
            i64::try_from(fetched).is_ok_and(|n| n <= request.fetch()),
            "a page read {fetched} rows for a limit of {limit}"
        );
        let page = Page::from_rows(rows, &request, &key);
        if page.next.is_some() {
            assert_eq!(
                i64::try_from(fetched).ok(),
                Some(request.fetch()),
                "a page with more to follow reads one row more than its limit"
            );
        }
        items.extend(page.items);
        match page.next {
            Some(next) => {
                request = PageRequest::new(Some(next), Some(limit)).expect("a valid limit");
            }
            None => return items,
        }
    }
}
