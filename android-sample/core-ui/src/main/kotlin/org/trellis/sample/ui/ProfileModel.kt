package org.trellis.sample.ui

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.trellis.core.AgeBand
import org.trellis.core.CardUpdate
import org.trellis.core.Credential
import org.trellis.core.FeeRange
import org.trellis.core.Language
import org.trellis.core.Modality
import org.trellis.core.Openings
import org.trellis.core.Panel
import org.trellis.core.Population
import org.trellis.core.Profile
import org.trellis.core.ProfileCard
import org.trellis.core.ProfileChoices
import org.trellis.core.SelfPayChange
import org.trellis.core.Specialty
import org.trellis.core.TrellisException
import org.trellis.core.TrellisStore
import org.trellis.core.profileChoices

/**
 * The "My card" form as its controls hold it: the closed lists as sets of the core's values,
 * the ZIP, the fees and the pitch as typed. [of] reads a stored card; [update] says what saving
 * changes.
 */
data class CardDraft(
    val specialties: Set<Specialty> = emptySet(),
    val populations: Set<Population> = emptySet(),
    val ageBands: Set<AgeBand> = emptySet(),
    val modalities: Set<Modality> = emptySet(),
    val panels: Set<Panel> = emptySet(),
    val languages: Set<Language> = emptySet(),
    val credentials: Set<Credential> = emptySet(),
    /** Telehealth states, as postal codes. */
    val telehealth: Set<String> = emptySet(),
    /** The first three digits of the ZIP code, as typed (empty: none). */
    val zip3: String = "",
    /** The lowest self-pay fee in dollars, as typed (both fees empty: no self-pay). */
    val feeMin: String = "",
    /** The highest self-pay fee in dollars, as typed. */
    val feeMax: String = "",
    /** Whether she is taking new clients; null until she says. */
    val openings: Openings? = null,
    /** The elevator pitch, as typed (empty: none). */
    val pitch: String = "",
) {
    /**
     * What saving this draft changes on [stored]: every list, the ZIP, the fees and the pitch
     * as the form holds them; the openings only when the form changed them, because giving
     * them confirms them as of now (the nudge's buttons confirm them on purpose). Throws
     * [IllegalArgumentException] with a sentence for the user when the fees are not whole
     * dollars.
     */
    fun update(stored: ProfileCard): CardUpdate = CardUpdate(
        specialties = specialties.sorted(),
        populations = populations.sorted(),
        ageBands = ageBands.sorted(),
        modalities = modalities.sorted(),
        panels = panels.sorted(),
        selfPay = selfPay(),
        languages = languages.sorted(),
        zip3 = zip3.trim(),
        telehealth = telehealth.sorted(),
        credentials = credentials.sorted(),
        openings = openings?.takeIf { it != stored.openings },
        pitch = pitch.trim(),
    )

    /** The fees as typed: both empty removes them; otherwise both must be whole dollars. */
    private fun selfPay(): SelfPayChange {
        val lo = feeMin.trim().removePrefix("$")
        val hi = feeMax.trim().removePrefix("$")
        if (lo.isEmpty() && hi.isEmpty()) return SelfPayChange.Clear
        val min = lo.toUIntOrNull()
        val max = hi.toUIntOrNull()
        require(min != null && max != null) { FEES_PROBLEM }
        return SelfPayChange.Offer(FeeRange(min, max))
    }

    companion object {
        /** What the form says when the fees cannot be read. */
        const val FEES_PROBLEM = "Write the self-pay fees in whole dollars, the lowest and the highest (or leave both empty)."

        /** The form for a stored card. */
        fun of(card: ProfileCard): CardDraft = CardDraft(
            specialties = card.specialties.toSet(),
            populations = card.populations.toSet(),
            ageBands = card.ageBands.toSet(),
            modalities = card.modalities.toSet(),
            panels = card.panels.toSet(),
            languages = card.languages.toSet(),
            credentials = card.credentials.toSet(),
            telehealth = card.telehealth.toSet(),
            zip3 = card.zip3 ?: "",
            feeMin = card.selfPay?.min?.toString() ?: "",
            feeMax = card.selfPay?.max?.toString() ?: "",
            openings = card.openings,
            pitch = card.pitch ?: "",
        )
    }
}

/** [this] with [value] added, or removed if it was there: a chip tapped. */
fun <T> Set<T>.toggled(value: T): Set<T> = if (value in this) this - value else this + value

/** What the "My card" screen shows. */
data class MyCardState(
    /** My card as stored; null until loaded. */
    val profile: Profile? = null,
    /** The form. */
    val draft: CardDraft = CardDraft(),
    /** A save is under way. */
    val saving: Boolean = false,
    /** Why the last save was refused (the core's sentence), or null. */
    val problem: String? = null,
    /** What the last action did, or null. */
    val notice: String? = null,
) {
    /**
     * The nudge: my openings were last confirmed more than 30 days ago, or never (the core
     * decides). Show [ProfileFormat.NUDGE] with a button for each answer.
     */
    val nudge: Boolean get() = profile?.let { it.mine && it.openingsStale } ?: false

    /** Whether the form differs from the stored card (Save has something to do). */
    val edited: Boolean get() = profile != null && draft != CardDraft.of(profile.card)
}

/**
 * My profile card: what I treat, whom I see and how, my panels and fees, where (a 3-digit ZIP,
 * telehealth states), my credentials, whether I am taking new clients, my pitch. Saving is
 * local and reaches colleagues at the next sync; the core refuses a bad ZIP or state, or a
 * pitch too long, and then stores nothing (the form keeps what was typed, to fix).
 */
class MyCardModel(private val store: TrellisStore) {
    private val _state = MutableStateFlow(MyCardState())

    /** The screen's state. */
    val state: StateFlow<MyCardState> = _state.asStateFlow()

    /** Every closed list, in the core's order, for the pickers. */
    val choices: ProfileChoices = profileChoices()

    /**
     * Reads my card. A form with unsaved edits keeps them (a sync of another of my devices
     * should not wipe what I am typing); an untouched one shows the card as stored.
     */
    fun load() {
        try {
            val mine = store.profile()
            _state.update { s ->
                s.copy(profile = mine, draft = if (s.edited) s.draft else CardDraft.of(mine.card))
            }
        } catch (e: TrellisException) {
            _state.update { it.copy(problem = Format.problem(e)) }
        }
    }

    /** Changes the form: `edit { it.copy(specialties = it.specialties.toggled(Specialty.ANXIETY)) }`. */
    fun edit(change: (CardDraft) -> CardDraft) {
        _state.update { it.copy(draft = change(it.draft), notice = null) }
    }

    /** Puts the form back as the card is stored. */
    fun discard() {
        _state.update { s -> s.copy(draft = s.profile?.let { CardDraft.of(it.card) } ?: CardDraft(), problem = null) }
    }

    /** Saves the form. Returns the problem to show (the form keeps its text), or null when saved. */
    fun save(): String? {
        if (_state.value.profile == null) load()
        val stored = _state.value.profile?.card ?: return _state.value.problem ?: "Your card could not be read."
        val update = try {
            _state.value.draft.update(stored)
        } catch (e: IllegalArgumentException) {
            return refused(e.message ?: CardDraft.FEES_PROBLEM)
        }
        _state.update { it.copy(saving = true) }
        return try {
            val saved = store.setProfile(update)
            _state.value = MyCardState(profile = saved, draft = CardDraft.of(saved.card), notice = SAVED)
            null
        } catch (e: TrellisException) {
            refused(Format.problem(e))
        }
    }

    /**
     * The nudge answered: [openings] confirmed as of now, whatever else the form holds (its
     * other edits stay unsaved). Returns the problem to show, or null.
     */
    fun confirmOpenings(openings: Openings): String? = try {
        val saved = store.setProfile(CardUpdate(openings = openings))
        _state.update { s ->
            s.copy(profile = saved, draft = s.draft.copy(openings = saved.card.openings), problem = null, notice = CONFIRMED)
        }
        null
    } catch (e: TrellisException) {
        refused(Format.problem(e))
    }

    private fun refused(problem: String): String {
        _state.update { it.copy(saving = false, problem = problem, notice = null) }
        return problem
    }

    companion object {
        /** What saving said. */
        const val SAVED = "Your card is saved. Colleagues see it after the next sync."

        /** What answering the nudge said. */
        const val CONFIRMED = "Thanks: your openings are confirmed as of today."
    }
}

/**
 * A colleague's card (or mine), by member id, name or id prefix, as the members screen opens
 * it; and the same card as a vCard to hand a referral source.
 */
class CardModel(private val store: TrellisStore, private val member: String) {
    private val _state = MutableStateFlow<Result<Profile>?>(null)

    /** The card, or why it cannot be shown; null until loaded. */
    val state: StateFlow<Result<Profile>?> = _state.asStateFlow()

    /** Reads the card again (after a sync brought a change). */
    fun refresh() {
        _state.value = try {
            Result.success(store.profile(member))
        } catch (e: TrellisException) {
            Result.failure(e)
        }
    }

    /** The card as a vCard 4.0, or null when it cannot be read. */
    fun vcard(): String? = try {
        store.profileVcard(member)
    } catch (e: TrellisException) {
        null
    }
}

/**
 * How the app words a card: the closed lists' labels (an exhaustive `when` per list: a value
 * added to the core fails to compile here until it has one), openings, fees, and the lines of
 * a card as a colleague reads it. Pure functions.
 */
object ProfileFormat {
    /** The nudge on my own card when my openings need confirming. */
    const val NUDGE = "Are you still taking new clients?"

    fun label(v: Specialty): String = when (v) {
        Specialty.ANXIETY -> "Anxiety"
        Specialty.DEPRESSION -> "Depression"
        Specialty.TRAUMA_PTSD -> "Trauma and PTSD"
        Specialty.ADHD -> "ADHD"
        Specialty.AUTISM -> "Autism"
        Specialty.EATING_DISORDERS -> "Eating disorders"
        Specialty.SUBSTANCE_USE -> "Substance use"
        Specialty.GRIEF_LOSS -> "Grief and loss"
        Specialty.RELATIONSHIPS -> "Relationships"
        Specialty.PARENTING -> "Parenting"
        Specialty.SELF_HARM -> "Self-harm"
        Specialty.OCD -> "OCD"
        Specialty.BIPOLAR -> "Bipolar disorder"
        Specialty.PSYCHOSIS -> "Psychosis"
        Specialty.SCHOOL_ISSUES -> "School refusal and school problems"
        Specialty.IDENTITY -> "Gender and sexual identity"
        Specialty.ANGER -> "Anger"
        Specialty.SLEEP -> "Sleep"
        Specialty.CHRONIC_ILLNESS -> "Chronic illness"
        Specialty.PERINATAL -> "Perinatal and postpartum"
    }

    fun label(v: Population): String = when (v) {
        Population.CHILDREN -> "Children"
        Population.ADOLESCENTS -> "Adolescents"
        Population.YOUNG_ADULTS -> "Young adults"
        Population.ADULTS -> "Adults"
        Population.OLDER_ADULTS -> "Older adults"
        Population.COUPLES -> "Couples"
        Population.FAMILIES -> "Families"
        Population.LGBTQ -> "LGBTQ+"
        Population.VETERANS -> "Veterans"
        Population.FIRST_RESPONDERS -> "First responders"
        Population.COLLEGE_STUDENTS -> "College students"
    }

    fun label(v: AgeBand): String = when (v) {
        AgeBand.UNDER6 -> "0–5"
        AgeBand.CHILD -> "6–12"
        AgeBand.TEEN -> "13–17"
        AgeBand.YOUNG_ADULT -> "18–25"
        AgeBand.ADULT -> "26–64"
        AgeBand.OLDER -> "65+"
    }

    fun label(v: Modality): String = when (v) {
        Modality.CBT -> "CBT"
        Modality.DBT -> "DBT"
        Modality.EMDR -> "EMDR"
        Modality.ACT -> "ACT"
        Modality.PLAY -> "Play therapy"
        Modality.FAMILY_SYSTEMS -> "Family systems"
        Modality.PSYCHODYNAMIC -> "Psychodynamic"
        Modality.MOTIVATIONAL_INTERVIEWING -> "Motivational interviewing"
        Modality.ERP -> "ERP"
        Modality.PCIT -> "PCIT"
        Modality.TF_CBT -> "TF-CBT"
        Modality.GOTTMAN -> "Gottman method"
        Modality.EFT -> "EFT"
        Modality.SOLUTION_FOCUSED -> "Solution-focused"
        Modality.MINDFULNESS -> "Mindfulness-based"
        Modality.ART -> "Art therapy"
    }

    fun label(v: Panel): String = when (v) {
        Panel.AETNA -> "Aetna"
        Panel.ANTHEM -> "Anthem"
        Panel.BCBS -> "Blue Cross Blue Shield"
        Panel.CIGNA -> "Cigna"
        Panel.HUMANA -> "Humana"
        Panel.KAISER -> "Kaiser Permanente"
        Panel.MAGELLAN -> "Magellan"
        Panel.MEDICAID -> "Medicaid"
        Panel.MEDICARE -> "Medicare"
        Panel.OPTUM -> "Optum"
        Panel.TRICARE -> "Tricare"
        Panel.UNITED -> "UnitedHealthcare"
    }

    fun label(v: Language): String = when (v) {
        Language.ARABIC -> "Arabic"
        Language.ASL -> "American Sign Language"
        Language.GERMAN -> "German"
        Language.ENGLISH -> "English"
        Language.SPANISH -> "Spanish"
        Language.PERSIAN -> "Persian"
        Language.FRENCH -> "French"
        Language.HEBREW -> "Hebrew"
        Language.HINDI -> "Hindi"
        Language.HAITIAN_CREOLE -> "Haitian Creole"
        Language.ITALIAN -> "Italian"
        Language.JAPANESE -> "Japanese"
        Language.KOREAN -> "Korean"
        Language.POLISH -> "Polish"
        Language.PORTUGUESE -> "Portuguese"
        Language.RUSSIAN -> "Russian"
        Language.SOMALI -> "Somali"
        Language.TAGALOG -> "Tagalog"
        Language.UKRAINIAN -> "Ukrainian"
        Language.URDU -> "Urdu"
        Language.VIETNAMESE -> "Vietnamese"
        Language.CHINESE -> "Chinese"
    }

    fun label(v: Credential): String = when (v) {
        Credential.LCSW -> "LCSW"
        Credential.LICSW -> "LICSW"
        Credential.LMFT -> "LMFT"
        Credential.LPC -> "LPC"
        Credential.LPCC -> "LPCC"
        Credential.LMHC -> "LMHC"
        Credential.LCPC -> "LCPC"
        Credential.PSYD -> "PsyD"
        Credential.PHD -> "PhD"
        Credential.MD -> "MD"
        Credential.PMHNP -> "PMHNP"
        Credential.LP -> "LP"
        Credential.LCAT -> "LCAT"
        Credential.BCBA -> "BCBA"
    }

    /** "Taking new clients", "Waitlist of about 3 weeks", "Not taking new clients", "Openings not given". */
    fun openings(o: Openings?): String = when (o) {
        null -> "Openings not given"
        is Openings.Accepting -> "Taking new clients"
        is Openings.Waitlist -> if (o.weeks == 1u) "Waitlist of about 1 week" else "Waitlist of about ${o.weeks} weeks"
        is Openings.Full -> "Not taking new clients"
    }

    /** "$80–$150 a session", "$120 a session". */
    fun fees(f: FeeRange): String = if (f.min == f.max) "\$${f.min} a session" else "\$${f.min}–\$${f.max} a session"

    /** "ZIP 010xx": where she sees clients in person, as precise as a card gets. */
    fun zip(zip3: String): String = "ZIP ${zip3}xx"

    /** The credentials after a name: "Dana Whitfield, LCSW, PhD"; just the name without any. */
    fun nameLine(p: Profile): String =
        (listOf(p.name) + p.card.credentials.map(::label)).joinToString(", ")

    /** One line for a member's row: "Taking new clients · Anxiety, ADHD"; null for an empty card. */
    fun headline(p: Profile): String? {
        val c = p.card
        if (isEmpty(c)) return null
        val what = c.specialties.take(3).joinToString(", ") { label(it) } +
            if (c.specialties.size > 3) ", …" else ""
        return listOf(openings(c.openings), what).filter { it.isNotEmpty() }.joinToString(" · ")
    }

    /** Whether a card says nothing at all (never written, or emptied). */
    fun isEmpty(c: ProfileCard): Boolean =
        c.specialties.isEmpty() && c.populations.isEmpty() && c.ageBands.isEmpty() && c.modalities.isEmpty() &&
            c.panels.isEmpty() && c.selfPay == null && c.languages.isEmpty() && c.zip3 == null &&
            c.telehealth.isEmpty() && c.credentials.isEmpty() && c.openings == null && c.pitch == null

    /**
     * A card as a colleague reads it, title and text, the parts she filled in only:
     * ("Openings", "Waitlist of about 3 weeks"), ("Treats", "Anxiety, ADHD"), ...
     */
    fun lines(c: ProfileCard): List<Pair<String, String>> = buildList {
        add("Openings" to openings(c.openings))
        fun <T> part(title: String, values: List<T>, label: (T) -> String) {
            if (values.isNotEmpty()) add(title to values.joinToString(", ") { label(it) })
        }
        part("Treats", c.specialties, ::label)
        part("Sees", c.populations, ::label)
        part("Ages", c.ageBands, ::label)
        part("Works with", c.modalities, ::label)
        part("Insurance", c.panels, ::label)
        c.selfPay?.let { add("Self-pay" to fees(it)) }
        part("Languages", c.languages, ::label)
        c.zip3?.let { add("In person" to zip(it)) }
        part("Telehealth in", c.telehealth) { it }
        part("Credentials", c.credentials, ::label)
        c.pitch?.let { add("Pitch" to it) }
    }
}
