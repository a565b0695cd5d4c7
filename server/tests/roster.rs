//! Stories of the signed roster: every membership call appends its events in its own
//! transaction (both or neither), repeats after a lost answer are recognized by their events,
//! a revoked device still reads the roster to verify its removal, invites are cancelled, keys
//! are granted without replacing any, and malformed events are refused before anything
//! happens. The relay never reads an event: these are arbitrary bytes.

use axum::http::{Method, StatusCode};
use serde::Serialize;
use serde_json::json;
use trellis_protocol::api::{
    codes, CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    KeyEnvelope, KeyGrant, KeyRotation, KeysResponse, RedeemInviteRequest, Role, RosterAppend,
    RosterEvent, TransferRequest, WrappedKey, MAX_ROSTER_EVENT_BYTES, MAX_ROSTER_PAGE,
    ROSTER_HEAD_HEADER,
};
use trellis_protocol::Id;

use crate::common::{
    change, creation_event, device_key, from_base64url, roster_event, Relay, Reply, SIGNUP_SECRET,
};

/// A registered device as the test knows it.
#[derive(Debug, Clone)]
struct Device {
    creds: DeviceCredentials,
    id: Id,
}

impl Device {
    fn ws(&self) -> Id {
        self.creds.workspace_id
    }

    fn token(&self) -> &str {
        &self.creds.token
    }

    fn uri(&self, rest: &str) -> String {
        format!("/v1/workspaces/{}/{rest}", self.ws())
    }
}

/// An event at `seq` whose bytes are `text`.
fn ev(seq: u64, text: &str) -> RosterEvent {
    roster_event(seq, text.as_bytes())
}

fn append(events: Vec<RosterEvent>) -> RosterAppend {
    RosterAppend { roster: events }
}

fn signup_request(roster: Vec<RosterEvent>) -> CreateWorkspaceRequest {
    CreateWorkspaceRequest {
        workspace_id: Id::random(),
        member_id: Id::random(),
        device_id: Id::random(),
        device_key: device_key(),
        token: Some(trellis_protocol::random_secret()),
        roster,
    }
}

async fn signup(relay: &Relay) -> Device {
    let req = signup_request(vec![creation_event()]);
    let creds = relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .json(StatusCode::CREATED);
    Device {
        creds,
        id: req.device_id,
    }
}

async fn invite(
    relay: &Relay,
    by: &Device,
    role: Role,
    device: bool,
    roster: Vec<RosterEvent>,
) -> Reply {
    relay
        .invite(
            &by.creds,
            &CreateInviteRequest {
                role,
                device,
                ttl_seconds: None,
                invite_id: None,
                roster,
            },
        )
        .await
}

fn redeem_request(
    ws: Id,
    invite: &CreateInviteResponse,
    roster: Vec<RosterEvent>,
) -> RedeemInviteRequest {
    RedeemInviteRequest {
        workspace_id: ws,
        invite_secret: invite.invite_secret.clone(),
        device_id: Id::random(),
        member_id: Id::random(),
        device_key: device_key(),
        token: Some(trellis_protocol::random_secret()),
        roster,
    }
}

async fn redeem(relay: &Relay, req: &RedeemInviteRequest) -> Reply {
    relay.post_json("/v1/invites/redeem", None, req).await
}

/// `by` invites (a new member with `role`, or its own device) and the invitee joins, the
/// invite and the redemption carrying the events given.
async fn join(
    relay: &Relay,
    by: &Device,
    role: Role,
    device: bool,
    events: (Vec<RosterEvent>, Vec<RosterEvent>),
) -> Device {
    let invite: CreateInviteResponse = invite(relay, by, role, device, events.0)
        .await
        .json(StatusCode::CREATED);
    let req = redeem_request(by.ws(), &invite, events.1);
    let creds = redeem(relay, &req).await.json(StatusCode::CREATED);
    Device {
        creds,
        id: req.device_id,
    }
}

async fn post(relay: &Relay, by: &Device, rest: &str, body: &impl Serialize) -> Reply {
    relay.post_json(&by.uri(rest), Some(by.token()), body).await
}

fn rotation(epoch: u32, devices: &[&Device], roster: Vec<RosterEvent>) -> KeyRotation {
    KeyRotation {
        epoch,
        wrapped: devices
            .iter()
            .map(|d| WrappedKey {
                device_id: d.id,
                sealed: format!("c2VhbGVk{}{epoch:04}", d.id),
            })
            .collect(),
        roster,
    }
}

async fn keys(relay: &Relay, device: &Device) -> Vec<KeyEnvelope> {
    let reply: KeysResponse = relay
        .send(Method::GET, &device.uri("keys"), Some(device.token()), None)
        .await
        .json(StatusCode::OK);
    reply.keys
}

fn assert_no_content(reply: &Reply) {
    assert_eq!(
        reply.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

/// The events' bytes as text, in roster order.
async fn roster_texts(relay: &Relay, reader: &Device) -> Vec<String> {
    let roster = relay.roster(reader.ws(), reader.token(), 0).await;
    let texts: Vec<String> = roster
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            assert_eq!(e.seq, i as u64 + 1, "seqs run from 1 without a gap");
            let bytes = from_base64url(&e.event);
            String::from_utf8(bytes).expect("the text the test sent")
        })
        .collect();
    assert_eq!(roster.head, texts.len() as u64);
    texts
}

#[tokio::test]
async fn every_membership_call_appends_its_events_and_the_roster_serves_them_byte_for_byte() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let admin = join(
        &relay,
        &owner,
        Role::Admin,
        false,
        (vec![ev(2, "invite admin")], vec![ev(3, "admin joined")]),
    )
    .await;
    let member = join(
        &relay,
        &owner,
        Role::Member,
        false,
        (vec![ev(4, "invite member")], vec![ev(5, "member joined")]),
    )
    .await;
    let tablet = join(
        &relay,
        &member,
        Role::Member,
        true,
        (vec![ev(6, "invite tablet")], vec![ev(7, "tablet joined")]),
    )
    .await;
    let revoked = post(
        &relay,
        &member,
        &format!("devices/{}/revoke", tablet.id),
        &append(vec![ev(8, "tablet revoked")]),
    )
    .await;
    assert_no_content(&revoked);
    let rotated = post(
        &relay,
        &owner,
        "keys/rotate",
        &rotation(1, &[&owner, &admin, &member], vec![ev(9, "key 1")]),
    )
    .await;
    assert_no_content(&rotated);
    let removed = post(
        &relay,
        &admin,
        &format!("members/{}/remove", member.creds.member_id),
        &rotation(2, &[&owner, &admin], vec![ev(10, "member removed, key 2")]),
    )
    .await;
    assert_no_content(&removed);
    let transferred = post(
        &relay,
        &owner,
        "transfer",
        &TransferRequest {
            member_id: admin.creds.member_id,
            roster: vec![ev(11, "admin owns"), ev(12, "owner is admin")],
        },
    )
    .await;
    assert_no_content(&transferred);
    let left = post(&relay, &owner, "leave", &append(vec![ev(13, "owner left")])).await;
    assert_no_content(&left);
    let spare: CreateInviteResponse =
        invite(&relay, &admin, Role::Member, false, vec![ev(14, "invite")])
            .await
            .json(StatusCode::CREATED);
    let cancelled = post(
        &relay,
        &admin,
        &format!("invites/{}/cancel", spare.invite_id),
        &append(vec![ev(15, "invite cancelled")]),
    )
    .await;
    assert_no_content(&cancelled);
    let appended = post(
        &relay,
        &admin,
        "roster",
        &append(vec![ev(16, "on its own"), ev(17, "and another")]),
    )
    .await;
    assert_no_content(&appended);

    let expected = [
        "workspace created",
        "invite admin",
        "admin joined",
        "invite member",
        "member joined",
        "invite tablet",
        "tablet joined",
        "tablet revoked",
        "key 1",
        "member removed, key 2",
        "admin owns",
        "owner is admin",
        "owner left",
        "invite",
        "invite cancelled",
        "on its own",
        "and another",
    ];
    assert_eq!(roster_texts(&relay, &admin).await, expected);
    let later = relay.roster(admin.ws(), admin.token(), 15).await;
    assert_eq!(
        (later.events.len(), later.events[0].seq, later.head),
        (2, 16, 17)
    );
    let none = relay.roster(admin.ws(), admin.token(), 17).await;
    assert!(none.events.is_empty());
    assert_eq!(none.head, 17);

    // The head rides on every sync, so a device fetches the roster only when it grew.
    let pull = relay.pull_raw(admin.ws(), admin.token(), "").await;
    assert_eq!(pull.status, StatusCode::OK);
    assert_eq!(pull.headers.get(ROSTER_HEAD_HEADER).unwrap(), "17");
    let pushed = relay.push(&admin.creds, &[change(1, 20)]).await;
    assert_eq!(pushed.roster_head, 17);
    // A call without events appends none.
    let plain = post(
        &relay,
        &admin,
        "keys/rotate",
        &rotation(3, &[&admin], Vec::new()),
    )
    .await;
    assert_no_content(&plain);
    assert_eq!(relay.roster_head(admin.ws(), admin.token()).await, 17);
}

#[tokio::test]
async fn a_revoke_whose_events_are_stale_is_refused_and_the_device_stays_active() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let phone = join(
        &relay,
        &owner,
        Role::Member,
        false,
        (Vec::new(), vec![ev(2, "phone joined")]),
    )
    .await;
    let before = relay.dump();
    // Another device took seq 2 already: this revocation was made against an old roster.
    for stale in [vec![ev(2, "phone revoked")], vec![ev(4, "phone revoked")]] {
        let reply = post(
            &relay,
            &owner,
            &format!("devices/{}/revoke", phone.id),
            &append(stale),
        )
        .await;
        let err = reply.error(StatusCode::CONFLICT, codes::ROSTER_MOVED);
        assert!(
            err.message.contains("nothing was applied"),
            "{}",
            err.message
        );
        assert_eq!(
            relay.dump(),
            before,
            "neither the revocation nor the events"
        );
    }
    // The phone still syncs.
    assert_eq!(relay.pull(&phone.creds, 0).await.head, 0);
    assert_eq!(relay.roster_head(phone.ws(), phone.token()).await, 2);

    // Made again against the roster as it is, it goes through.
    let reply = post(
        &relay,
        &owner,
        &format!("devices/{}/revoke", phone.id),
        &append(vec![ev(3, "phone revoked")]),
    )
    .await;
    assert_no_content(&reply);
    relay
        .pull_raw(phone.ws(), phone.token(), "")
        .await
        .error(StatusCode::UNAUTHORIZED, codes::REVOKED);
}

#[tokio::test]
async fn every_call_with_stale_events_is_refused_whole_and_changes_nothing() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let member = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let unused: CreateInviteResponse = invite(&relay, &owner, Role::Member, false, Vec::new())
        .await
        .json(StatusCode::CREATED);
    let stale = || vec![ev(1, "made against an empty roster")];
    let before = relay.dump();
    let replies = [
        invite(&relay, &owner, Role::Member, false, stale()).await,
        redeem(&relay, &redeem_request(owner.ws(), &unused, stale())).await,
        post(
            &relay,
            &owner,
            &format!("invites/{}/cancel", unused.invite_id),
            &append(stale()),
        )
        .await,
        post(
            &relay,
            &owner,
            &format!("devices/{}/revoke", member.id),
            &append(stale()),
        )
        .await,
        post(
            &relay,
            &owner,
            &format!("members/{}/remove", member.creds.member_id),
            &rotation(1, &[&owner], stale()),
        )
        .await,
        post(&relay, &member, "leave", &append(stale())).await,
        post(
            &relay,
            &owner,
            "transfer",
            &TransferRequest {
                member_id: member.creds.member_id,
                roster: stale(),
            },
        )
        .await,
        post(
            &relay,
            &owner,
            "keys/rotate",
            &rotation(1, &[&owner, &member], stale()),
        )
        .await,
        post(&relay, &member, "roster", &append(stale())).await,
    ];
    for reply in replies {
        reply.error(StatusCode::CONFLICT, codes::ROSTER_MOVED);
        assert_eq!(relay.dump(), before);
    }
    // The invite is still good, and the member still in.
    let joined = redeem(
        &relay,
        &redeem_request(owner.ws(), &unused, vec![ev(2, "joined")]),
    )
    .await;
    joined.json::<DeviceCredentials>(StatusCode::CREATED);
    assert_eq!(relay.pull(&member.creds, 0).await.head, 0);
}

#[tokio::test]
async fn a_signup_or_redemption_repeated_after_a_lost_answer_counts_the_events_it_stored() {
    let relay = Relay::start();
    let req = signup_request(vec![creation_event(), ev(2, "owner's device")]);
    let first: DeviceCredentials = relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .json(StatusCode::CREATED);
    let owner = Device {
        creds: first.clone(),
        id: req.device_id,
    };
    let before = relay.dump();
    let again: DeviceCredentials = relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .json(StatusCode::CREATED);
    assert_eq!(again, first);
    assert_eq!(relay.dump(), before, "the repeat appended nothing");

    // Not the events it stored: nothing counts, and nothing changes.
    let mut altered = req.clone();
    altered.roster[1] = ev(2, "another device");
    relay
        .signup_with(Some(SIGNUP_SECRET), &altered)
        .await
        .error(StatusCode::CONFLICT, codes::ROSTER_MOVED);
    let mut longer = req.clone();
    longer.roster.push(ev(3, "more"));
    relay
        .signup_with(Some(SIGNUP_SECRET), &longer)
        .await
        .error(StatusCode::CONFLICT, codes::ROSTER_MOVED);
    // Another device's signup for the same workspace is no repeat.
    let mut other = req.clone();
    other.token = Some(trellis_protocol::random_secret());
    relay
        .signup_with(Some(SIGNUP_SECRET), &other)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert_eq!(relay.dump(), before);

    // The same for a redemption, also once the roster has moved on.
    let invite: CreateInviteResponse = invite(&relay, &owner, Role::Member, false, Vec::new())
        .await
        .json(StatusCode::CREATED);
    let redemption = redeem_request(owner.ws(), &invite, vec![ev(3, "member joined")]);
    let joined: DeviceCredentials = redeem(&relay, &redemption).await.json(StatusCode::CREATED);
    let appended = post(&relay, &owner, "roster", &append(vec![ev(4, "later")])).await;
    assert_no_content(&appended);
    let before = relay.dump();
    let again: DeviceCredentials = redeem(&relay, &redemption).await.json(StatusCode::CREATED);
    assert_eq!(again, joined);
    let mut altered = redemption.clone();
    altered.roster = vec![ev(3, "someone else joined")];
    redeem(&relay, &altered)
        .await
        .error(StatusCode::CONFLICT, codes::ROSTER_MOVED);
    assert_eq!(relay.dump(), before);
    assert_eq!(
        roster_texts(&relay, &owner).await,
        [
            "workspace created",
            "owner's device",
            "member joined",
            "later"
        ]
    );
}

#[tokio::test]
async fn a_workspace_is_created_with_its_first_roster_event_at_seq_1() {
    let relay = Relay::start();
    let before = relay.dump();
    for roster in [
        Vec::new(),
        vec![ev(2, "not the first")],
        vec![ev(1, "created"), ev(3, "a gap")],
    ] {
        relay
            .signup_with(Some(SIGNUP_SECRET), &signup_request(roster))
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }
    assert_eq!(relay.dump(), before);
}

#[tokio::test]
async fn a_revoked_or_departed_device_reads_the_roster_and_nothing_else() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let phone = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let leaver = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let removed = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let revoke = post(
        &relay,
        &owner,
        &format!("devices/{}/revoke", phone.id),
        &append(vec![ev(2, "phone revoked")]),
    )
    .await;
    assert_no_content(&revoke);
    assert_no_content(&post(&relay, &leaver, "leave", &append(vec![ev(3, "left")])).await);
    let remove = post(
        &relay,
        &owner,
        &format!("members/{}/remove", removed.creds.member_id),
        &rotation(1, &[&owner], vec![ev(4, "removed")]),
    )
    .await;
    assert_no_content(&remove);

    for gone in [&phone, &leaver, &removed] {
        // It reads the events that removed it, to verify them before it purges anything.
        let roster = relay.roster(gone.ws(), gone.token(), 1).await;
        assert_eq!((roster.events.len(), roster.head), (3, 4));
        // Everything else still says `revoked`.
        relay
            .pull_raw(gone.ws(), gone.token(), "")
            .await
            .error(StatusCode::UNAUTHORIZED, codes::REVOKED);
        post(&relay, gone, "roster", &append(vec![ev(5, "from beyond")]))
            .await
            .error(StatusCode::UNAUTHORIZED, codes::REVOKED);
        relay
            .send(Method::GET, &gone.uri("members"), Some(gone.token()), None)
            .await
            .error(StatusCode::UNAUTHORIZED, codes::REVOKED);
    }

    // Its workspace's roster only; unknown tokens and malformed paths as everywhere.
    let stranger = signup(&relay).await;
    relay
        .roster_raw(stranger.ws(), phone.token(), 0)
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    relay
        .roster_raw(owner.ws(), stranger.token(), 0)
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    relay
        .roster_raw(owner.ws(), &trellis_protocol::random_secret(), 0)
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);
    relay
        .send(
            Method::GET,
            &owner.uri("roster?after=-1"),
            Some(owner.token()),
            None,
        )
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
}

#[tokio::test]
async fn a_cancelled_invite_answers_410_and_only_its_issuer_or_an_owner_or_admin_cancels_it() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let admin = join(&relay, &owner, Role::Admin, false, Default::default()).await;
    let member = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let other = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let cancel = |by: Device, invite: Id| {
        let relay = &relay;
        async move {
            relay
                .send(
                    Method::POST,
                    &by.uri(&format!("invites/{invite}/cancel")),
                    Some(by.token()),
                    None,
                )
                .await
        }
    };

    // The owner cancels hers with an empty body; redeeming it is then 410, and cancelling
    // it again changes nothing.
    let mine: CreateInviteResponse = invite(&relay, &owner, Role::Member, false, Vec::new())
        .await
        .json(StatusCode::CREATED);
    assert_no_content(&cancel(owner.clone(), mine.invite_id).await);
    redeem(&relay, &redeem_request(owner.ws(), &mine, Vec::new()))
        .await
        .error(StatusCode::GONE, codes::GONE);
    let before = relay.dump();
    assert_no_content(&cancel(owner.clone(), mine.invite_id).await);
    assert_eq!(relay.dump(), before);

    // A member cancels her own invites, not another's; an admin anyone's.
    let members_own: CreateInviteResponse = invite(&relay, &member, Role::Member, true, Vec::new())
        .await
        .json(StatusCode::CREATED);
    cancel(other.clone(), members_own.invite_id)
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    assert_no_content(&cancel(member.clone(), members_own.invite_id).await);
    let others: CreateInviteResponse = invite(&relay, &other, Role::Member, true, Vec::new())
        .await
        .json(StatusCode::CREATED);
    assert_no_content(&cancel(admin.clone(), others.invite_id).await);
    redeem(&relay, &redeem_request(owner.ws(), &others, Vec::new()))
        .await
        .error(StatusCode::GONE, codes::GONE);

    // Too late once redeemed; unknown and malformed ids.
    let used: CreateInviteResponse = invite(&relay, &owner, Role::Member, false, Vec::new())
        .await
        .json(StatusCode::CREATED);
    redeem(&relay, &redeem_request(owner.ws(), &used, Vec::new()))
        .await
        .json::<DeviceCredentials>(StatusCode::CREATED);
    cancel(owner.clone(), used.invite_id)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    cancel(owner.clone(), Id::random())
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    relay
        .send(
            Method::POST,
            &owner.uri("invites/not-an-id/cancel"),
            Some(owner.token()),
            None,
        )
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    // Another practice's invite is not found in this one.
    let stranger = signup(&relay).await;
    let theirs: CreateInviteResponse = invite(&relay, &stranger, Role::Member, false, Vec::new())
        .await
        .json(StatusCode::CREATED);
    cancel(owner.clone(), theirs.invite_id)
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
}

#[tokio::test]
async fn granted_keys_are_served_and_an_epoch_held_already_is_kept() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let member = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let newcomer = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let rotated = post(
        &relay,
        &owner,
        "keys/rotate",
        &rotation(1, &[&owner, &member, &newcomer], Vec::new()),
    )
    .await;
    assert_no_content(&rotated);
    let rotation_key = keys(&relay, &newcomer).await;
    assert_eq!(rotation_key.len(), 1);

    let grant = |epoch: u32, sealed: &str| KeyGrant {
        device_id: newcomer.id,
        keys: vec![KeyEnvelope {
            epoch,
            sealed: sealed.to_owned(),
        }],
    };
    // Any active device grants an epoch the device lacks.
    assert_no_content(&post(&relay, &member, "keys/grant", &grant(0, "Zmlyc3Q")).await);
    // An epoch it holds is kept as it was, whoever sends another.
    let before = relay.dump();
    assert_no_content(&post(&relay, &owner, "keys/grant", &grant(0, "c2Vjb25k")).await);
    assert_no_content(&post(&relay, &owner, "keys/grant", &grant(1, "c2Vjb25k")).await);
    assert_eq!(relay.dump(), before, "nothing was replaced");
    let held = keys(&relay, &newcomer).await;
    assert_eq!(held.len(), 2);
    assert_eq!((held[0].epoch, held[0].sealed.as_str()), (0, "Zmlyc3Q"));
    assert_eq!(held[1], rotation_key[0]);
    let after_0: KeysResponse = relay
        .send(
            Method::GET,
            &newcomer.uri("keys?after=0"),
            Some(newcomer.token()),
            None,
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(
        after_0.keys, rotation_key,
        "`after` leaves its own epoch out"
    );

    // An epoch the workspace has not reached, no keys, a malformed key: 400.
    for bad in [
        grant(2, "Zmlyc3Q"),
        KeyGrant {
            device_id: newcomer.id,
            keys: Vec::new(),
        },
        grant(0, "not base64!"),
    ] {
        post(&relay, &owner, "keys/grant", &bad)
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }
    // No such device in the workspace: 404; a revoked one: 409.
    let unknown = KeyGrant {
        device_id: Id::random(),
        ..grant(0, "Zmlyc3Q")
    };
    post(&relay, &owner, "keys/grant", &unknown)
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    let revoked = post(
        &relay,
        &owner,
        &format!("devices/{}/revoke", newcomer.id),
        &json!({}),
    )
    .await;
    assert_no_content(&revoked);
    post(&relay, &owner, "keys/grant", &grant(0, "Zmlyc3Q"))
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
}

#[tokio::test]
async fn malformed_events_are_refused_with_400_before_anything_happens() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let phone = join(&relay, &owner, Role::Member, false, Default::default()).await;
    let oversized = roster_event(2, &vec![7u8; MAX_ROSTER_EVENT_BYTES + 1]);
    let bad_events: Vec<Vec<RosterEvent>> = vec![
        vec![oversized],
        vec![RosterEvent {
            seq: 2,
            event: "AQI=".into(),
        }],
        vec![RosterEvent {
            seq: 2,
            event: "not+base64/".into(),
        }],
        vec![RosterEvent {
            seq: 2,
            event: String::new(),
        }],
        (2..=18).map(|seq| ev(seq, "one of 17")).collect(),
        vec![ev(2, "two"), ev(4, "four")],
        vec![ev(0, "zero")],
    ];
    let before = relay.dump();
    for events in bad_events {
        let replies = [
            post(&relay, &owner, "roster", &append(events.clone())).await,
            post(
                &relay,
                &owner,
                &format!("devices/{}/revoke", phone.id),
                &append(events.clone()),
            )
            .await,
            invite(&relay, &owner, Role::Member, false, events.clone()).await,
            relay
                .signup_with(Some(SIGNUP_SECRET), &signup_request(events.clone()))
                .await,
        ];
        for reply in replies {
            reply.error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
            assert_eq!(relay.dump(), before);
        }
    }
    // No events at all, on the call that is only about them.
    post(&relay, &owner, "roster", &append(Vec::new()))
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);

    // The most a request may carry, each as large as an event may be, fits.
    let most: Vec<RosterEvent> = (2..=17)
        .map(|seq| roster_event(seq, &vec![seq as u8; MAX_ROSTER_EVENT_BYTES]))
        .collect();
    let fits = post(
        &relay,
        &owner,
        &format!("devices/{}/revoke", phone.id),
        &append(most.clone()),
    )
    .await;
    assert_no_content(&fits);
    let roster = relay.roster(owner.ws(), owner.token(), 1).await;
    assert_eq!(roster.events, most, "stored and served byte for byte");
}

#[tokio::test]
async fn a_roster_is_read_in_pages_of_at_most_500_events() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let mut head = 1u64;
    while head <= MAX_ROSTER_PAGE as u64 {
        let events: Vec<RosterEvent> = (head + 1..=head + 16)
            .map(|seq| ev(seq, &format!("event {seq}")))
            .collect();
        assert_no_content(&post(&relay, &owner, "roster", &append(events)).await);
        head += 16;
    }
    let first = relay.roster(owner.ws(), owner.token(), 0).await;
    assert_eq!(first.events.len(), MAX_ROSTER_PAGE);
    assert_eq!(first.head, head);
    let rest = relay
        .roster(owner.ws(), owner.token(), MAX_ROSTER_PAGE as u64)
        .await;
    assert_eq!(rest.events.len() as u64, head - MAX_ROSTER_PAGE as u64);
    assert_eq!(rest.events.last().map(|e| e.seq), Some(head));
}
