import TrellisCore

// The records and enums of the core that this package hands between the main actor and
// `offMain`, declared Sendable for compilers before Swift 6.
//
// uniffi's Swift declares them Sendable only `#if compiler(>=6)`; under Xcode 15's Swift 5.9
// they are public structs and enums of another module, which are never implicitly Sendable,
// so with strict concurrency checking every result of `offMain` would be diagnosed. They are
// immutable values made of strings, numbers, optionals, arrays and each other, so the
// conformance is true; `@unchecked` is how Swift accepts a conformance declared outside the
// type's own file. On a Swift 6 compiler the generated conformances apply and these are
// compiled out (declaring both would be redundant). `check-swift-api` lists what the sample
// uses and fails if one is missing here or if the generated Swift changes the condition.
#if !compiler(>=6)
extension Activity: @unchecked Sendable {}
extension ActivityKind: @unchecked Sendable {}
extension AgeBand: @unchecked Sendable {}
extension CardUpdate: @unchecked Sendable {}
extension ChangeKind: @unchecked Sendable {}
extension Contact: @unchecked Sendable {}
extension ContactCategory: @unchecked Sendable {}
extension ContactDetail: @unchecked Sendable {}
extension Count: @unchecked Sendable {}
extension Credential: @unchecked Sendable {}
extension DataChanged: @unchecked Sendable {}
extension Device: @unchecked Sendable {}
extension DeviceView: @unchecked Sendable {}
extension FeeRange: @unchecked Sendable {}
extension Fit: @unchecked Sendable {}
extension FollowUp: @unchecked Sendable {}
extension FollowUpFilter: @unchecked Sendable {}
extension FollowUpKind: @unchecked Sendable {}
extension GeoPoint: @unchecked Sendable {}
extension InviteView: @unchecked Sendable {}
extension Language: @unchecked Sendable {}
extension LeftBehind: @unchecked Sendable {}
extension MemberView: @unchecked Sendable {}
extension Modality: @unchecked Sendable {}
extension Nearby: @unchecked Sendable {}
extension Need: @unchecked Sendable {}
extension NewContact: @unchecked Sendable {}
extension NewDropBy: @unchecked Sendable {}
extension NewOrg: @unchecked Sendable {}
extension NewPost: @unchecked Sendable {}
extension NewReferral: @unchecked Sendable {}
extension NoteEntry: @unchecked Sendable {}
extension Openings: @unchecked Sendable {}
extension OrgKind: @unchecked Sendable {}
extension Organization: @unchecked Sendable {}
extension Outcome: @unchecked Sendable {}
extension Panel: @unchecked Sendable {}
extension Payer: @unchecked Sendable {}
extension Population: @unchecked Sendable {}
extension Post: @unchecked Sendable {}
extension PostFilter: @unchecked Sendable {}
extension Profile: @unchecked Sendable {}
extension ProfileCard: @unchecked Sendable {}
extension ProfileChoices: @unchecked Sendable {}
extension Referral: @unchecked Sendable {}
extension ReferralChannel: @unchecked Sendable {}
extension ReferralDirection: @unchecked Sendable {}
extension ReferralStatus: @unchecked Sendable {}
extension Reply: @unchecked Sendable {}
extension ReplyInput: @unchecked Sendable {}
extension Role: @unchecked Sendable {}
extension SearchHit: @unchecked Sendable {}
extension SelfPayChange: @unchecked Sendable {}
extension Service: @unchecked Sendable {}
extension Specialty: @unchecked Sendable {}
extension Stage: @unchecked Sendable {}
extension Status: @unchecked Sendable {}
extension StockItem: @unchecked Sendable {}
extension SyncReport: @unchecked Sendable {}
extension SyncState: @unchecked Sendable {}
extension TimeReport: @unchecked Sendable {}
extension Urgency: @unchecked Sendable {}
extension WeekMinutes: @unchecked Sendable {}
extension When: @unchecked Sendable {}
extension WorkspaceInfo: @unchecked Sendable {}
#endif
