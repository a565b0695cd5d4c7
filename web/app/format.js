// How the app words times, numbers and names. Dates are shown in the browser's locale.

/// "kebab-case" names of the core as words: "school-counselor" → "School counselor".
export function label(name) {
  if (!name) return '';
  const words = name.replace(/-/g, ' ');
  return words[0].toUpperCase() + words.slice(1);
}

/// "3 min ago", "yesterday", "in 2 days"...
export function relative(iso, now = Date.now()) {
  if (!iso) return 'never';
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  if (abs < 60_000) return 'just now';
  if (abs < 3_600_000) return rtf.format(Math.round(ms / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(ms / 3_600_000), 'hour');
  return rtf.format(Math.round(ms / 86_400_000), 'day');
}

/// A day and time: "Mon, Dec 7, 2:30 PM".
export function when(iso) {
  return new Date(iso).toLocaleString(undefined, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
}

/// A day: "Dec 7".
export function day(iso) {
  return new Date(iso).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/// `n thing` / `n things`.
export function count(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/// A local `YYYY-MM-DD`, `days` from today.
export function isoDay(days = 0) {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// A profile card's closed lists as words. The lists themselves come from the core
// (`choices()`); these are only the names `label()` would word wrongly (acronyms, languages,
// age ranges). A name not here is worded by `label()`.
const CARD_WORDS = {
  specialties: {
    'trauma-ptsd': 'Trauma and PTSD',
    adhd: 'ADHD',
    ocd: 'OCD',
    'grief-loss': 'Grief and loss',
    'self-harm': 'Self-harm',
    'school-issues': 'School problems',
    identity: 'Gender and sexual identity',
    perinatal: 'Perinatal and postpartum',
  },
  populations: { lgbtq: 'LGBTQ+' },
  age_bands: { '0-5': 'Ages 0–5', '6-12': 'Ages 6–12', '13-17': 'Ages 13–17', '18-25': 'Ages 18–25', '26-64': 'Ages 26–64', '65+': 'Ages 65+' },
  modalities: {
    cbt: 'CBT',
    dbt: 'DBT',
    emdr: 'EMDR',
    act: 'ACT',
    erp: 'ERP',
    pcit: 'PCIT',
    'tf-cbt': 'TF-CBT',
    gottman: 'Gottman method',
    eft: 'EFT',
    'solution-focused': 'Solution-focused',
  },
  panels: { bcbs: 'Blue Cross Blue Shield', kaiser: 'Kaiser Permanente', tricare: 'TRICARE', united: 'UnitedHealthcare' },
  languages: {
    ar: 'Arabic',
    asl: 'American Sign Language',
    de: 'German',
    en: 'English',
    es: 'Spanish',
    fa: 'Persian',
    fr: 'French',
    he: 'Hebrew',
    hi: 'Hindi',
    ht: 'Haitian Creole',
    it: 'Italian',
    ja: 'Japanese',
    ko: 'Korean',
    pl: 'Polish',
    pt: 'Portuguese',
    ru: 'Russian',
    so: 'Somali',
    tl: 'Tagalog',
    uk: 'Ukrainian',
    ur: 'Urdu',
    vi: 'Vietnamese',
    zh: 'Chinese',
  },
  credentials: { psyd: 'PsyD', phd: 'PhD' },
};

/// A name of one of a card's lists (`kind`: "specialties", "languages", "credentials"...) as
/// words: "trauma-ptsd" → "Trauma and PTSD", "es" → "Spanish", "lcsw" → "LCSW".
export function cardWord(kind, name) {
  const word = CARD_WORDS[kind]?.[name];
  if (word) return word;
  if (kind === 'credentials' || kind === 'telehealth') return name.toUpperCase();
  return label(name);
}

/// A card's openings as words: "Accepting new clients", "Waitlist, about 3 weeks", "Full".
export function openingsText(openings) {
  if (!openings) return 'Not said';
  if (openings.status === 'accepting') return 'Accepting new clients';
  if (openings.status === 'waitlist') return `Waitlist, about ${count(openings.weeks, 'week')}`;
  if (openings.status === 'full') return 'Full: not taking new clients';
  return label(openings.status);
}
