//! What the delivery worker reads before sending (`SendReads`): the one read gives what the
//! two separate reads give (opt-outs, also an erased receiver's under its keyed hash, and the
//! channels receivers chose), of its own tenant only.

use super::privacy::pseudonym;
use super::receivers::event_to;
use super::*;
use avisera_domain::privacy::Subject;
use avisera_domain::receiver::Reach;

const ANNA: &str = "+46701234567";
const BO: &str = "+46702222222";
const ERASED: &str = "+46709999999";

/// The map's entries sorted, to compare with a literal.
fn sorted<V: Copy>(found: &std::collections::HashMap<String, V>) -> Vec<(&str, V)> {
    let mut out: Vec<(&str, V)> = found.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    out.sort_by(|x, y| x.0.cmp(y.0));
    out
}

/// The combined read equals the two separate reads of the same keys and addresses.
async fn assert_one_read_is_the_two(
    store: &dyn Store,
    tenant: TenantId,
    keys: &[&str],
    addresses: &[&str],
) -> SendContext {
    let context = store.send_context(tenant, keys, addresses).await.unwrap();
    let separate = SendContext {
        opted_out: store.opted_out_among(tenant, keys).await.unwrap(),
        reach: store.reach_among(tenant, addresses).await.unwrap(),
    };
    assert_eq!(context, separate, "keys {keys:?}, addresses {addresses:?}");
    context
}

pub async fn what_the_worker_reads_before_sending_is_one_read_of_the_opt_outs_and_the_chosen_channels(
    store: &dyn Store,
) {
    let now = at("2026-11-25T10:00:00Z");
    let (opted, erased_opted, b_opted) = (
        at("2026-11-25T10:01:00Z"),
        at("2026-11-25T10:02:00Z"),
        at("2026-11-25T10:03:00Z"),
    );
    let (a, a_rules, a_templates) = tenant_with_rule(store, "A").await;
    let (b, b_rules, b_templates) = tenant_with_rule(store, "B").await;
    let time = "2026-11-25T09:00:00Z";
    // In A: Anna chooses email only, Bo keeps both, the third receiver opts out and is erased.
    let batch = [
        event_to("A1", ANNA, Some("Anna@Example.se"), time),
        event_to("A2", BO, Some("bo@example.se"), time),
        event_to("A3", ERASED, None, time),
    ];
    post(store, &a, &a_rules, &a_templates, &batch, now).await;
    let anna = store.receiver_of(a.id, ANNA).await.unwrap().unwrap();
    assert!(
        store
            .set_preferences(a.id, anna.id, Reach::EmailOnly, None)
            .await
            .unwrap()
    );
    store.opt_out(a.id, "Opted@Example.se", opted).await.unwrap();
    let gone = store.receiver_of(a.id, ERASED).await.unwrap().unwrap();
    assert!(store.opt_out_receiver(a.id, gone.id, erased_opted).await.unwrap());
    store
        .erase_person(a.id, &Subject::Phone(ERASED.into()), &pseudonym, now)
        .await
        .unwrap();
    // In B: Bo is another receiver, who chose SMS only; an address opted out of B alone.
    post(
        store,
        &b,
        &b_rules,
        &b_templates,
        &[event_to("B1", BO, Some("bo@example.se"), time)],
        now,
    )
    .await;
    let bo_in_b = store.receiver_of(b.id, BO).await.unwrap().unwrap();
    assert!(
        store
            .set_preferences(b.id, bo_in_b.id, Reach::SmsOnly, None)
            .await
            .unwrap()
    );
    store.opt_out(b.id, "Only.B@example.se", b_opted).await.unwrap();

    // What the worker asks for a batch: each recipient as it is written on the message, and
    // each one's keyed hash for the opt-outs.
    let addresses = [
        ANNA,
        "ANNA@example.se",
        BO,
        "bo@example.se",
        "OPTED@example.se",
        ERASED,
        "only.b@example.se",
        "+46700000000",
    ];
    let hashes: Vec<String> = addresses.iter().map(|a| pseudonym(&a.to_lowercase())).collect();
    let keys: Vec<&str> = addresses
        .iter()
        .copied()
        .chain(hashes.iter().map(String::as_str))
        .collect();

    let of_a = assert_one_read_is_the_two(store, a.id, &keys, &addresses).await;
    let erased_key = pseudonym(ERASED);
    let mut expected_opted_out = vec![("opted@example.se", opted), (erased_key.as_str(), erased_opted)];
    expected_opted_out.sort();
    assert_eq!(
        sorted(&of_a.opted_out),
        expected_opted_out,
        "the mixed-case opt-out in lower case and the erased receiver's under its hash, none of B's"
    );
    assert_eq!(
        sorted(&of_a.reach),
        [
            ("+46701234567", Reach::EmailOnly),
            ("anna@example.se", Reach::EmailOnly)
        ],
        "Anna's choice on both her addresses; Bo keeps both in A, whatever he chose in B"
    );

    let of_b = assert_one_read_is_the_two(store, b.id, &keys, &addresses).await;
    assert_eq!(sorted(&of_b.opted_out), [("only.b@example.se", b_opted)]);
    assert_eq!(
        sorted(&of_b.reach),
        [("+46702222222", Reach::SmsOnly), ("bo@example.se", Reach::SmsOnly)]
    );

    // Nothing asked, nothing found; one side empty leaves the other's answer as it is.
    let none = assert_one_read_is_the_two(store, a.id, &[], &[]).await;
    assert_eq!(none, SendContext::default());
    let only_opt_outs = assert_one_read_is_the_two(store, a.id, &keys, &[]).await;
    assert_eq!(
        (only_opt_outs.opted_out, only_opt_outs.reach.len()),
        (of_a.opted_out.clone(), 0)
    );
    let only_reach = assert_one_read_is_the_two(store, a.id, &[], &addresses).await;
    assert_eq!((only_reach.opted_out.len(), only_reach.reach), (0, of_a.reach.clone()));
}
