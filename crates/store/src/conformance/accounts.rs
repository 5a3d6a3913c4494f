//! Users' own accounts: a new password ends their sessions, a role changes only in its tenant,
//! and a reset link works once, before it expires, for its own user.

use super::*;
use avisera_domain::UserId;
use avisera_domain::contact::EmailAddress;
use avisera_domain::user::Role;

pub async fn passwords_roles_and_reset_links_hold_to_their_user_and_tenant(store: &dyn Store) {
    let now = at("2026-12-07T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    let new = |email: &str| NewUser {
        email: EmailAddress::parse(email).unwrap(),
        name: "Anna".into(),
        role: Role::Editor,
        password_hash: "old-hash".into(),
    };
    let anna = store.create_user(a.id, &new("anna@a.example"), now).await.unwrap();
    let bo = store.create_user(a.id, &new("bo@a.example"), now).await.unwrap();
    let session = |user: UserId, token: &str| Session {
        token_hash: token.into(),
        tenant_id: a.id,
        user_id: user,
        csrf_token: "c".into(),
        expires_at: at("2026-12-07T22:00:00Z"),
    };
    store.create_session(&session(anna, "s-anna"), now).await.unwrap();
    store.create_session(&session(bo, "s-bo"), now).await.unwrap();

    // Another tenant cannot touch Anna.
    assert!(!store.set_password(b.id, anna, "evil").await.unwrap());
    assert!(!store.set_role(b.id, anna, Role::Admin).await.unwrap());
    assert!(store.session("s-anna", now).await.unwrap().is_some());

    assert!(store.set_role(a.id, anna, Role::Admin).await.unwrap());
    assert!(store.set_password(a.id, anna, "new-hash").await.unwrap());
    let (found, hash) = store.user_by_email("anna@a.example").await.unwrap().unwrap();
    assert_eq!((found.role, hash.as_str()), (Role::Admin, "new-hash"));
    assert!(
        store.session("s-anna", now).await.unwrap().is_none(),
        "a new password ends the sessions"
    );
    assert!(
        store.session("s-bo", now).await.unwrap().is_some(),
        "only the user's own"
    );

    // A reset link: its own user, once, before it expires.
    store
        .add_password_reset("r-bo", a.id, bo, at("2026-12-07T11:00:00Z"), now)
        .await
        .unwrap();
    assert_eq!(store.password_reset("r-bo", now).await.unwrap().map(|u| u.id), Some(bo));
    assert_eq!(store.password_reset("r-other", now).await.unwrap(), None);
    let late = at("2026-12-07T11:00:01Z");
    assert_eq!(store.password_reset("r-bo", late).await.unwrap(), None);
    assert_eq!(store.use_password_reset("r-bo", "x", late).await.unwrap(), None);
    let used = store.use_password_reset("r-bo", "reset-hash", now).await.unwrap();
    assert_eq!(used.map(|u| u.id), Some(bo));
    let (_, hash) = store.user_by_email("bo@a.example").await.unwrap().unwrap();
    assert_eq!(hash, "reset-hash");
    assert!(store.session("s-bo", now).await.unwrap().is_none());
    assert_eq!(
        store.use_password_reset("r-bo", "again", now).await.unwrap(),
        None,
        "once"
    );
    let (_, hash) = store.user_by_email("bo@a.example").await.unwrap().unwrap();
    assert_eq!(hash, "reset-hash");
}
