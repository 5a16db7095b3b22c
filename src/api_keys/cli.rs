//! `labnet keys ...`: API keys made, listed and revoked on the server itself, straight in
//! the database: how the first admin key comes to be. The changes are audited as made by
//! the `system` actor `cli`.

use crate::config::Settings;
use crate::core::auth::{Caller, Role};
use crate::core::context::WriteContext;
use crate::core::paging::{PageRequest, Sort};
use crate::core::time::Timestamp;
use crate::regions::model::RegionId;

use super::model::{ApiKey, ApiKeyCreate, ApiKeyFilter, ApiKeySort};
use super::service;

/// What `labnet keys` does.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum KeysCommand {
    /// Make a key and print it (shown only this once).
    Create {
        /// reader, editor or admin.
        #[arg(long)]
        role: String,
        /// What the key is for, or who holds it.
        #[arg(long)]
        name: String,
        /// For an editor: a region it may write in (with its subregions); repeat for more.
        #[arg(long = "region")]
        regions: Vec<uuid::Uuid>,
        /// With --region: may also write rows that belong to no region.
        #[arg(long)]
        global: bool,
        /// When the key stops working (RFC 3339, e.g. 2027-12-31T00:00:00Z).
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// List every key (never their secrets).
    List,
    /// Revoke the key with this prefix (as `list` shows it, e.g. lnk_4fK9pQ2x).
    Revoke { prefix: String },
}

fn context() -> WriteContext {
    WriteContext {
        caller: Caller::system("cli"),
        ..WriteContext::default()
    }
}

fn describe(key: &ApiKey) -> String {
    let regions = match &key.regions {
        None => "every region".to_owned(),
        Some(regions) => regions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
    };
    let expires = key
        .expires_at
        .map_or_else(|| "never".to_owned(), |at| at.0.to_rfc3339());
    format!(
        "{}  {:<7} {:<7} regions: {}{}  expires: {}  {}",
        key.prefix,
        key.role,
        key.status,
        regions,
        if key.global && key.regions.is_some() {
            " +global"
        } else {
            ""
        },
        expires,
        key.name
    )
}

/// Runs a `labnet keys` command against the settings' database (migrated first).
pub fn run(settings: &Settings, command: KeysCommand) -> Result<(), String> {
    let pool = crate::server::migrate(settings)?;
    actix_web::rt::System::new().block_on(async move {
        match command {
            KeysCommand::Create {
                role,
                name,
                regions,
                global,
                expires_at,
            } => {
                let role: Role = role
                    .parse()
                    .map_err(|_| format!("--role must be reader, editor or admin, not {role}"))?;
                let expires_at = expires_at
                    .map(|text| {
                        crate::core::time::parse_timestamp(&text)
                            .map(Timestamp)
                            .map_err(|e| format!("--expires-at {text}: {e}"))
                    })
                    .transpose()?;
                let input = ApiKeyCreate {
                    name,
                    role,
                    regions: (!regions.is_empty())
                        .then(|| regions.into_iter().map(RegionId).collect()),
                    global: global.then_some(true),
                    expires_at,
                };
                let created = service::create(&pool, &context(), input)
                    .await
                    .map_err(|e| problem_text(&e))?;
                println!("{}", created.key);
                eprintln!(
                    "made {} — keep the key above now: it is not stored and cannot be shown again",
                    describe(&created.api_key)
                );
                Ok(())
            }
            KeysCommand::List => {
                let sort = Sort {
                    field: ApiKeySort::CreatedAt,
                    descending: false,
                };
                let mut token = None;
                loop {
                    let page = PageRequest::parse(&Some("500".to_owned()), &token, "created_at")
                        .map_err(|e| problem_text(&e))?;
                    let (keys, next) = service::list(&pool, ApiKeyFilter::default(), sort, page)
                        .await
                        .map_err(|e| problem_text(&e))?;
                    for key in &keys {
                        println!("{}", describe(key));
                    }
                    match next {
                        Some(next) => token = Some(next),
                        None => return Ok(()),
                    }
                }
            }
            KeysCommand::Revoke { prefix } => {
                let key = service::revoke_by_prefix(&pool, &context(), prefix)
                    .await
                    .map_err(|e| problem_text(&e))?;
                println!("revoked {}", describe(&key));
                Ok(())
            }
        }
    })
}

fn problem_text(error: &crate::core::error::DomainError) -> String {
    let problem = error.to_problem();
    let fields: Vec<String> = problem
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    if fields.is_empty() {
        problem.detail
    } else {
        format!("{} ({})", problem.detail, fields.join("; "))
    }
}
