//! The maintenance commands of the binary: `migrate`, `seed-demo`, `create-admin`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, bail};
use mediconnect_shared::{RegisterRequest, Role};

use crate::accounts::{NewAccount, insert_account};
use crate::auth::password;
use crate::config::{AppEnv, Config};
use crate::db::Db;
use crate::db::models::users;
use crate::domain::{EmailAddress, Password, PersonName};
use crate::error::ApiError;

pub fn migrate(config: &Config) -> anyhow::Result<()> {
    let db = Db::new(config.database.clone());
    let applied = db.migrate_blocking()?;
    if applied.is_empty() {
        println!("{}: the schema is up to date", db.target().display());
    } else {
        for m in &applied {
            println!("applied {m}");
        }
    }
    Ok(())
}

/// The password of every demo account, printed by `seed-demo`.
pub const DEMO_PASSWORD: &str = "demo-password";

const DEMO_DOCTORS: &[(&str, &str, &str)] = &[
    (
        "Dr. Amara Okafor",
        "amara.okafor@demo.mediconnect.test",
        "Cardiology",
    ),
    (
        "Dr. Lucas Meyer",
        "lucas.meyer@demo.mediconnect.test",
        "Dermatology",
    ),
    (
        "Dr. Sofia Rossi",
        "sofia.rossi@demo.mediconnect.test",
        "Pediatrics",
    ),
    (
        "Dr. Kenji Watanabe",
        "kenji.watanabe@demo.mediconnect.test",
        "General Practice",
    ),
    (
        "Dr. Priya Nair",
        "priya.nair@demo.mediconnect.test",
        "Neurology",
    ),
    (
        "Dr. Mateo Garcia",
        "mateo.garcia@demo.mediconnect.test",
        "General Practice",
    ),
];

const DEMO_PATIENTS: &[(&str, &str)] = &[
    ("Alex Johnson", "alex.johnson@demo.mediconnect.test"),
    ("Sam Lee", "sam.lee@demo.mediconnect.test"),
    ("Maria Silva", "maria.silva@demo.mediconnect.test"),
];

const DEMO_ADMIN: (&str, &str) = ("Clinic Admin", "admin@demo.mediconnect.test");

/// Fills an empty database with demo accounts and prints their logins. A database that
/// already has users is left alone.
pub fn seed_demo(config: &Config) -> anyhow::Result<()> {
    if config.app_env == AppEnv::Production {
        bail!(
            "seed-demo creates accounts with a published password; it is refused when \
             APP_ENV=production"
        );
    }
    let db = Db::new(config.database.clone());
    db.migrate_blocking()?;
    let mut conn = db.get_blocking()?;
    let existing = users::count(&mut conn)?;
    if existing > 0 {
        println!("The database already has {existing} users; no demo data added.");
        return Ok(());
    }
    // One hash serves every demo account: they share the published password.
    let hash = password::hash(DEMO_PASSWORD, config.bcrypt_cost)?;
    let mut accounts: Vec<(Role, &str, &str, Option<&str>)> =
        vec![(Role::Admin, DEMO_ADMIN.0, DEMO_ADMIN.1, None)];
    accounts.extend(
        DEMO_DOCTORS
            .iter()
            .map(|(n, e, s)| (Role::Doctor, *n, *e, Some(*s))),
    );
    accounts.extend(
        DEMO_PATIENTS
            .iter()
            .map(|(n, e)| (Role::Patient, *n, *e, None)),
    );
    for (role, name, email, specialization) in &accounts {
        let mut account = NewAccount::parse(&RegisterRequest {
            name: (*name).to_owned(),
            email: (*email).to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            role: *role,
            specialization: specialization.map(str::to_owned),
            time_zone: None,
            license_number: None,
        })
        .map_err(describe)?;
        account.verified = true;
        account.approved = true;
        insert_account(&mut conn, &account, &hash).map_err(describe)?;
    }
    println!("Demo data added. Every demo account's password is `{DEMO_PASSWORD}`:");
    for (role, name, email, _) in &accounts {
        println!("  {:<8} {email:<42} {name}", role.as_str());
    }
    Ok(())
}

fn describe(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Validation(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        ApiError::Internal(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

/// Reads the password from standard input: prompted (twice, without echo) on a
/// terminal, or the first line of a pipe. Never from the command line, where it would
/// be visible in the process list and shell history.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password for the new admin: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

pub fn create_admin(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    let email = EmailAddress::parse(email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let name = PersonName::parse(name).map_err(|m| anyhow::anyhow!("--name: {m}"))?;
    let secret = read_password()?;
    let password = Password::parse(&secret).map_err(|m| anyhow::anyhow!("password: {m}"))?;
    let db = Db::new(config.database.clone());
    db.migrate_blocking()?;
    let hash = password::hash(password.expose(), config.bcrypt_cost)?;
    let account = NewAccount {
        name,
        email,
        password,
        role: Role::Admin,
        specialization: None,
        // The clinic's zone, as its analytics use; the admin may change it.
        zone: config.analytics_tz.into(),
        verified: true,
        license_number: None,
        approved: false,
    };
    let mut conn = db.get_blocking()?;
    let user = insert_account(&mut conn, &account, &hash).map_err(|e| match e {
        ApiError::Conflict { .. } => anyhow::anyhow!("an account with this email already exists"),
        other => describe(other),
    })?;
    let mut out = std::io::stdout();
    writeln!(out, "Admin account created (id {}).", user.id.0)?;
    Ok(())
}
