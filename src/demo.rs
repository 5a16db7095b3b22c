//! `labnet seed-demo`: an illustrative data set drawn from public reports of a centralized
//! laboratory programme (ten Russian regions with Kurgan oblast as the pilot, hub-and-spoke
//! laboratories in each) and of global vendors localizing production.
//!
//! Every record is written through the services, as the `seed-demo` system actor, so the
//! rules, the audit trail and the change feed see it like any other write. A record is
//! looked up by its natural key (region code, laboratory code, vendor or organization name,
//! a vendor's localization in a country, a model's code within its vendor, a certificate's
//! number, a unit's serial number, the agreement between two countries) before it is made,
//! so a second run changes nothing.
//! The figures (coordinates, dates, shares, capacities) are illustrative, not official.

use chrono::NaiveDate;

use crate::core::auth::Caller;
use crate::core::context::WriteContext;
use crate::core::error::DomainError;
use crate::core::paging::{PageRequest, Sort};
use crate::db::{self, DbConn, DbPool};
use crate::equipment_models::model::{EquipmentCategory, EquipmentModelCreate, EquipmentModelId};
use crate::equipment_units::model::{EquipmentUnitCreate, EquipmentUnitStatus};
use crate::laboratories::model::{
    Discipline, LaboratoryCreate, LaboratoryId, LaboratoryKind, LaboratoryStatus,
};
use crate::localizations::model::LocalizationId;
use crate::localizations::model::{
    LocalizationCreate, LocalizationFilter, LocalizationScope, LocalizationSort, LocalizationStage,
};
use crate::organizations::model::{OrganizationCreate, OrganizationKind};
use crate::recognition_agreements::model::{
    AgreementCreate, AgreementFilter, AgreementScope, AgreementSort,
};
use crate::regions::model::{RegionCreate, RegionId, RegionLevel, RolloutStage};
use crate::registration_certificates::model::{CertificateCreate, CertificateStatus};
use crate::validation::{code_key, search_key};
use crate::vendors::model::{ProductCategory, VendorCreate, VendorId};
use crate::{
    equipment_models, equipment_units, laboratories, localizations, organizations,
    recognition_agreements, regions, registration_certificates, vendors,
};

/// How many records of each kind a run made, and how many were there already.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub lines: Vec<String>,
}

#[derive(Default)]
struct Tally {
    made: usize,
    found: usize,
}

impl Tally {
    fn count(&mut self, made: bool) {
        if made {
            self.made += 1;
        } else {
            self.found += 1;
        }
    }

    fn line(&self, what: &str) -> String {
        format!("{what}: {} made, {} already there", self.made, self.found)
    }
}

/// A region of the programme: its code, name, rollout stage and target year, its capital
/// (where the hub is) and a second town (where a branch is).
struct DemoRegion {
    code: &'static str,
    name: &'static str,
    stage: RolloutStage,
    target_year: i64,
    capital: (&'static str, f64, f64),
    town: (&'static str, f64, f64),
}

const REGIONS: &[DemoRegion] = &[
    DemoRegion {
        code: "RU-KGN",
        name: "Курганская область",
        stage: RolloutStage::Pilot,
        target_year: 2026,
        capital: ("Курган", 55.4410, 65.3411),
        town: ("Шадринск", 56.0870, 63.6330),
    },
    DemoRegion {
        code: "RU-TYU",
        name: "Тюменская область",
        stage: RolloutStage::InProgress,
        target_year: 2027,
        capital: ("Тюмень", 57.1530, 65.5343),
        town: ("Тобольск", 58.1981, 68.2645),
    },
    DemoRegion {
        code: "RU-CHE",
        name: "Челябинская область",
        stage: RolloutStage::InProgress,
        target_year: 2027,
        capital: ("Челябинск", 55.1644, 61.4368),
        town: ("Магнитогорск", 53.4072, 58.9791),
    },
    DemoRegion {
        code: "RU-SVE",
        name: "Свердловская область",
        stage: RolloutStage::Planned,
        target_year: 2028,
        capital: ("Екатеринбург", 56.8389, 60.6057),
        town: ("Нижний Тагил", 57.9101, 59.9813),
    },
    DemoRegion {
        code: "RU-OMS",
        name: "Омская область",
        stage: RolloutStage::Planned,
        target_year: 2028,
        capital: ("Омск", 54.9885, 73.3242),
        town: ("Тара", 56.9000, 74.3667),
    },
    DemoRegion {
        code: "RU-ORE",
        name: "Оренбургская область",
        stage: RolloutStage::Planned,
        target_year: 2028,
        capital: ("Оренбург", 51.7682, 55.0970),
        town: ("Орск", 51.2293, 58.4752),
    },
    DemoRegion {
        code: "RU-BA",
        name: "Республика Башкортостан",
        stage: RolloutStage::Planned,
        target_year: 2028,
        capital: ("Уфа", 54.7388, 55.9721),
        town: ("Стерлитамак", 53.6300, 55.9300),
    },
    DemoRegion {
        code: "RU-NVS",
        name: "Новосибирская область",
        stage: RolloutStage::Planned,
        target_year: 2029,
        capital: ("Новосибирск", 55.0084, 82.9357),
        town: ("Бердск", 54.7580, 83.1070),
    },
    DemoRegion {
        code: "RU-PER",
        name: "Пермский край",
        stage: RolloutStage::Planned,
        target_year: 2029,
        capital: ("Пермь", 58.0105, 56.2502),
        town: ("Березники", 59.4081, 56.8040),
    },
    DemoRegion {
        code: "RU-TOM",
        name: "Томская область",
        stage: RolloutStage::Planned,
        target_year: 2029,
        capital: ("Томск", 56.4846, 84.9476),
        town: ("Северск", 56.6031, 84.8809),
    },
];

/// A vendor that declared interest in localizing, and how far its localization in Russia
/// has got (stage, date of the last change, local-content share, the region of the site).
struct DemoVendor {
    name: &'static str,
    country_code: &'static str,
    website: &'static str,
    categories: &'static [ProductCategory],
    localization: Option<DemoLocalization>,
}

struct DemoLocalization {
    stage: LocalizationStage,
    changed_on: (i32, u32, u32),
    scope: &'static [LocalizationScope],
    local_content_percent: Option<f64>,
    region_code: Option<&'static str>,
    note: &'static str,
}

const VENDORS: &[DemoVendor] = &[
    DemoVendor {
        name: "Mindray",
        country_code: "CN",
        website: "https://www.mindray.com",
        categories: &[
            ProductCategory::LaboratoryEquipment,
            ProductCategory::MedicalEquipment,
            ProductCategory::Reagents,
        ],
        localization: Some(DemoLocalization {
            stage: LocalizationStage::AgreementSigned,
            changed_on: (2026, 9, 15),
            scope: &[LocalizationScope::Equipment, LocalizationScope::Reagents],
            local_content_percent: Some(30.0),
            region_code: Some("RU-KGN"),
            note: "Analyzer assembly and reagent filling for the pilot region",
        }),
    },
    DemoVendor {
        name: "Canon Medical Systems",
        country_code: "JP",
        website: "https://global.medical.canon",
        categories: &[ProductCategory::MedicalEquipment],
        localization: Some(DemoLocalization {
            stage: LocalizationStage::Negotiating,
            changed_on: (2026, 6, 1),
            scope: &[LocalizationScope::Equipment],
            local_content_percent: None,
            region_code: None,
            note: "CT and ultrasound assembly under discussion",
        }),
    },
    DemoVendor {
        name: "Philips",
        country_code: "NL",
        website: "https://www.philips.com",
        categories: &[ProductCategory::MedicalEquipment],
        localization: Some(DemoLocalization {
            stage: LocalizationStage::InterestDeclared,
            changed_on: (2026, 4, 20),
            scope: &[LocalizationScope::Equipment],
            local_content_percent: None,
            region_code: None,
            note: "Interest declared in localizing MRI production",
        }),
    },
    DemoVendor {
        name: "GE HealthCare",
        country_code: "US",
        website: "https://www.gehealthcare.com",
        categories: &[ProductCategory::MedicalEquipment],
        localization: Some(DemoLocalization {
            stage: LocalizationStage::InterestDeclared,
            changed_on: (2026, 4, 20),
            scope: &[LocalizationScope::Equipment],
            local_content_percent: None,
            region_code: None,
            note: "Interest declared in localizing ultrasound production",
        }),
    },
    DemoVendor {
        name: "Samsung Medison",
        country_code: "KR",
        website: "https://www.samsunghealthcare.com",
        categories: &[ProductCategory::MedicalEquipment],
        localization: Some(DemoLocalization {
            stage: LocalizationStage::Negotiating,
            changed_on: (2026, 7, 10),
            scope: &[LocalizationScope::Equipment],
            local_content_percent: None,
            region_code: Some("RU-TYU"),
            note: "Ultrasound assembly site under discussion",
        }),
    },
    DemoVendor {
        name: "Sinovision",
        country_code: "CN",
        website: "https://www.sinovision.net",
        categories: &[ProductCategory::MedicalEquipment],
        localization: Some(DemoLocalization {
            stage: LocalizationStage::ProductionSetup,
            changed_on: (2026, 10, 1),
            scope: &[LocalizationScope::Equipment],
            local_content_percent: Some(15.0),
            region_code: Some("RU-CHE"),
            note: "CT assembly line being installed",
        }),
    },
    DemoVendor {
        name: "Электрон",
        country_code: "RU",
        website: "https://www.electronxray.com",
        categories: &[ProductCategory::MedicalEquipment],
        localization: None,
    },
];

struct DemoOrganization {
    name: &'static str,
    kind: OrganizationKind,
    country_code: &'static str,
}

const ORGANIZATIONS: &[DemoOrganization] = &[
    DemoOrganization {
        name: "Лабораторная служба программы централизации",
        kind: OrganizationKind::Operator,
        country_code: "RU",
    },
    DemoOrganization {
        name: "Федерация лабораторной медицины",
        kind: OrganizationKind::Federation,
        country_code: "RU",
    },
    DemoOrganization {
        name: "Росздравнадзор",
        kind: OrganizationKind::Authority,
        country_code: "RU",
    },
    DemoOrganization {
        name: "Ministry of Health of the Syrian Arab Republic",
        kind: OrganizationKind::Authority,
        country_code: "SY",
    },
];

/// A model a demo vendor makes, whether it is produced under the vendor's localization in
/// Russia, and its registration certificate there.
struct DemoModel {
    vendor: &'static str,
    name: &'static str,
    code: &'static str,
    category: EquipmentCategory,
    localized: bool,
    certificate: DemoCertificate,
}

struct DemoCertificate {
    number: &'static str,
    issued_on: (i32, u32, u32),
    valid_until: Option<(i32, u32, u32)>,
    status: CertificateStatus,
}

const RUSSIAN_AUTHORITY: &str = "Росздравнадзор";

const MODELS: &[DemoModel] = &[
    DemoModel {
        vendor: "Mindray",
        name: "BC-6200 hematology analyzer",
        code: "BC-6200",
        category: EquipmentCategory::HematologyAnalyzer,
        localized: true,
        certificate: DemoCertificate {
            number: "РЗН 2021/14567",
            issued_on: (2021, 6, 10),
            valid_until: None,
            status: CertificateStatus::Active,
        },
    },
    DemoModel {
        vendor: "Mindray",
        name: "BS-2000M clinical chemistry analyzer",
        code: "BS-2000M",
        category: EquipmentCategory::ClinicalChemistryAnalyzer,
        localized: false,
        // Expired: valid until the end of 2024.
        certificate: DemoCertificate {
            number: "РЗН 2019/8812",
            issued_on: (2019, 12, 20),
            valid_until: Some((2024, 12, 31)),
            status: CertificateStatus::Active,
        },
    },
    DemoModel {
        vendor: "Mindray",
        name: "CL-6000i chemiluminescence immunoassay analyzer",
        code: "CL-6000i",
        category: EquipmentCategory::ImmunoassayAnalyzer,
        localized: false,
        certificate: DemoCertificate {
            number: "РЗН 2020/11020",
            issued_on: (2020, 3, 2),
            valid_until: None,
            status: CertificateStatus::Revoked,
        },
    },
    DemoModel {
        vendor: "Canon Medical Systems",
        name: "Aquilion Lightning CT",
        code: "TSX-036A",
        category: EquipmentCategory::Ct,
        localized: false,
        certificate: DemoCertificate {
            number: "РЗН 2022/17341",
            issued_on: (2022, 8, 15),
            valid_until: None,
            status: CertificateStatus::Suspended,
        },
    },
    DemoModel {
        vendor: "Sinovision",
        name: "Insitum 64 CT",
        code: "INSITUM-64",
        category: EquipmentCategory::Ct,
        localized: true,
        certificate: DemoCertificate {
            number: "РЗН 2025/25010",
            issued_on: (2025, 11, 5),
            valid_until: None,
            status: CertificateStatus::Active,
        },
    },
    DemoModel {
        vendor: "Samsung Medison",
        name: "HS40 ultrasound system",
        code: "HS40",
        category: EquipmentCategory::Ultrasound,
        localized: false,
        certificate: DemoCertificate {
            number: "РЗН 2023/19876",
            issued_on: (2023, 4, 18),
            valid_until: Some((2033, 4, 17)),
            status: CertificateStatus::Active,
        },
    },
    DemoModel {
        vendor: "Электрон",
        name: "КРТ-Электрон digital X-ray system",
        code: "KRT-E",
        category: EquipmentCategory::Xray,
        localized: false,
        certificate: DemoCertificate {
            number: "РЗН 2018/7001",
            issued_on: (2018, 2, 1),
            valid_until: None,
            status: CertificateStatus::Active,
        },
    },
];

/// A certificate of Syria's own: the HS40 is registered there directly.
const SYRIAN_CERTIFICATE: (&str, &str, &str) = (
    "HS40",
    "Ministry of Health of the Syrian Arab Republic",
    "SY-MD-2026-0142",
);

/// An installed unit: the model's code, the laboratory's code, the serial number, when, and
/// where the unit stands.
type DemoUnit = (
    &'static str,
    &'static str,
    &'static str,
    (i32, u32, u32),
    EquipmentUnitStatus,
);

const UNITS: &[DemoUnit] = &[
    (
        "BC-6200",
        "KGN-HUB-01",
        "MR-24-001873",
        (2025, 9, 1),
        EquipmentUnitStatus::InService,
    ),
    (
        "BC-6200",
        "KGN-HUB-01",
        "MR-24-001874",
        (2025, 9, 1),
        EquipmentUnitStatus::InService,
    ),
    (
        "BS-2000M",
        "KGN-HUB-01",
        "MR-22-000412",
        (2025, 9, 1),
        EquipmentUnitStatus::Maintenance,
    ),
    (
        "BC-6200",
        "KGN-BR-01",
        "MR-25-000101",
        (2026, 2, 10),
        EquipmentUnitStatus::InService,
    ),
    (
        "BC-6200",
        "TYU-HUB-01",
        "MR-25-000233",
        (2026, 3, 3),
        EquipmentUnitStatus::InService,
    ),
    (
        "KRT-E",
        "TYU-HUB-01",
        "E-18-3310",
        (2018, 5, 14),
        EquipmentUnitStatus::InService,
    ),
];

fn date((year, month, day): (i32, u32, u32)) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("{year}-{month}-{day} is not a date"))
}

fn failed(what: &str) -> impl Fn(DomainError) -> String + '_ {
    move |error| format!("cannot seed {what}: {error}")
}

/// Loads the demo data set into `pool`'s database, making only what is missing.
pub async fn seed(pool: &DbPool) -> Result<SeedReport, String> {
    let context = WriteContext {
        caller: Caller::system("seed-demo"),
        ..WriteContext::default()
    };
    let mut report = SeedReport::default();

    let (russia, made) = region(
        pool,
        &context,
        RegionCreate {
            code: "RU".into(),
            name: "Российская Федерация".into(),
            country_code: "RU".into(),
            parent_id: None,
            level: RegionLevel::Country,
            rollout_stage: Some(RolloutStage::InProgress),
            rollout_target_year: Some(2029),
        },
    )
    .await?;
    let mut regions_tally = Tally::default();
    let mut labs_tally = Tally::default();
    regions_tally.count(made);
    let mut region_ids = Vec::new();
    for demo in REGIONS {
        let (id, made) = region(
            pool,
            &context,
            RegionCreate {
                code: demo.code.into(),
                name: demo.name.into(),
                country_code: "RU".into(),
                parent_id: Some(russia),
                level: RegionLevel::Region,
                rollout_stage: Some(demo.stage),
                rollout_target_year: Some(demo.target_year),
            },
        )
        .await?;
        regions_tally.count(made);
        region_ids.push((demo.code, id));
        for made in laboratories_of(pool, &context, demo, id).await? {
            labs_tally.count(made);
        }
    }
    report.lines.push(regions_tally.line("regions"));
    report.lines.push(labs_tally.line("laboratories"));

    let mut organizations_tally = Tally::default();
    for demo in ORGANIZATIONS {
        organizations_tally.count(organization(pool, &context, demo).await?);
    }
    report.lines.push(organizations_tally.line("organizations"));

    let mut vendors_tally = Tally::default();
    let mut localizations_tally = Tally::default();
    for demo in VENDORS {
        let (vendor_id, made) = vendor(pool, &context, demo).await?;
        vendors_tally.count(made);
        if let Some(localization) = &demo.localization {
            let region_id = localization.region_code.and_then(|code| {
                region_ids
                    .iter()
                    .find(|(known, _)| *known == code)
                    .map(|(_, id)| *id)
            });
            let made = localization_of(pool, &context, vendor_id, region_id, localization).await?;
            localizations_tally.count(made);
        }
    }
    report.lines.push(vendors_tally.line("vendors"));
    report.lines.push(localizations_tally.line("localizations"));
    registration(pool, &context, &mut report).await?;
    Ok(report)
}

/// The models, their certificates in Russia (one expired, one revoked, one suspended), a
/// Syrian certificate, the Russia–Syria agreement and the installed units.
async fn registration(
    pool: &DbPool,
    context: &WriteContext,
    report: &mut SeedReport,
) -> Result<(), String> {
    let mut models_tally = Tally::default();
    let mut certificates_tally = Tally::default();
    let mut models: Vec<(&str, EquipmentModelId)> = Vec::new();
    for demo in MODELS {
        let vendor_key = search_key(demo.vendor);
        let (vendor_id, _) = find_or_make(
            pool,
            demo.vendor,
            move |conn| vendors::repo::name_key_owner(conn, &vendor_key, None),
            async { Err(DomainError::NotFound(format!("vendor {}", demo.vendor))) },
        )
        .await?;
        let localization_id = if demo.localized {
            russian_localization(pool, vendor_id).await?
        } else {
            None
        };
        let (model_id, made) = equipment_model(
            pool,
            context,
            EquipmentModelCreate {
                vendor_id,
                name: demo.name.into(),
                model_code: demo.code.into(),
                category: demo.category,
                localization_id,
            },
        )
        .await?;
        models_tally.count(made);
        models.push((demo.code, model_id));
        let certificate = &demo.certificate;
        let made = registration_certificate(
            pool,
            context,
            CertificateCreate {
                equipment_model_id: Some(model_id),
                product_name: None,
                product_kind: None,
                country_code: "RU".into(),
                issuing_authority: RUSSIAN_AUTHORITY.into(),
                number: certificate.number.into(),
                issued_on: date(certificate.issued_on)?,
                valid_until: certificate.valid_until.map(date).transpose()?,
                status: Some(certificate.status),
            },
        )
        .await?;
        certificates_tally.count(made);
    }
    let model_of = |code: &str| {
        models
            .iter()
            .find(|(known, _)| *known == code)
            .map(|(_, id)| *id)
            .ok_or_else(|| format!("no demo model {code}"))
    };
    let (code, authority, number) = SYRIAN_CERTIFICATE;
    let made = registration_certificate(
        pool,
        context,
        CertificateCreate {
            equipment_model_id: Some(model_of(code)?),
            product_name: None,
            product_kind: None,
            country_code: "SY".into(),
            issuing_authority: authority.into(),
            number: number.into(),
            issued_on: date((2026, 9, 1))?,
            valid_until: Some(date((2031, 8, 31))?),
            status: None,
        },
    )
    .await?;
    certificates_tally.count(made);
    report.lines.push(models_tally.line("equipment models"));
    report
        .lines
        .push(certificates_tally.line("registration certificates"));

    let mut agreements_tally = Tally::default();
    agreements_tally.count(russia_syria_agreement(pool, context).await?);
    report
        .lines
        .push(agreements_tally.line("recognition agreements"));

    let mut units_tally = Tally::default();
    for (model, lab, serial, installed, status) in UNITS {
        let lab_key = code_key(lab);
        let (laboratory_id, _) = find_or_make(
            pool,
            lab,
            move |conn| laboratories::repo::code_key_owner(conn, &lab_key, None),
            async { Err(DomainError::NotFound(format!("laboratory {lab}"))) },
        )
        .await?;
        let model_id = model_of(model)?;
        let serial_key = code_key(serial);
        let input = EquipmentUnitCreate {
            equipment_model_id: model_id,
            laboratory_id,
            serial_number: (*serial).into(),
            installed_on: Some(date(*installed)?),
            status: Some(*status),
            supplier_vendor_id: None,
            supplier_name: Some("Медтехника".into()),
        };
        let (_, made) = find_or_make(
            pool,
            serial,
            move |conn| equipment_units::repo::serial_owner(conn, model_id, &serial_key, None),
            async {
                Ok(equipment_units::service::create(pool, context, input)
                    .await?
                    .id)
            },
        )
        .await?;
        units_tally.count(made);
    }
    report.lines.push(units_tally.line("equipment units"));
    Ok(())
}

/// The vendor's localization in Russia, if it has one.
async fn russian_localization(
    pool: &DbPool,
    vendor_id: VendorId,
) -> Result<Option<LocalizationId>, String> {
    let (existing, _) = localizations::service::list(
        pool,
        LocalizationFilter {
            vendor_ids: Some(vec![vendor_id]),
            country_codes: Some(vec!["RU".into()]),
            ..LocalizationFilter::default()
        },
        Sort {
            field: LocalizationSort::CreatedAt,
            descending: false,
        },
        PageRequest {
            size: 1,
            after: None,
        },
    )
    .await
    .map_err(failed("a localization"))?;
    Ok(existing.first().map(|localization| localization.id))
}

async fn equipment_model(
    pool: &DbPool,
    context: &WriteContext,
    input: EquipmentModelCreate,
) -> Result<(EquipmentModelId, bool), String> {
    let code = input.model_code.clone();
    let key = code_key(&code);
    let vendor_id = input.vendor_id;
    find_or_make(
        pool,
        &code,
        move |conn| equipment_models::repo::code_owner(conn, vendor_id, &key, None),
        async {
            Ok(equipment_models::service::create(pool, context, input)
                .await?
                .id)
        },
    )
    .await
}

async fn registration_certificate(
    pool: &DbPool,
    context: &WriteContext,
    input: CertificateCreate,
) -> Result<bool, String> {
    let number = input.number.clone();
    let (country, authority, number_key) = (
        input.country_code.clone(),
        search_key(&input.issuing_authority),
        code_key(&number),
    );
    let (_, made) = find_or_make(
        pool,
        &number,
        move |conn| {
            registration_certificates::repo::number_owner(
                conn,
                (&country, &authority, &number_key),
                None,
            )
        },
        async {
            Ok(
                registration_certificates::service::create(pool, context, input)
                    .await?
                    .id,
            )
        },
    )
    .await?;
    Ok(made)
}

/// Syria and Russia recognize each other's registration documents, medical devices and
/// drugs alike, from 1 July 2026; made unless an agreement between them is recorded.
async fn russia_syria_agreement(pool: &DbPool, context: &WriteContext) -> Result<bool, String> {
    let what = "the Russia–Syria agreement";
    let (existing, _) = recognition_agreements::service::list(
        pool,
        AgreementFilter {
            recognizing_country_codes: Some(vec!["SY".into()]),
            recognized_country_codes: Some(vec!["RU".into()]),
            ..AgreementFilter::default()
        },
        Sort {
            field: AgreementSort::CreatedAt,
            descending: false,
        },
        PageRequest {
            size: 1,
            after: None,
        },
    )
    .await
    .map_err(failed(what))?;
    if !existing.is_empty() {
        return Ok(false);
    }
    recognition_agreements::service::create(
        pool,
        context,
        AgreementCreate {
            recognizing_country_code: "SY".into(),
            recognized_country_code: "RU".into(),
            mutual: true,
            scope: AgreementScope::Both,
            in_force_from: date((2026, 7, 1))?,
            in_force_until: None,
            title: "Соглашение о взаимном признании регистрационных удостоверений на медицинские \
                    изделия и лекарственные средства (Россия — Сирия)"
                .into(),
            source: "Illustrative record of the demo data set".into(),
        },
    )
    .await
    .map_err(failed(what))?;
    Ok(true)
}

async fn region(
    pool: &DbPool,
    context: &WriteContext,
    input: RegionCreate,
) -> Result<(RegionId, bool), String> {
    let code = input.code.clone();
    let lookup = code.clone();
    find_or_make(
        pool,
        &code,
        move |conn| regions::repo::code_owner(conn, &lookup, None),
        async { Ok(regions::service::create(pool, context, input).await?.id) },
    )
    .await
}

/// The hub in the capital, a branch in the second town and a collection point in the
/// capital; running laboratories where the rollout has begun, planned ones elsewhere.
async fn laboratories_of(
    pool: &DbPool,
    context: &WriteContext,
    demo: &DemoRegion,
    region_id: RegionId,
) -> Result<Vec<bool>, String> {
    let prefix = demo.code.trim_start_matches("RU-");
    let started = matches!(demo.stage, RolloutStage::Pilot | RolloutStage::InProgress);
    let (hub_status, spoke_status) = match demo.stage {
        RolloutStage::Pilot => (LaboratoryStatus::Operational, LaboratoryStatus::Operational),
        RolloutStage::InProgress => (
            LaboratoryStatus::Operational,
            LaboratoryStatus::UnderConstruction,
        ),
        _ => (LaboratoryStatus::Planned, LaboratoryStatus::Planned),
    };
    let (capital, capital_lat, capital_lon) = demo.capital;
    let (town, town_lat, town_lon) = demo.town;
    let hub = LaboratoryCreate {
        region_id,
        code: format!("{prefix}-HUB-01"),
        name: format!("Централизованная клинико-диагностическая лаборатория, {capital}"),
        kind: LaboratoryKind::Central,
        parent_id: None,
        status: Some(hub_status),
        address: Some(capital.to_owned()),
        latitude: Some(capital_lat),
        longitude: Some(capital_lon),
        capacity_per_day: Some(if started { 12_000 } else { 8_000 }),
        opened_on: if hub_status == LaboratoryStatus::Operational {
            Some(date((2025, 9, 1))?)
        } else {
            None
        },
        operator: Some("Лабораторная служба программы централизации".into()),
        accreditation: None,
        disciplines: vec![
            Discipline::ClinicalChemistry,
            Discipline::Hematology,
            Discipline::Coagulation,
            Discipline::Immunology,
            Discipline::Microbiology,
            Discipline::MolecularDiagnostics,
            Discipline::Urinalysis,
        ],
    };
    let (hub_id, hub_made) = laboratory(pool, context, hub).await?;
    let branch = LaboratoryCreate {
        region_id,
        code: format!("{prefix}-BR-01"),
        name: format!("Филиал централизованной лаборатории, {town}"),
        kind: LaboratoryKind::Branch,
        parent_id: Some(hub_id),
        status: Some(spoke_status),
        address: Some(town.to_owned()),
        latitude: Some(town_lat),
        longitude: Some(town_lon),
        capacity_per_day: Some(3_000),
        opened_on: None,
        operator: Some("Лабораторная служба программы централизации".into()),
        accreditation: None,
        disciplines: vec![
            Discipline::ClinicalChemistry,
            Discipline::Hematology,
            Discipline::Urinalysis,
        ],
    };
    let collection_point = LaboratoryCreate {
        region_id,
        code: format!("{prefix}-CP-01"),
        name: format!("Пункт забора биоматериала, {capital}"),
        kind: LaboratoryKind::CollectionPoint,
        parent_id: Some(hub_id),
        status: Some(spoke_status),
        address: Some(capital.to_owned()),
        latitude: Some(capital_lat + 0.02),
        longitude: Some(capital_lon - 0.03),
        capacity_per_day: None,
        opened_on: None,
        operator: Some("Лабораторная служба программы централизации".into()),
        accreditation: None,
        disciplines: Vec::new(),
    };
    let (_, branch_made) = laboratory(pool, context, branch).await?;
    let (_, point_made) = laboratory(pool, context, collection_point).await?;
    Ok(vec![hub_made, branch_made, point_made])
}

async fn laboratory(
    pool: &DbPool,
    context: &WriteContext,
    input: LaboratoryCreate,
) -> Result<(LaboratoryId, bool), String> {
    let code = input.code.clone();
    let key = code_key(&code);
    find_or_make(
        pool,
        &code,
        move |conn| laboratories::repo::code_key_owner(conn, &key, None),
        async {
            Ok(laboratories::service::create(pool, context, input)
                .await?
                .id)
        },
    )
    .await
}

async fn organization(
    pool: &DbPool,
    context: &WriteContext,
    demo: &DemoOrganization,
) -> Result<bool, String> {
    let key = search_key(demo.name);
    let input = OrganizationCreate {
        name: demo.name.into(),
        kind: demo.kind,
        country_code: demo.country_code.into(),
        website: None,
    };
    let (_, made) = find_or_make(
        pool,
        demo.name,
        move |conn| organizations::repo::name_key_owner(conn, &key, None),
        async {
            Ok(organizations::service::create(pool, context, input)
                .await?
                .id)
        },
    )
    .await?;
    Ok(made)
}

async fn vendor(
    pool: &DbPool,
    context: &WriteContext,
    demo: &DemoVendor,
) -> Result<(VendorId, bool), String> {
    let key = search_key(demo.name);
    let input = VendorCreate {
        name: demo.name.into(),
        country_code: demo.country_code.into(),
        website: Some(demo.website.into()),
        categories: demo.categories.to_vec(),
    };
    find_or_make(
        pool,
        demo.name,
        move |conn| vendors::repo::name_key_owner(conn, &key, None),
        async { Ok(vendors::service::create(pool, context, input).await?.id) },
    )
    .await
}

/// The id of the record `find` sees, or else of the one `make` creates, and whether it was
/// made: how a second run leaves every record alone.
async fn find_or_make<Id, Find, Make>(
    pool: &DbPool,
    what: &str,
    find: Find,
    make: Make,
) -> Result<(Id, bool), String>
where
    Id: Send + 'static,
    Find: FnOnce(&mut DbConn) -> diesel::QueryResult<Option<Id>> + Send + 'static,
    Make: std::future::Future<Output = Result<Id, DomainError>>,
{
    let existing = db::lookup(pool, move |conn| Ok(find(conn)?))
        .await
        .map_err(failed(what))?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let id = make.await.map_err(failed(what))?;
    Ok((id, true))
}

/// The vendor's localization in Russia, made unless the vendor has one there.
async fn localization_of(
    pool: &DbPool,
    context: &WriteContext,
    vendor_id: VendorId,
    region_id: Option<RegionId>,
    demo: &DemoLocalization,
) -> Result<bool, String> {
    let what = "a localization";
    if russian_localization(pool, vendor_id).await?.is_some() {
        return Ok(false);
    }
    localizations::service::create(
        pool,
        context,
        LocalizationCreate {
            vendor_id,
            country_code: "RU".into(),
            region_id,
            scope: demo.scope.to_vec(),
            stage: Some(demo.stage),
            stage_changed_on: Some(date(demo.changed_on)?),
            local_content_percent: demo.local_content_percent,
            target_date: None,
            partner: None,
            note: Some(demo.note.into()),
            source: None,
        },
    )
    .await
    .map_err(failed(what))?;
    Ok(true)
}
