//! The fixed data the generator draws from: the countries regions are spread over (with
//! their weights and coordinates), syllables for place names in each script, vendor name
//! stems, partners and operators. Kept in one place so the generating code reads as rules,
//! and so changing a list is visibly a change of the generated data.

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

/// A country the generator spreads regions over: code, name, the script of its place
/// names, its share of the regions, and a bounding box for coordinates.
pub(super) struct Country {
    pub code: &'static str,
    pub name: &'static str,
    pub cyrillic: bool,
    pub weight: f64,
    pub latitude: (f64, f64),
    pub longitude: (f64, f64),
}

pub(super) const COUNTRIES: &[Country] = &[
    Country {
        code: "RU",
        name: "Россия",
        cyrillic: true,
        weight: 0.55,
        latitude: (43.0, 68.0),
        longitude: (30.0, 135.0),
    },
    Country {
        code: "KZ",
        name: "Қазақстан",
        cyrillic: true,
        weight: 0.15,
        latitude: (41.0, 55.0),
        longitude: (47.0, 87.0),
    },
    Country {
        code: "UZ",
        name: "Oʻzbekiston",
        cyrillic: false,
        weight: 0.10,
        latitude: (37.5, 45.5),
        longitude: (56.0, 73.0),
    },
    Country {
        code: "BY",
        name: "Беларусь",
        cyrillic: true,
        weight: 0.08,
        latitude: (51.5, 56.0),
        longitude: (23.5, 32.5),
    },
    Country {
        code: "KG",
        name: "Кыргызстан",
        cyrillic: true,
        weight: 0.06,
        latitude: (39.5, 43.0),
        longitude: (69.5, 80.0),
    },
    Country {
        code: "AM",
        name: "Armenia",
        cyrillic: false,
        weight: 0.06,
        latitude: (39.0, 41.2),
        longitude: (43.5, 46.5),
    },
];

const CYRILLIC_SYLLABLES: &[&str] = &[
    "кур",
    "ган",
    "ом",
    "тю",
    "мен",
    "ека",
    "те",
    "рин",
    "бург",
    "чел",
    "ябин",
    "ск",
    "шад",
    "ринск",
    "кар",
    "аган",
    "да",
    "пав",
    "лодар",
    "сем",
    "ей",
    "аст",
    "ана",
    "мин",
    "ск",
    "гом",
    "ель",
    "бре",
    "ст",
    "ош",
    "нар",
    "ын",
    "тал",
    "ас",
    "вол",
    "гор",
    "ново",
    "сиб",
    "ир",
    "бел",
    "ая",
];
const LATIN_SYLLABLES: &[&str] = &[
    "sam", "ar", "kand", "bu", "xo", "ro", "an", "di", "jon", "fer", "ga", "na", "ter", "mez",
    "nuk", "us", "gyu", "mri", "van", "a", "dzor", "ka", "pan", "ar", "ma", "vir", "lo", "ri",
];
pub(super) const VENDOR_STEMS: &[&str] = &[
    "Mindray",
    "Sinovision",
    "Canon",
    "Philips",
    "Medison",
    "Sysmex",
    "Roche",
    "Beckman",
    "Abbott",
    "Siemens",
    "Snibe",
    "Dirui",
    "Urit",
    "Erba",
    "Vector",
    "Helix",
    "Biocard",
    "МедТех",
    "Эйлитон",
    "Диакон",
    "Ютес",
    "Хема",
    "Алкор",
    "Вектор",
    "Бест",
    "Медполимер",
    "Labcore",
    "Novamed",
];
pub(super) const PARTNERS: &[&str] = &[
    "Медтехника",
    "Росэлектроника",
    "Kazmedtech",
    "Nazarbayev Med",
    "Uzmedtech",
    "Белмедпрепараты",
];
pub(super) const OPERATORS: &[&str] = &[
    "Лабораторные технологии",
    "Национальный медицинский холдинг",
    "Областная больница",
    "Medical Lab Operator",
    "Республиканский центр",
];

/// A made-up place name of two to four syllables in the given script, capitalized.
pub(super) fn place_name(rng: &mut StdRng, cyrillic: bool) -> String {
    let syllables = if cyrillic {
        CYRILLIC_SYLLABLES
    } else {
        LATIN_SYLLABLES
    };
    let count = rng.random_range(2..=4);
    let mut name = String::new();
    for _ in 0..count {
        if let Some(syllable) = syllables.choose(rng) {
            name.push_str(syllable);
        }
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}
