import Foundation
import Observation
import TrellisCore

/// The "My card" form as its controls hold it: the closed lists as sets of the core's values,
/// the ZIP, the fees and the pitch as typed. The same rules as the Android sample's tested
/// `CardDraft`.
public struct CardDraft: Equatable, Sendable {
    public var specialties: Set<Specialty> = []
    public var populations: Set<Population> = []
    public var ageBands: Set<AgeBand> = []
    public var modalities: Set<Modality> = []
    public var panels: Set<Panel> = []
    public var languages: Set<Language> = []
    public var credentials: Set<Credential> = []
    /// Telehealth states, as postal codes.
    public var telehealth: Set<String> = []
    /// The first three digits of the ZIP code, as typed (empty: none).
    public var zip3 = ""
    /// The lowest self-pay fee in dollars, as typed (both fees empty: no self-pay).
    public var feeMin = ""
    /// The highest self-pay fee in dollars, as typed.
    public var feeMax = ""
    /// Whether she is taking new clients; nil until she says.
    public var openings: Openings?
    /// The elevator pitch, as typed (empty: none).
    public var pitch = ""

    /// What the form says when the fees cannot be read.
    public static let feesProblem =
        "Write the self-pay fees in whole dollars, the lowest and the highest (or leave both empty)."

    public init() {}

    /// The form for a stored card.
    public init(_ card: ProfileCard) {
        specialties = Set(card.specialties)
        populations = Set(card.populations)
        ageBands = Set(card.ageBands)
        modalities = Set(card.modalities)
        panels = Set(card.panels)
        languages = Set(card.languages)
        credentials = Set(card.credentials)
        telehealth = Set(card.telehealth)
        zip3 = card.zip3 ?? ""
        feeMin = card.selfPay.map { String($0.min) } ?? ""
        feeMax = card.selfPay.map { String($0.max) } ?? ""
        openings = card.openings
        pitch = card.pitch ?? ""
    }

    /// What saving this draft changes on `stored`: every list, the ZIP, the fees and the pitch
    /// as the form holds them; the openings only when the form changed them (giving them
    /// confirms them as of now). Nil when the fees are not whole dollars.
    public func update(from stored: ProfileCard) -> CardUpdate? {
        guard let fees = selfPay() else { return nil }
        return CardUpdate(
            specialties: ProfileFormat.ordered(specialties, ProfileFormat.choices.specialties),
            populations: ProfileFormat.ordered(populations, ProfileFormat.choices.populations),
            ageBands: ProfileFormat.ordered(ageBands, ProfileFormat.choices.ageBands),
            modalities: ProfileFormat.ordered(modalities, ProfileFormat.choices.modalities),
            panels: ProfileFormat.ordered(panels, ProfileFormat.choices.panels),
            selfPay: fees,
            languages: ProfileFormat.ordered(languages, ProfileFormat.choices.languages),
            zip3: zip3.trimmingCharacters(in: .whitespaces),
            telehealth: telehealth.sorted(),
            credentials: ProfileFormat.ordered(credentials, ProfileFormat.choices.credentials),
            openings: openings == stored.openings ? nil : openings,
            pitch: pitch.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    /// The fees as typed: both empty removes them; otherwise both must be whole dollars.
    private func selfPay() -> SelfPayChange? {
        func dollars(_ s: String) -> String {
            let t = s.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("$") ? String(t.dropFirst()) : t
        }
        let lo = dollars(feeMin), hi = dollars(feeMax)
        if lo.isEmpty && hi.isEmpty { return .clear }
        guard let min = UInt32(lo), let max = UInt32(hi) else { return nil }
        return .offer(range: FeeRange(min: min, max: max))
    }
}

extension Set {
    /// The set with `value` added, or removed if it was there: a chip tapped.
    public func toggled(_ value: Element) -> Set<Element> {
        var s = self
        if s.contains(value) { s.remove(value) } else { s.insert(value) }
        return s
    }
}

/// My profile card: what I treat, whom I see and how, panels and fees, where (a 3-digit ZIP,
/// telehealth states), credentials, whether I am taking new clients, my pitch. Saving is local
/// and reaches colleagues at the next sync; the core refuses a bad ZIP or state, or a pitch too
/// long, and then stores nothing (the form keeps what was typed). The same screen logic as the
/// Android sample's tested `MyCardModel`.
@MainActor
@Observable
public final class MyCardModel {
    /// My card as stored; nil until loaded.
    public private(set) var profile: Profile?
    /// The form; the screen's controls bind to its fields.
    public var draft = CardDraft()
    /// A save is under way.
    public private(set) var saving = false
    /// Why the last save was refused (the core's sentence), or nil.
    public private(set) var problem: String?
    /// What the last action did, or nil.
    public private(set) var notice: String?
    /// Every closed list, in the core's order, for the pickers.
    public let choices = ProfileFormat.choices
    private let store: TrellisStore
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore) { self.store = store }

    /// The nudge: my openings were last confirmed more than 30 days ago, or never (the core
    /// decides). Show `ProfileFormat.nudge` with a button per answer.
    public var nudge: Bool { profile.map { $0.mine && $0.openingsStale } ?? false }

    /// Whether the form differs from the stored card (Save has something to do).
    public var edited: Bool { profile.map { draft != CardDraft($0.card) } ?? false }

    /// Reads my card. A form with unsaved edits keeps them; an untouched one shows the card as
    /// stored.
    public func load() async {
        let load = loads.start()
        do {
            let mine = try await offMain { [store] in try store.profile(member: nil) }
            guard loads.isLatest(load) else { return }
            let keep = edited
            profile = mine
            if !keep { draft = CardDraft(mine.card) }
        } catch {
            if loads.isLatest(load) { problem = Format.problem(error) }
        }
    }

    /// Puts the form back as the card is stored.
    public func discard() {
        draft = profile.map { CardDraft($0.card) } ?? CardDraft()
        problem = nil
        notice = nil
    }

    /// Saves the form. False, with `problem` set and the form kept, when refused.
    public func save() async -> Bool {
        guard let stored = profile?.card, !saving else { return false }
        guard let update = draft.update(from: stored) else {
            problem = CardDraft.feesProblem
            notice = nil
            return false
        }
        saving = true
        defer { saving = false }
        do {
            let saved = try await offMain { [store] in try store.setProfile(update: update) }
            profile = saved
            draft = CardDraft(saved.card)
            problem = nil
            notice = "Your card is saved. Colleagues see it after the next sync."
            return true
        } catch {
            problem = Format.problem(error)
            notice = nil
            return false
        }
    }

    /// The nudge answered: `openings` confirmed as of now, whatever else the form holds (its
    /// other edits stay unsaved). False, with `problem` set, when refused.
    public func confirmOpenings(_ openings: Openings) async -> Bool {
        do {
            let saved = try await offMain { [store] in try store.setProfile(update: CardUpdate(openings: openings)) }
            profile = saved
            draft.openings = saved.card.openings
            problem = nil
            notice = "Thanks: your openings are confirmed as of today."
            return true
        } catch {
            problem = Format.problem(error)
            notice = nil
            return false
        }
    }
}

/// A colleague's card (or mine), by member id, name or id prefix, as the members screen opens
/// it; and the same card as a vCard to hand a referral source.
@MainActor
@Observable
public final class CardModel {
    /// The card; nil until loaded or when it cannot be read (see `problem`).
    public private(set) var profile: Profile?
    /// The card as a vCard 4.0, read with it, for the share sheet.
    public private(set) var vcard: String?
    public private(set) var problem: String?
    private let store: TrellisStore
    private let member: String
    @ObservationIgnored private var loads = LoadCounter()

    public init(store: TrellisStore, member: String) {
        self.store = store
        self.member = member
    }

    /// Reads the card and its vCard again (after a sync brought a change).
    public func refresh() async {
        let load = loads.start()
        do {
            let read = try await offMain { [store, member] () -> CardRead in
                CardRead(profile: try store.profile(member: member), vcard: try store.profileVcard(member: member))
            }
            guard loads.isLatest(load) else { return }
            profile = read.profile
            vcard = read.vcard
            problem = nil
        } catch {
            if loads.isLatest(load) { problem = Format.problem(error) }
        }
    }
}

/// What the card screen reads in one go, off the main actor.
private struct CardRead: Sendable {
    let profile: Profile
    let vcard: String
}

/// How the app words a card: the closed lists' labels (an exhaustive `switch` per list),
/// openings, fees, and the lines of a card as a colleague reads it. The same words as the
/// Android sample's tested `ProfileFormat`.
public enum ProfileFormat {
    /// The nudge on my own card when my openings need confirming.
    public static let nudge = "Are you still taking new clients?"

    /// The core's closed lists, in its order (read once).
    public static let choices = profileChoices()

    /// `values` in the order of `all` (the core's): what the card and the update hold.
    static func ordered<T: Hashable>(_ values: Set<T>, _ all: [T]) -> [T] {
        all.filter { values.contains($0) }
    }

    public static func label(_ v: Specialty) -> String {
        switch v {
        case .anxiety: return "Anxiety"
        case .depression: return "Depression"
        case .traumaPtsd: return "Trauma and PTSD"
        case .adhd: return "ADHD"
        case .autism: return "Autism"
        case .eatingDisorders: return "Eating disorders"
        case .substanceUse: return "Substance use"
        case .griefLoss: return "Grief and loss"
        case .relationships: return "Relationships"
        case .parenting: return "Parenting"
        case .selfHarm: return "Self-harm"
        case .ocd: return "OCD"
        case .bipolar: return "Bipolar disorder"
        case .psychosis: return "Psychosis"
        case .schoolIssues: return "School refusal and school problems"
        case .identity: return "Gender and sexual identity"
        case .anger: return "Anger"
        case .sleep: return "Sleep"
        case .chronicIllness: return "Chronic illness"
        case .perinatal: return "Perinatal and postpartum"
        }
    }

    public static func label(_ v: Population) -> String {
        switch v {
        case .children: return "Children"
        case .adolescents: return "Adolescents"
        case .youngAdults: return "Young adults"
        case .adults: return "Adults"
        case .olderAdults: return "Older adults"
        case .couples: return "Couples"
        case .families: return "Families"
        case .lgbtq: return "LGBTQ+"
        case .veterans: return "Veterans"
        case .firstResponders: return "First responders"
        case .collegeStudents: return "College students"
        }
    }

    public static func label(_ v: AgeBand) -> String {
        switch v {
        case .under6: return "0–5"
        case .child: return "6–12"
        case .teen: return "13–17"
        case .youngAdult: return "18–25"
        case .adult: return "26–64"
        case .older: return "65+"
        }
    }

    public static func label(_ v: Modality) -> String {
        switch v {
        case .cbt: return "CBT"
        case .dbt: return "DBT"
        case .emdr: return "EMDR"
        case .act: return "ACT"
        case .play: return "Play therapy"
        case .familySystems: return "Family systems"
        case .psychodynamic: return "Psychodynamic"
        case .motivationalInterviewing: return "Motivational interviewing"
        case .erp: return "ERP"
        case .pcit: return "PCIT"
        case .tfCbt: return "TF-CBT"
        case .gottman: return "Gottman method"
        case .eft: return "EFT"
        case .solutionFocused: return "Solution-focused"
        case .mindfulness: return "Mindfulness-based"
        case .art: return "Art therapy"
        }
    }

    public static func label(_ v: Panel) -> String {
        switch v {
        case .aetna: return "Aetna"
        case .anthem: return "Anthem"
        case .bcbs: return "Blue Cross Blue Shield"
        case .cigna: return "Cigna"
        case .humana: return "Humana"
        case .kaiser: return "Kaiser Permanente"
        case .magellan: return "Magellan"
        case .medicaid: return "Medicaid"
        case .medicare: return "Medicare"
        case .optum: return "Optum"
        case .tricare: return "Tricare"
        case .united: return "UnitedHealthcare"
        }
    }

    public static func label(_ v: Language) -> String {
        switch v {
        case .arabic: return "Arabic"
        case .asl: return "American Sign Language"
        case .german: return "German"
        case .english: return "English"
        case .spanish: return "Spanish"
        case .persian: return "Persian"
        case .french: return "French"
        case .hebrew: return "Hebrew"
        case .hindi: return "Hindi"
        case .haitianCreole: return "Haitian Creole"
        case .italian: return "Italian"
        case .japanese: return "Japanese"
        case .korean: return "Korean"
        case .polish: return "Polish"
        case .portuguese: return "Portuguese"
        case .russian: return "Russian"
        case .somali: return "Somali"
        case .tagalog: return "Tagalog"
        case .ukrainian: return "Ukrainian"
        case .urdu: return "Urdu"
        case .vietnamese: return "Vietnamese"
        case .chinese: return "Chinese"
        }
    }

    public static func label(_ v: Credential) -> String {
        switch v {
        case .lcsw: return "LCSW"
        case .licsw: return "LICSW"
        case .lmft: return "LMFT"
        case .lpc: return "LPC"
        case .lpcc: return "LPCC"
        case .lmhc: return "LMHC"
        case .lcpc: return "LCPC"
        case .psyd: return "PsyD"
        case .phd: return "PhD"
        case .md: return "MD"
        case .pmhnp: return "PMHNP"
        case .lp: return "LP"
        case .lcat: return "LCAT"
        case .bcba: return "BCBA"
        }
    }

    /// "Taking new clients", "Waitlist of about 3 weeks", "Not taking new clients", "Openings
    /// not given".
    public static func openings(_ o: Openings?) -> String {
        switch o {
        case nil: return "Openings not given"
        case .accepting?: return "Taking new clients"
        case .waitlist(let weeks)?: return weeks == 1 ? "Waitlist of about 1 week" : "Waitlist of about \(weeks) weeks"
        case .full?: return "Not taking new clients"
        }
    }

    /// "$80–$150 a session", "$120 a session".
    public static func fees(_ f: FeeRange) -> String {
        f.min == f.max ? "$\(f.min) a session" : "$\(f.min)–$\(f.max) a session"
    }

    /// "ZIP 010xx": where she sees clients in person, as precise as a card gets.
    public static func zip(_ zip3: String) -> String { "ZIP \(zip3)xx" }

    /// The credentials after a name: "Dana Whitfield, LCSW, PhD".
    public static func nameLine(_ p: Profile) -> String {
        ([p.name] + p.card.credentials.map { label($0) }).joined(separator: ", ")
    }

    /// Whether a card says nothing at all (never written, or emptied).
    public static func isEmpty(_ c: ProfileCard) -> Bool {
        c.specialties.isEmpty && c.populations.isEmpty && c.ageBands.isEmpty && c.modalities.isEmpty
            && c.panels.isEmpty && c.selfPay == nil && c.languages.isEmpty && c.zip3 == nil
            && c.telehealth.isEmpty && c.credentials.isEmpty && c.openings == nil && c.pitch == nil
    }

    /// One line for a member's row: "Taking new clients · Anxiety, ADHD"; nil for an empty card.
    public static func headline(_ p: Profile) -> String? {
        let c = p.card
        if isEmpty(c) { return nil }
        var what = c.specialties.prefix(3).map { label($0) }.joined(separator: ", ")
        if c.specialties.count > 3 { what += ", …" }
        return [openings(c.openings), what].filter { !$0.isEmpty }.joined(separator: " · ")
    }

    /// A card as a colleague reads it, title and text, the parts she filled in only.
    public static func lines(_ c: ProfileCard) -> [(title: String, text: String)] {
        var out: [(title: String, text: String)] = [("Openings", openings(c.openings))]
        func part(_ title: String, _ values: [String]) {
            if !values.isEmpty { out.append((title, values.joined(separator: ", "))) }
        }
        part("Treats", c.specialties.map { label($0) })
        part("Sees", c.populations.map { label($0) })
        part("Ages", c.ageBands.map { label($0) })
        part("Works with", c.modalities.map { label($0) })
        part("Insurance", c.panels.map { label($0) })
        if let fee = c.selfPay { out.append(("Self-pay", fees(fee))) }
        part("Languages", c.languages.map { label($0) })
        if let z = c.zip3 { out.append(("In person", zip(z))) }
        part("Telehealth in", c.telehealth)
        part("Credentials", c.credentials.map { label($0) })
        if let pitch = c.pitch { out.append(("Pitch", pitch)) }
        return out
    }
}
