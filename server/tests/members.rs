//! Stories of a practice's membership after joining: who is in, revoking a lost phone, removing
//! a clinician with a key rotation, leaving, handing over ownership, and what a revoked device
//! is told.

use std::net::SocketAddr;
use std::time::Duration;

use crate::common::{change, Relay, SIGNUP_SECRET};
use axum::http::{Method, StatusCode};
use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use trellis_protocol::api::{
    codes, CreateInviteRequest, CreateInviteResponse, CreateWorkspaceRequest, DeviceCredentials,
    KeyRotation, KeysResponse, MembersResponse, RedeemInviteRequest, Role, TransferRequest,
    WrappedKey,
};
use trellis_protocol::batch;
use trellis_protocol::Id;

/// A registered device as the test knows it: its credentials, id and public key.
#[derive(Debug, Clone)]
struct Device {
    creds: DeviceCredentials,
    id: Id,
    key: String,
}

impl Device {
    fn ws(&self) -> Id {
        self.creds.workspace_id
    }

    fn token(&self) -> &str {
        &self.creds.token
    }

    fn member(&self) -> Id {
        self.creds.member_id
    }
}

/// Creates a workspace; returns the owner's first device.
async fn signup(relay: &Relay) -> Device {
    let req = CreateWorkspaceRequest {
        workspace_id: Id::random(),
        member_id: Id::random(),
        device_id: Id::random(),
        device_key: crate::common::device_key(),
        token: None,
        roster: vec![crate::common::creation_event()],
    };
    let creds = relay
        .signup_with(Some(SIGNUP_SECRET), &req)
        .await
        .json(StatusCode::CREATED);
    Device {
        creds,
        id: req.device_id,
        key: req.device_key,
    }
}

async fn redeem(relay: &Relay, ws: Id, invite: &CreateInviteResponse) -> Device {
    let req = RedeemInviteRequest {
        workspace_id: ws,
        invite_secret: invite.invite_secret.clone(),
        device_id: Id::random(),
        member_id: Id::random(),
        device_key: crate::common::device_key(),
        token: None,
        roster: Vec::new(),
    };
    let creds = relay
        .post_json("/v1/invites/redeem", None, &req)
        .await
        .json(StatusCode::CREATED);
    Device {
        creds,
        id: req.device_id,
        key: req.device_key,
    }
}

async fn invite(relay: &Relay, by: &Device, role: Role, device: bool) -> CreateInviteResponse {
    relay
        .invite(
            &by.creds,
            &CreateInviteRequest {
                role,
                device,
                ttl_seconds: None,
                invite_id: None,
                roster: Vec::new(),
            },
        )
        .await
        .json(StatusCode::CREATED)
}

/// The owner invites a new member with `role`, who joins with one device.
async fn join(relay: &Relay, owner: &Device, role: Role) -> Device {
    let invite = invite(relay, owner, role, false).await;
    redeem(relay, owner.ws(), &invite).await
}

/// `by` adds another device of its own member.
async fn add_device(relay: &Relay, by: &Device) -> Device {
    let invite = invite(relay, by, Role::Member, true).await;
    redeem(relay, by.ws(), &invite).await
}

fn uri(device: &Device, rest: &str) -> String {
    format!("/v1/workspaces/{}/{rest}", device.ws())
}

async fn members(relay: &Relay, as_device: &Device) -> MembersResponse {
    relay
        .send(
            Method::GET,
            &uri(as_device, "members"),
            Some(as_device.token()),
            None,
        )
        .await
        .json(StatusCode::OK)
}

async fn revoke(relay: &Relay, by: &Device, device: Id) -> crate::common::Reply {
    relay
        .send(
            Method::POST,
            &uri(by, &format!("devices/{device}/revoke")),
            Some(by.token()),
            None,
        )
        .await
}

async fn remove(
    relay: &Relay,
    by: &Device,
    member: Id,
    rotation: &KeyRotation,
) -> crate::common::Reply {
    relay
        .post_json(
            &uri(by, &format!("members/{member}/remove")),
            Some(by.token()),
            rotation,
        )
        .await
}

async fn rotate(relay: &Relay, by: &Device, rotation: &KeyRotation) -> crate::common::Reply {
    relay
        .post_json(&uri(by, "keys/rotate"), Some(by.token()), rotation)
        .await
}

async fn keys(relay: &Relay, device: &Device, after: u32) -> crate::common::Reply {
    relay
        .send(
            Method::GET,
            &uri(device, &format!("keys?after={after}")),
            Some(device.token()),
            None,
        )
        .await
}

/// The sealed key a rotating device would make for `device` at `epoch` (opaque to the relay).
fn sealed_for(device: Id, epoch: u32) -> String {
    format!("c2VhbGVk{device}{epoch:08}")
}

fn rotation(epoch: u32, devices: &[&Device]) -> KeyRotation {
    KeyRotation {
        epoch,
        wrapped: devices
            .iter()
            .map(|d| WrappedKey {
                device_id: d.id,
                sealed: sealed_for(d.id, epoch),
            })
            .collect(),
        roster: Vec::new(),
    }
}

/// Everything the membership endpoints may change, as rows of text, to compare before/after.
fn db_state(relay: &Relay) -> Vec<String> {
    let mut rows = Vec::new();
    for (sqlite, postgres) in [
        (
            "SELECT hex(id) || key_epoch || rotation_needed FROM workspaces ORDER BY id",
            "SELECT encode(id, 'hex') || key_epoch || rotation_needed FROM workspaces ORDER BY id",
        ),
        (
            "SELECT hex(member_id) || role || ifnull(removed_at, '-') FROM members ORDER BY member_id",
            "SELECT encode(member_id, 'hex') || role || coalesce(removed_at::text, '-')
             FROM members ORDER BY member_id",
        ),
        (
            "SELECT hex(device_id) || ifnull(revoked_at, '-') FROM devices ORDER BY device_id",
            "SELECT encode(device_id, 'hex') || coalesce(revoked_at::text, '-')
             FROM devices ORDER BY device_id",
        ),
        (
            "SELECT hex(device_id) || epoch || sealed FROM sealed_keys ORDER BY device_id, epoch",
            "SELECT encode(device_id, 'hex') || epoch || sealed FROM sealed_keys
             ORDER BY device_id, epoch",
        ),
        (
            "SELECT hex(secret_hash) || ifnull(used_at, '-') FROM invites ORDER BY secret_hash",
            "SELECT encode(secret_hash, 'hex') || coalesce(used_at::text, '-') FROM invites
             ORDER BY secret_hash",
        ),
    ] {
        rows.push(sqlite.to_owned());
        rows.extend(relay.text_rows(sqlite, postgres));
    }
    rows
}

/// Serves the relay's router on a loopback port.
async fn serve(relay: &Relay) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = relay.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(addr: SocketAddr, device: &Device) -> Result<Socket, WsError> {
    let mut req = format!("ws://{addr}/v1/workspaces/{}/live", device.ws())
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", device.token()).parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.map(|(s, _)| s)
}

/// Opens a live socket and reads the first head.
async fn listen(addr: SocketAddr, device: &Device) -> Socket {
    let mut socket = connect(addr, device).await.expect("the live socket opens");
    let first = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("a head in time");
    assert!(matches!(first, Some(Ok(Message::Text(_)))), "{first:?}");
    socket
}

/// Waits for the relay to close the socket and returns the close code.
async fn closed_with(socket: &mut Socket) -> u16 {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("the relay closes the socket in time");
        match msg {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(frame.reason.as_str(), "revoked");
                return u16::from(frame.code);
            }
            Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

/// Every authenticated endpoint answers this device 401 `revoked`.
async fn refused_as_revoked(relay: &Relay, device: &Device) {
    let push = batch::encode_push(&[change(99, 10)]);
    let replies = [
        relay.push_raw(device.ws(), device.token(), push).await,
        relay.pull_raw(device.ws(), device.token(), "").await,
        relay
            .send(
                Method::GET,
                &uri(device, "live"),
                Some(device.token()),
                None,
            )
            .await,
        relay
            .invite(
                &device.creds,
                &CreateInviteRequest {
                    role: Role::Member,
                    device: true,
                    ttl_seconds: None,
                    invite_id: None,
                    roster: Vec::new(),
                },
            )
            .await,
        relay
            .send(
                Method::GET,
                &uri(device, "members"),
                Some(device.token()),
                None,
            )
            .await,
        keys(relay, device, 0).await,
        relay
            .send(
                Method::POST,
                &uri(device, "leave"),
                Some(device.token()),
                None,
            )
            .await,
    ];
    for reply in replies {
        let err = reply.error(StatusCode::UNAUTHORIZED, codes::REVOKED);
        assert!(err.message.contains("purge"), "{}", err.message);
    }
}

#[tokio::test]
async fn an_owner_lists_every_member_and_device_with_its_key() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    relay.advance_clock(20);
    let admin = join(&relay, &owner, Role::Admin).await;
    relay.advance_clock(20);
    let member = join(&relay, &owner, Role::Member).await;
    relay.advance_clock(20);
    let laptop = add_device(&relay, &member).await;

    let list = members(&relay, &owner).await;
    assert_eq!(list.key_epoch, 0);
    assert!(!list.rotation_needed);
    let roles: Vec<_> = list
        .members
        .iter()
        .map(|m| (m.member_id, m.role, m.removed))
        .collect();
    assert_eq!(
        roles,
        [
            (owner.member(), Role::Owner, false),
            (admin.member(), Role::Admin, false),
            (member.member(), Role::Member, false),
        ]
    );
    assert_eq!(list.devices.len(), 4);
    for device in [&owner, &admin, &member, &laptop] {
        let info = list
            .devices
            .iter()
            .find(|d| d.device_id == device.id)
            .expect("every device is listed");
        assert_eq!(info.member_id, device.member());
        assert_eq!(info.device_key, device.key);
        assert!(!info.revoked);
    }
    assert_eq!(list.devices[3].device_id, laptop.id, "oldest first");
    assert_eq!(list.devices[3].created_at, 1_800_000_060);

    // Any current member sees the same list; another workspace's device sees nothing.
    assert_eq!(members(&relay, &laptop).await, list);
    let stranger = signup(&relay).await;
    relay
        .send(
            Method::GET,
            &uri(&owner, "members"),
            Some(stranger.token()),
            None,
        )
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
}

#[tokio::test]
async fn a_device_key_must_be_64_hex_digits_and_a_device_id_is_registered_once() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    for bad in ["", "abc", &"g".repeat(64), &"a".repeat(63), &"a".repeat(66)] {
        let req = CreateWorkspaceRequest {
            workspace_id: Id::random(),
            member_id: Id::random(),
            device_id: Id::random(),
            device_key: bad.to_owned(),
            token: None,
            roster: vec![crate::common::creation_event()],
        };
        relay
            .signup_with(Some(SIGNUP_SECRET), &req)
            .await
            .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    }

    let invite = invite(&relay, &owner, Role::Member, false).await;
    let before = db_state(&relay);
    let mut req = RedeemInviteRequest {
        workspace_id: owner.ws(),
        invite_secret: invite.invite_secret.clone(),
        device_id: Id::random(),
        member_id: Id::random(),
        device_key: "not a key".into(),
        token: None,
        roster: Vec::new(),
    };
    relay
        .post_json("/v1/invites/redeem", None, &req)
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    // The owner's device id again: one id, one device.
    req.device_key = crate::common::device_key();
    req.device_id = owner.id;
    let err = relay
        .post_json("/v1/invites/redeem", None, &req)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert!(err.message.contains("device id"), "{}", err.message);
    assert_eq!(
        db_state(&relay),
        before,
        "refused redemptions store nothing"
    );

    // Upper-case hex is accepted and listed in lower case.
    req.device_id = Id::random();
    req.device_key = crate::common::device_key().to_uppercase();
    relay
        .post_json("/v1/invites/redeem", None, &req)
        .await
        .json::<DeviceCredentials>(StatusCode::CREATED);
    let list = members(&relay, &owner).await;
    let joined = list.devices.iter().find(|d| d.device_id == req.device_id);
    assert_eq!(
        joined.map(|d| d.device_key.clone()),
        Some(req.device_key.to_lowercase())
    );
}

#[tokio::test]
async fn a_member_revokes_her_own_old_phone_but_not_someone_elses() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let dana = join(&relay, &owner, Role::Member).await;
    let dana_laptop = add_device(&relay, &dana).await;
    let eli = join(&relay, &owner, Role::Member).await;
    let other = signup(&relay).await;

    let before = db_state(&relay);
    let err = revoke(&relay, &dana_laptop, eli.id)
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    assert!(err.message.contains("her own devices"), "{}", err.message);
    revoke(&relay, &dana_laptop, owner.id)
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    revoke(&relay, &dana_laptop, Id::random())
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    revoke(&relay, &dana_laptop, other.id)
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    relay
        .send(
            Method::POST,
            &uri(&dana, "devices/not-an-id/revoke"),
            Some(dana.token()),
            None,
        )
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    assert_eq!(
        db_state(&relay),
        before,
        "refused revocations change nothing"
    );

    // Her old phone (the device she joined with), revoked from her laptop.
    assert_eq!(
        revoke(&relay, &dana_laptop, dana.id).await.status,
        StatusCode::NO_CONTENT
    );
    let list = members(&relay, &owner).await;
    let phone = list
        .devices
        .iter()
        .find(|d| d.device_id == dana.id)
        .unwrap();
    assert!(phone.revoked);
    assert!(list.rotation_needed, "the phone held the workspace key");
    assert!(
        list.members.iter().all(|m| !m.removed),
        "she is still a member"
    );
    // Revoking it again changes nothing.
    assert_eq!(
        revoke(&relay, &dana_laptop, dana.id).await.status,
        StatusCode::NO_CONTENT
    );
    // Her laptop keeps working; the phone does not.
    relay.push(&dana_laptop.creds, &[change(1, 10)]).await;
    refused_as_revoked(&relay, &dana).await;

    // An admin revokes anyone's device.
    let admin = join(&relay, &owner, Role::Admin).await;
    assert_eq!(
        revoke(&relay, &admin, eli.id).await.status,
        StatusCode::NO_CONTENT
    );
    refused_as_revoked(&relay, &eli).await;
}

#[tokio::test]
async fn a_revoked_phone_gets_401_revoked_everywhere_and_its_live_socket_closes() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let phone = add_device(&relay, &owner).await;
    let addr = serve(&relay).await;
    let mut phone_socket = listen(addr, &phone).await;
    let mut owner_socket = listen(addr, &owner).await;

    assert_eq!(
        revoke(&relay, &owner, phone.id).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(closed_with(&mut phone_socket).await, 4001);
    refused_as_revoked(&relay, &phone).await;
    match connect(addr, &phone).await {
        Err(WsError::Http(response)) => assert_eq!(response.status().as_u16(), 401),
        other => panic!("a revoked device reconnected: {other:?}"),
    }

    // A token no device ever held is `unauthorized`, not `revoked`: nothing to purge.
    relay
        .pull_raw(owner.ws(), &trellis_protocol::random_secret(), "")
        .await
        .error(StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED);

    // The owner's own socket is untouched and still hears pushes.
    relay.push(&owner.creds, &[change(1, 10)]).await;
    let next = tokio::time::timeout(Duration::from_secs(5), owner_socket.next())
        .await
        .expect("a head in time");
    assert!(matches!(next, Some(Ok(Message::Text(_)))), "{next:?}");
}

#[tokio::test]
async fn removing_a_member_rotates_the_key_for_the_devices_that_remain() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let owner_laptop = add_device(&relay, &owner).await;
    let admin = join(&relay, &owner, Role::Admin).await;
    let leaver = join(&relay, &owner, Role::Member).await;
    let leaver_laptop = add_device(&relay, &leaver).await;
    let addr = serve(&relay).await;
    let mut leaver_socket = listen(addr, &leaver_laptop).await;

    let remaining = [&owner, &owner_laptop, &admin];
    assert_eq!(
        remove(&relay, &owner, leaver.member(), &rotation(1, &remaining))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(closed_with(&mut leaver_socket).await, 4001);

    // Each remaining device fetches exactly its own sealed key of epoch 1.
    for device in remaining {
        let got: KeysResponse = keys(&relay, device, 0).await.json(StatusCode::OK);
        assert_eq!(got.keys.len(), 1);
        assert_eq!(got.keys[0].epoch, 1);
        assert_eq!(got.keys[0].sealed, sealed_for(device.id, 1));
        let none: KeysResponse = keys(&relay, device, 1).await.json(StatusCode::OK);
        assert!(none.keys.is_empty());
    }
    // The removed member's devices are refused, with `revoked`, on every call.
    refused_as_revoked(&relay, &leaver).await;
    refused_as_revoked(&relay, &leaver_laptop).await;

    let list = members(&relay, &admin).await;
    assert_eq!(list.key_epoch, 1);
    assert!(!list.rotation_needed);
    let removed = list.members.iter().find(|m| m.member_id == leaver.member());
    assert!(removed.is_some_and(|m| m.removed));
    for device in [&leaver, &leaver_laptop] {
        let info = list.devices.iter().find(|d| d.device_id == device.id);
        assert!(info.is_some_and(|d| d.revoked));
    }

    // Removing her again is a conflict; a second rotation follows the first.
    let err = remove(&relay, &owner, leaver.member(), &rotation(2, &remaining))
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert!(err.message.contains("already removed"), "{}", err.message);
    assert_eq!(
        rotate(&relay, &admin, &rotation(2, &remaining))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let got: KeysResponse = keys(&relay, &owner_laptop, 0).await.json(StatusCode::OK);
    let epochs: Vec<u32> = got.keys.iter().map(|k| k.epoch).collect();
    assert_eq!(epochs, [1, 2], "oldest first");
}

#[tokio::test]
async fn a_rotation_with_the_wrong_epoch_or_a_device_that_does_not_remain_is_409_and_changes_nothing(
) {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let admin = join(&relay, &owner, Role::Admin).await;
    let admin_phone = add_device(&relay, &admin).await;
    let leaver = join(&relay, &owner, Role::Member).await;

    let before = db_state(&relay);
    let bad_rotations = [
        ("seals to nobody", rotation(1, &[])),
        ("wrong epoch", rotation(2, &[&owner, &admin, &admin_phone])),
        ("epoch 0", rotation(0, &[&owner, &admin, &admin_phone])),
        (
            "seals to the removed member",
            rotation(1, &[&owner, &admin, &admin_phone, &leaver]),
        ),
        (
            "names a device twice",
            rotation(1, &[&owner, &admin, &admin_phone, &admin]),
        ),
    ];
    for (what, bad) in &bad_rotations {
        let err = remove(&relay, &owner, leaver.member(), bad)
            .await
            .error(StatusCode::CONFLICT, codes::CONFLICT);
        assert!(
            err.message.contains("fetch the members"),
            "{what}: {}",
            err.message
        );
        assert_eq!(db_state(&relay), before, "{what}: nothing changed");
    }
    // The leaver is still in and still works.
    relay.push(&leaver.creds, &[change(1, 10)]).await;
    let before = db_state(&relay);

    // The same checks on a plain rotation (where the leaver still counts).
    let err = rotate(
        &relay,
        &admin,
        &rotation(1, &[&owner, &admin, &admin_phone, &admin_phone]),
    )
    .await
    .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert!(err.message.contains("retry"), "{}", err.message);
    rotate(
        &relay,
        &admin,
        &rotation(3, &[&owner, &admin, &admin_phone, &leaver]),
    )
    .await
    .error(StatusCode::CONFLICT, codes::CONFLICT);
    // A malformed sealed key is a bad request.
    let mut malformed = rotation(1, &[&owner, &admin, &admin_phone, &leaver]);
    malformed.wrapped[0].sealed = "not base64!".into();
    rotate(&relay, &admin, &malformed)
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    assert_eq!(db_state(&relay), before);

    // The right rotation after a refetch goes through.
    let list = members(&relay, &owner).await;
    assert_eq!(list.key_epoch, 0);
    assert_eq!(
        remove(
            &relay,
            &owner,
            leaver.member(),
            &rotation(1, &[&owner, &admin, &admin_phone])
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn leaving_marks_the_key_for_rotation_and_an_admins_rotation_clears_it() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let admin = join(&relay, &owner, Role::Admin).await;
    let stays = join(&relay, &owner, Role::Member).await;
    let goes = join(&relay, &owner, Role::Member).await;
    let goes_laptop = add_device(&relay, &goes).await;
    let addr = serve(&relay).await;
    let mut socket = listen(addr, &goes_laptop).await;

    let reply = relay
        .send(Method::POST, &uri(&goes, "leave"), Some(goes.token()), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(closed_with(&mut socket).await, 4001, "all her devices go");
    refused_as_revoked(&relay, &goes).await;
    refused_as_revoked(&relay, &goes_laptop).await;

    let list = members(&relay, &stays).await;
    assert!(list.rotation_needed);
    assert_eq!(list.key_epoch, 0);
    assert!(list
        .members
        .iter()
        .any(|m| m.member_id == goes.member() && m.removed));

    // A member may not rotate; an admin may, and that clears the mark.
    let remaining = [&owner, &admin, &stays];
    rotate(&relay, &stays, &rotation(1, &remaining))
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    assert_eq!(
        rotate(&relay, &admin, &rotation(1, &remaining))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let list = members(&relay, &owner).await;
    assert!(!list.rotation_needed);
    assert_eq!(list.key_epoch, 1);
    let got: KeysResponse = keys(&relay, &stays, 0).await.json(StatusCode::OK);
    assert_eq!(got.keys.len(), 1);

    // The owner cannot leave before handing the practice over.
    let err = relay
        .send(
            Method::POST,
            &uri(&owner, "leave"),
            Some(owner.token()),
            None,
        )
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert!(err.message.contains("transfer"), "{}", err.message);
}

#[tokio::test]
async fn transfer_makes_the_target_owner_and_the_old_owner_an_admin() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let heir = join(&relay, &owner, Role::Member).await;
    let gone = join(&relay, &owner, Role::Member).await;
    relay
        .send(Method::POST, &uri(&gone, "leave"), Some(gone.token()), None)
        .await;
    let transfer = |by: &Device, member: Id| {
        let uri = uri(by, "transfer");
        let token = by.token().to_owned();
        let relay = &relay;
        async move {
            relay
                .post_json(
                    &uri,
                    Some(&token),
                    &TransferRequest {
                        member_id: member,
                        roster: Vec::new(),
                    },
                )
                .await
        }
    };

    let before = db_state(&relay);
    transfer(&heir, heir.member())
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    transfer(&owner, Id::random())
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    transfer(&owner, gone.member())
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    transfer(&owner, owner.member())
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert_eq!(db_state(&relay), before);

    assert_eq!(
        transfer(&owner, heir.member()).await.status,
        StatusCode::NO_CONTENT
    );
    let list = members(&relay, &heir).await;
    let role_of = |member: Id| {
        list.members
            .iter()
            .find(|m| m.member_id == member)
            .map(|m| m.role)
    };
    assert_eq!(role_of(heir.member()), Some(Role::Owner));
    assert_eq!(role_of(owner.member()), Some(Role::Admin));

    // The roles bite at once: the old owner can no longer transfer, and may now leave; the
    // heir may now invite members and cannot leave.
    transfer(&owner, owner.member())
        .await
        .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    join(&relay, &heir, Role::Member).await;
    relay
        .send(Method::POST, &uri(&heir, "leave"), Some(heir.token()), None)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
    let reply = relay
        .send(
            Method::POST,
            &uri(&owner, "leave"),
            Some(owner.token()),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_admin_removes_members_only_and_no_one_removes_the_owner() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let admin = join(&relay, &owner, Role::Admin).await;
    let admin2 = join(&relay, &owner, Role::Admin).await;
    let member = join(&relay, &owner, Role::Member).await;
    let all = [&owner, &admin, &admin2, &member];
    let without = |gone: &Device| -> Vec<&Device> {
        all.iter().copied().filter(|d| d.id != gone.id).collect()
    };

    let before = db_state(&relay);
    let err = remove(
        &relay,
        &admin,
        owner.member(),
        &rotation(1, &without(&owner)),
    )
    .await
    .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    assert!(err.message.contains("members only"), "{}", err.message);
    remove(
        &relay,
        &admin,
        admin2.member(),
        &rotation(1, &without(&admin2)),
    )
    .await
    .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    remove(
        &relay,
        &member,
        admin.member(),
        &rotation(1, &without(&admin)),
    )
    .await
    .error(StatusCode::FORBIDDEN, codes::FORBIDDEN);
    let err = remove(
        &relay,
        &owner,
        owner.member(),
        &rotation(1, &without(&owner)),
    )
    .await
    .error(StatusCode::CONFLICT, codes::CONFLICT);
    assert!(err.message.contains("transfer"), "{}", err.message);
    remove(&relay, &owner, Id::random(), &rotation(1, &all))
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    assert_eq!(db_state(&relay), before);

    // An admin removes a member; the owner removes an admin.
    assert_eq!(
        remove(
            &relay,
            &admin,
            member.member(),
            &rotation(1, &[&owner, &admin, &admin2])
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        remove(
            &relay,
            &owner,
            admin2.member(),
            &rotation(2, &[&owner, &admin])
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    refused_as_revoked(&relay, &admin2).await;
}

#[tokio::test]
async fn a_removed_members_invites_are_gone_and_one_from_before_a_rotation_still_works() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let admin = join(&relay, &owner, Role::Admin).await;
    let before_rotation = invite(&relay, &owner, Role::Member, false).await;
    let from_admin = invite(&relay, &admin, Role::Member, false).await;
    let admin_device = invite(&relay, &admin, Role::Member, true).await;

    assert_eq!(
        remove(&relay, &owner, admin.member(), &rotation(1, &[&owner]))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    for invite in [&from_admin, &admin_device] {
        let req = RedeemInviteRequest {
            workspace_id: owner.ws(),
            invite_secret: invite.invite_secret.clone(),
            device_id: Id::random(),
            member_id: Id::random(),
            device_key: crate::common::device_key(),
            token: None,
            roster: Vec::new(),
        };
        relay
            .post_json("/v1/invites/redeem", None, &req)
            .await
            .error(StatusCode::GONE, codes::GONE);
    }
    // A code carries no key: the owner's invite from before the rotation still admits a
    // device, which a device of the practice then grants every key.
    let joined = redeem(&relay, owner.ws(), &before_rotation).await;
    assert_eq!(joined.creds.role, Role::Member);
}

#[tokio::test]
async fn an_invite_id_the_workspace_used_already_is_refused_and_stores_nothing() {
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let id = Id::random();
    let ask = CreateInviteRequest {
        role: Role::Member,
        device: false,
        ttl_seconds: None,
        invite_id: Some(id),
        roster: Vec::new(),
    };
    let path = format!("/v1/workspaces/{}/invites", owner.ws());
    let made: CreateInviteResponse = relay
        .post_json(&path, Some(owner.token()), &ask)
        .await
        .json(StatusCode::CREATED);
    assert_eq!(made.invite_id, id);
    relay
        .post_json(&path, Some(owner.token()), &ask)
        .await
        .error(StatusCode::CONFLICT, codes::CONFLICT);
}

/// Pushes `entries` as `device`, saying they are sealed with key `epoch`.
async fn push_sealed_with(
    relay: &Relay,
    device: &Device,
    epoch: &str,
    entries: &[batch::PushEntry],
) -> crate::common::Reply {
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri(uri(device, "push"))
        .header("authorization", format!("Bearer {}", device.token()))
        .header("content-type", "application/octet-stream")
        .header(trellis_protocol::api::KEY_EPOCH_HEADER, epoch)
        .body(axum::body::Body::from(batch::encode_push(entries)))
        .unwrap();
    relay.call(request).await
}

#[tokio::test]
async fn a_phone_that_missed_a_key_rotation_is_told_to_fetch_the_key_before_its_visits_are_stored()
{
    let relay = Relay::start();
    let owner = signup(&relay).await;
    let phone = join(&relay, &owner, Role::Member).await;
    let leaver = join(&relay, &owner, Role::Member).await;

    // Before any rotation, the phone's push at epoch 0 is stored, and the answer says the
    // workspace is at epoch 0; a member is not told about rotations, the owner is.
    let first: trellis_protocol::api::PushResponse =
        push_sealed_with(&relay, &phone, "0", &[change(1, 300)])
            .await
            .json(StatusCode::OK);
    assert_eq!((first.seqs.as_slice(), first.head), (&[1][..], 1));
    assert_eq!(first.key_epoch, Some(0));
    assert_eq!(first.rotation_needed, None, "members are not told");
    let owners: trellis_protocol::api::PushResponse =
        push_sealed_with(&relay, &owner, "0", &[change(2, 300)])
            .await
            .json(StatusCode::OK);
    assert_eq!(owners.rotation_needed, Some(false));

    // The owner removes a clinician and rotates to epoch 1 while the phone is offline.
    assert_eq!(
        remove(
            &relay,
            &owner,
            leaver.member(),
            &rotation(1, &[&owner, &phone])
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );

    // The phone comes back with visits sealed with the old key: refused, and nothing stored.
    let visits = [change(3, 300), change(4, 300)];
    let err = push_sealed_with(&relay, &phone, "0", &visits)
        .await
        .error(StatusCode::CONFLICT, codes::STALE_KEY);
    assert!(err.message.contains("fetch the keys"), "{}", err.message);
    assert_eq!(relay.pull(&owner.creds, 0).await.entries.len(), 2);

    // Sealed again with the new key, they are stored right after what was there.
    let stored: trellis_protocol::api::PushResponse =
        push_sealed_with(&relay, &phone, "1", &visits)
            .await
            .json(StatusCode::OK);
    assert_eq!(stored.seqs, [3, 4]);
    assert_eq!(stored.key_epoch, Some(1));
    assert_eq!(relay.pull(&owner.creds, 0).await.entries.len(), 4);

    // A push that names no epoch is stored as before; a malformed epoch is a 400.
    let plain = relay.push(&phone.creds, &[change(5, 300)]).await;
    assert_eq!(plain.seqs, [5]);
    push_sealed_with(&relay, &phone, "one", &[change(6, 300)])
        .await
        .error(StatusCode::BAD_REQUEST, codes::BAD_REQUEST);
    assert_eq!(relay.pull(&owner.creds, 0).await.entries.len(), 5);

    // A member leaving again makes the owner's next push say a rotation is needed.
    let another = join(&relay, &owner, Role::Member).await;
    let leave = relay
        .send(
            Method::POST,
            &uri(&another, "leave"),
            Some(another.token()),
            None,
        )
        .await;
    assert_eq!(leave.status, StatusCode::NO_CONTENT);
    let told: trellis_protocol::api::PushResponse =
        push_sealed_with(&relay, &owner, "1", &[change(7, 300)])
            .await
            .json(StatusCode::OK);
    assert_eq!(told.rotation_needed, Some(true));
}
