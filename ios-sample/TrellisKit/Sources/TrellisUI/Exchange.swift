import Foundation
import Observation
import TrellisCore

/// What the Exchange screen reads in one go, off the main actor.
private struct ExchangeLoad: Sendable {
    let region: String?
    let posts: [Post]
}

/// The regional referral exchange: the needs posted to the phone's current region (those that
/// fit this member's card first, as the core ranks them), posting one, replying to a
/// colleague's, reading the replies to one's own and closing it. `region` is the region store of
/// the same file as `store` (`TrellisStore.openRegion`); a post closed as connected is recorded
/// in the practice as a referral (`recordExchange`). The same rules as the Android sample's
/// tested `ExchangeModel`.
@MainActor
@Observable
public final class ExchangeModel {
    /// The current region's name, or nil when this phone is in no region.
    public private(set) var regionName: String?
    /// The region's posts, as the core ranks them.
    public private(set) var posts: [Post] = []
    /// The post whose replies are open, and them.
    public private(set) var replies: (post: String, replies: [Reply])?
    /// Referrals the last sync or close recorded in the practice.
    public private(set) var recorded: UInt64 = 0
    /// A problem to show (the core's reason).
    public private(set) var problem: String?
    private let store: TrellisStore
    private let region: TrellisStore
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore, region: TrellisStore) {
        self.store = store
        self.region = region
    }

    /// Reloads the posts.
    public func refresh() async {
        let load = loads.start()
        do {
            let found = try await offMain { [region] () -> ExchangeLoad in
                guard let current = try region.workspaces().first(where: \.current) else {
                    return ExchangeLoad(region: nil, posts: [])
                }
                return ExchangeLoad(region: current.name, posts: try region.posts(filter: PostFilter(fitsMe: false, mine: false)))
            }
            guard loads.isLatest(load) else { return }
            regionName = found.region
            posts = found.posts
            problem = nil
        } catch {
            if loads.isLatest(load) { problem = Format.problem(error) }
        }
    }

    /// Posts `need` (facets, and a short text the core may refuse); false, with the core's
    /// reason, when refused.
    public func post(_ need: Need) async -> Bool {
        let post = NewPost(need: need, expiresDays: nil)
        do {
            _ = try await offMain { [region] in try region.postNeed(post: post) }
        } catch {
            problem = Format.problem(error)
            return false
        }
        await refresh()
        return true
    }

    /// Replies to a colleague's open post.
    public func reply(to postId: String, fit: Fit, note: String?) async -> Bool {
        let input = ReplyInput(fit: fit, weeks: nil, note: note)
        do {
            _ = try await offMain { [region] in try region.reply(query: postId, reply: input) }
        } catch {
            problem = Format.problem(error)
            return false
        }
        await refresh()
        return true
    }

    /// Opens the replies to one of this member's posts (yes first).
    public func openReplies(_ postId: String) async {
        do {
            let found = try await offMain { [region] in try region.replies(query: postId) }
            replies = (postId, found)
        } catch {
            problem = Format.problem(error)
        }
    }

    /// Closes one of this member's posts; a connection (`with` the colleague's name) is
    /// recorded in the practice at once as a referral sent.
    public func close(_ postId: String, outcome: Outcome, with colleague: String?) async -> Bool {
        do {
            recorded = try await offMain { [store, region] () -> UInt64 in
                _ = try region.closePost(query: postId, outcome: outcome, connectedWith: colleague)
                return try store.recordExchange(region: region)
            }
        } catch {
            problem = Format.problem(error)
            return false
        }
        replies = nil
        await refresh()
        return true
    }

    /// Syncs the region (the core records in the practice the connections it brought), and
    /// syncs the practice (when it is on a relay) if it recorded any.
    public func sync() async {
        do {
            let count = try await region.sync().referralsRecorded
            let shared = try await offMain { [store] in
                try store.workspaces().contains { $0.current && $0.relayUrl != nil }
            }
            recorded = count
            if count > 0, shared { _ = try await store.sync() }
        } catch {
            problem = Format.problem(error)
            return
        }
        await refresh()
    }

    /// A post's headline: its age band, what it is about, and "fits you" when it does.
    public nonisolated static func headline(_ post: Post) -> String {
        let about = post.need.specialties.map { ProfileFormat.label($0) }.joined(separator: ", ")
        let parts = [ProfileFormat.label(post.need.ageBand), about].filter { !$0.isEmpty }
        return parts.joined(separator: " · ") + (post.fits && post.status == "open" ? " · fits you" : "")
    }

    /// A reply's line: who, and yes, waitlist or no, with the note.
    public nonisolated static func line(_ reply: Reply) -> String {
        let answer: String
        switch reply.fit {
        case .yes: answer = "yes"
        case .waitlist: answer = "waitlist"
        case .no: answer = "not a fit"
        }
        return "\(reply.member): \(answer)" + (reply.note.map { " — \($0)" } ?? "")
    }
}
