//! The PostgreSQL and SQLite migration trees hold the same migrations: the same folder names
//! in the same order, each with an `up.sql` and a `down.sql`.

use std::path::{Path, PathBuf};

use diesel::migration::MigrationSource;
use labnet::db::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

fn tree(backend: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend)
}

/// The migration folders of one tree, in name order (the order diesel applies them in);
/// fails on anything else in the tree.
fn folders(backend: &str) -> Vec<String> {
    let root = tree(backend);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.starts_with('.') {
            continue;
        }
        assert!(
            entry.file_type().unwrap().is_dir(),
            "{}: {name} is not a migration folder",
            root.display()
        );
        names.push(name);
    }
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations_in_the_same_order() {
    let postgres = folders("postgres");
    let sqlite = folders("sqlite");
    assert!(!postgres.is_empty(), "no PostgreSQL migrations found");
    assert_eq!(
        postgres, sqlite,
        "migrations/postgres and migrations/sqlite must hold the same folders"
    );
}

#[test]
fn every_migration_has_up_and_down_sql() {
    for backend in ["postgres", "sqlite"] {
        for name in folders(backend) {
            let folder = tree(backend).join(&name);
            for file in ["up.sql", "down.sql"] {
                let path = folder.join(file);
                let sql = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!sql.trim().is_empty(), "{} is empty", path.display());
            }
        }
    }
}

/// The names of embedded migrations, in the order diesel applies them.
fn embedded<DB: diesel::backend::Backend>(source: &impl MigrationSource<DB>) -> Vec<String> {
    source
        .migrations()
        .unwrap()
        .iter()
        .map(|migration| migration.name().to_string())
        .collect()
}

#[test]
fn the_embedded_migrations_match_on_both_backends() {
    let postgres = embedded::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS);
    let sqlite = embedded::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS);
    assert_eq!(postgres, sqlite);
    assert_eq!(postgres, folders("postgres"));
}
