//! Stories of how people and devices get into a workspace: signup, invites, redemption.

use crate::common::{change, Relay, SIGNUP_SECRET};
use axum::http::StatusCode;
use trellis_protocol::api::{
    codes, CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    RedeemInviteRequest, Role,
};
use trellis_protocol::Id;

fn new_workspace() -> CreateWorkspaceRequest {
    CreateWorkspaceRequest {
        workspace_id: Id::random(),
        member_id: Id::random(),
        device_id: Id::random(),
        device_key: crate::common::device_key(),
        token: None,
        roster: vec![crate::common::creation_event()],
    }
}

fn member_invite(role: Role) -> CreateInviteRequest {
    CreateInviteRequest {
        role,
        device: false,
        ttl_seconds: None,
        invite_id: None,
        roster: Vec::new(),
    }
}

#[tokio::test]
async fn a_stranger_without_the_signup_secret_creates_nothing() {
    let relay = Relay::start();
    let req = new_workspace();

    let wrong = relay.signup_with(Some("guess"), &req).await;
    let err = wrong.error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    assert!(!err.message.contains("guess"));
    relay
        .signup_with(None, &req)
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    relay
        .signup_with(Some(""), &req)
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);

    // Nothing was created: the operator can still register that very workspace id.
    let creds: DeviceCredentials = relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .json(StatusCode::CREATED);
    assert_eq!(creds.role, Role::Owner);
    assert_eq!(creds.token.len(), 64);
}

#[tokio::test]
async fn a_workspace_id_can_be_registered_only_once() {
    let relay = Relay::start();
    let req = new_workspace();
    let first: DeviceCredentials = relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .json(StatusCode::CREATED);
    relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    // The first owner's token still works and the log is untouched.
    assert_eq!(relay.pull(&first, 0).await.head, 0);
}

#[tokio::test]
async fn an_owner_invites_a_member_who_joins_once() {
    let relay = Relay::start();
    let owner = relay.signup().await;

    let invite: CreateInviteResponse = relay
        .invite(&owner, &member_invite(Role::Member))
        .await
        .json(StatusCode::CREATED);
    assert_eq!(invite.role, Role::Member);
    assert!(!invite.device);
    assert_eq!(
        invite.expires_at,
        1_800_000_000 + 72 * 3600,
        "72 hours by default"
    );

    let member_id = Id::random();
    let redeem = RedeemInviteRequest {
        workspace_id: owner.workspace_id,
        invite_secret: invite.invite_secret.clone(),
        device_id: Id::random(),
        member_id,
        device_key: crate::common::device_key(),
        token: None,
        roster: Vec::new(),
    };
    let member: DeviceCredentials = relay
        .post_json("/v1/invites/redeem", None, &redeem)
        .await
        .json(StatusCode::CREATED);
    assert_eq!(member.workspace_id, owner.workspace_id);
    assert_eq!(member.member_id, member_id);
    assert_eq!(member.role, Role::Member);
    assert_ne!(member.token, owner.token);

    // The new member's device works at once.
    relay.push(&member, &[change(1, 40)]).await;
    assert_eq!(relay.pull(&owner, 0).await.head, 1);

    // The secret is spent.
    relay
        .post_json("/v1/invites/redeem", None, &redeem)
        .await
        .error(StatusCode::GONE, codes::GONE);
}

#[tokio::test]
async fn an_invite_expires() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let invite: CreateInviteResponse = relay
        .invite(
            &owner,
            &CreateInviteRequest {
                role: Role::Admin,
                device: false,
                ttl_seconds: Some(3600),
                invite_id: None,
                roster: Vec::new(),
            },
        )
        .await
        .json(StatusCode::CREATED);
    assert_eq!(invite.expires_at, 1_800_000_000 + 3600);

    relay.advance_clock(3600);
    relay
        .redeem(owner.workspace_id, &invite.invite_secret)
        .await
        .error(StatusCode::GONE, codes::GONE);
}

#[tokio::test]
async fn invite_lifetimes_are_capped_and_never_zero() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let long: CreateInviteResponse = relay
        .invite(
            &owner,
            &CreateInviteRequest {
                role: Role::Member,
                device: false,
                ttl_seconds: Some(365 * 24 * 3600),
                invite_id: None,
                roster: Vec::new(),
            },
        )
        .await
        .json(StatusCode::CREATED);
    assert_eq!(long.expires_at, 1_800_000_000 + 30 * 24 * 3600);

    relay
        .invite(
            &owner,
            &CreateInviteRequest {
                role: Role::Member,
                device: false,
                ttl_seconds: Some(0),
                invite_id: None,
                roster: Vec::new(),
            },
        )
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
}

#[tokio::test]
async fn a_member_cannot_invite_members_but_can_add_her_own_device() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let member = relay.add_member(&owner, Role::Member).await;

    relay
        .invite(&member, &member_invite(Role::Member))
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    relay
        .invite(&member, &member_invite(Role::Admin))
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);

    // A device invite keeps her role whatever the request says.
    let invite: CreateInviteResponse = relay
        .invite(
            &member,
            &CreateInviteRequest {
                role: Role::Admin,
                device: true,
                ttl_seconds: None,
                invite_id: None,
                roster: Vec::new(),
            },
        )
        .await
        .json(StatusCode::CREATED);
    assert_eq!(invite.role, Role::Member);
    assert!(invite.device);

    // The proposed member id is ignored: the device joins her.
    let tablet: DeviceCredentials = relay
        .redeem(member.workspace_id, &invite.invite_secret)
        .await
        .json(StatusCode::CREATED);
    assert_eq!(tablet.member_id, member.member_id);
    assert_eq!(tablet.role, Role::Member);
    assert_ne!(tablet.token, member.token);

    // The new device syncs with the others.
    relay.push(&tablet, &[change(7, 100)]).await;
    assert_eq!(relay.pull(&member, 0).await.entries.len(), 1);
}

#[tokio::test]
async fn an_admin_may_invite_members_but_nobody_invites_an_owner() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let admin = relay.add_member(&owner, Role::Admin).await;
    assert_eq!(admin.role, Role::Admin);

    let member = relay.add_member(&admin, Role::Member).await;
    assert_eq!(member.role, Role::Member);

    for inviter in [&owner, &admin] {
        relay
            .invite(inviter, &member_invite(Role::Owner))
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }
    // An owner's own device invite is fine and keeps the owner role.
    let laptop = relay.add_device(&owner).await;
    assert_eq!(
        (laptop.member_id, laptop.role),
        (owner.member_id, Role::Owner)
    );
}

#[tokio::test]
async fn redeeming_with_the_wrong_workspace_or_secret_finds_nothing() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let other = relay.signup().await;
    let invite: CreateInviteResponse = relay
        .invite(&owner, &member_invite(Role::Member))
        .await
        .json(StatusCode::CREATED);

    relay
        .redeem(other.workspace_id, &invite.invite_secret)
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    relay
        .redeem(owner.workspace_id, "not-a-secret")
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);

    // Those attempts did not spend the invite.
    relay
        .redeem(owner.workspace_id, &invite.invite_secret)
        .await
        .json::<DeviceCredentials>(StatusCode::CREATED);
}

#[tokio::test]
async fn a_taken_member_id_is_a_conflict_and_keeps_the_invite() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let invite: CreateInviteResponse = relay
        .invite(&owner, &member_invite(Role::Member))
        .await
        .json(StatusCode::CREATED);

    let mut redeem = RedeemInviteRequest {
        workspace_id: owner.workspace_id,
        invite_secret: invite.invite_secret,
        device_id: Id::random(),
        member_id: owner.member_id,
        device_key: crate::common::device_key(),
        token: None,
        roster: Vec::new(),
    };
    relay
        .post_json("/v1/invites/redeem", None, &redeem)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);

    redeem.member_id = Id::random();
    let joined: DeviceCredentials = relay
        .post_json("/v1/invites/redeem", None, &redeem)
        .await
        .json(StatusCode::CREATED);
    assert_eq!(joined.member_id, redeem.member_id);
}

#[tokio::test]
async fn two_devices_racing_for_one_invite_get_exactly_one_seat() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    for _ in 0..5 {
        let invite: CreateInviteResponse = relay
            .invite(&owner, &member_invite(Role::Member))
            .await
            .json(StatusCode::CREATED);
        let (a, b) = tokio::join!(
            relay.redeem(owner.workspace_id, &invite.invite_secret),
            relay.redeem(owner.workspace_id, &invite.invite_secret),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::GONE]);
    }
}

#[tokio::test]
async fn invites_need_a_device_of_that_workspace() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    let stranger = relay.signup().await;
    let uri = format!("/v1/workspaces/{}/invites", owner.workspace_id);

    relay
        .post_json(&uri, None, &member_invite(Role::Member))
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    relay
        .post_json(&uri, Some(&stranger.token), &member_invite(Role::Member))
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
}

#[tokio::test]
async fn a_signup_or_a_redemption_repeated_after_a_lost_answer_gets_the_same_credentials() {
    let relay = Relay::start();
    // The device makes its token and keeps it before asking; the answer is lost, it asks
    // again with the same request: same credentials, one workspace.
    let token = trellis_protocol::random_secret();
    let req = CreateWorkspaceRequest {
        token: Some(token.clone()),
        ..new_workspace()
    };
    let first: DeviceCredentials = relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .json(StatusCode::CREATED);
    let again: DeviceCredentials = relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .json(StatusCode::CREATED);
    assert_eq!(again, first);
    assert_eq!(first.token, token);
    // Anyone else asking for that workspace id, with another token or device, is refused.
    for other in [
        CreateWorkspaceRequest {
            token: Some(trellis_protocol::random_secret()),
            ..req.clone()
        },
        CreateWorkspaceRequest {
            device_id: Id::random(),
            ..req.clone()
        },
        CreateWorkspaceRequest {
            token: None,
            ..req.clone()
        },
    ] {
        relay
            .signup_with(Some(SIGNUP_SECRET), &other)
            .await
            .error(StatusCode::CONFLICT, codes::CONFLICT);
    }
    // A token that is not 64 lowercase hex digits is refused before anything is stored.
    relay
        .signup_with(
            Some(SIGNUP_SECRET),
            &CreateWorkspaceRequest {
                token: Some("short".into()),
                ..new_workspace()
            },
        )
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);

    // A redemption repeated with the same device and token: the same member, role and token;
    // the invite is not burnt by the first, lost answer.
    let invite: CreateInviteResponse = relay
        .invite(&first, &member_invite(Role::Member))
        .await
        .json(StatusCode::CREATED);
    let redeem = RedeemInviteRequest {
        workspace_id: first.workspace_id,
        invite_secret: invite.invite_secret.clone(),
        device_id: Id::random(),
        member_id: Id::random(),
        device_key: crate::common::device_key(),
        token: Some(trellis_protocol::random_secret()),
        roster: Vec::new(),
    };
    let joined: DeviceCredentials = relay
        .post_json("/v1/invites/redeem", None, &redeem)
        .await
        .json(StatusCode::CREATED);
    let rejoined: DeviceCredentials = relay
        .post_json("/v1/invites/redeem", None, &redeem)
        .await
        .json(StatusCode::CREATED);
    assert_eq!(rejoined, joined);
    relay.push(&rejoined, &[change(1, 40)]).await;
    // Someone else holding the spent secret gets nothing, even with the device's id.
    for other in [
        RedeemInviteRequest {
            token: Some(trellis_protocol::random_secret()),
            ..redeem.clone()
        },
        RedeemInviteRequest {
            device_id: Id::random(),
            ..redeem.clone()
        },
    ] {
        relay
            .post_json("/v1/invites/redeem", None, &other)
            .await
            .error(StatusCode::GONE, codes::GONE);
    }
}

#[tokio::test]
async fn a_member_has_at_most_ten_devices() {
    let relay = Relay::start();
    let owner = relay.signup().await;
    // The owner's first device, then nine more: ten.
    for _ in 1..trellis_relay::storage::MAX_DEVICES_PER_MEMBER {
        relay.add_device(&owner).await;
    }
    let invite = relay.device_invite(&owner).await;
    let refused = relay
        .redeem(owner.workspace_id, &invite.invite_secret)
        .await
        .error(StatusCode::TOO_MANY_REQUESTS, codes::QUOTA_EXCEEDED);
    assert!(refused.message.contains("10 devices"), "{refused:?}");
    // A new member is not counted against the owner's devices.
    relay.add_member(&owner, Role::Member).await;
}
