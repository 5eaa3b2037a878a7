//! Assigned comparison groupings (the BA's SGB II Vergleichstypen, from a file): a scheme names
//! a group for each of its Kreise. Importing a scheme again replaces it as a whole.

use serde_json::json;
use sqlx::Row;
use zielwerk_domain::RegionId;

use crate::audit::{Change, record};
use crate::{Result, Store, now, parse_col};

/// A scheme as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGrouping {
    pub name: String,
    pub file_name: String,
    pub sha256: String,
    pub imported_at: String,
    pub imported_by: String,
    /// How many Kreise and groups it assigns.
    pub regions: usize,
    pub groups: usize,
}

/// The group a scheme assigns a Kreis to, with every member (the Kreis itself included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedGroup {
    pub scheme: StoredGrouping,
    pub code: String,
    pub name: String,
    pub members: Vec<RegionId>,
}

impl Store {
    /// Stores the scheme `name` with its assignments (region, group code, group name), replacing
    /// a scheme of the same name, in one transaction with its audit event (by the store's actor).
    pub async fn replace_grouping(
        &self,
        name: &str,
        file_name: &str,
        sha256: &str,
        assignments: &[(RegionId, String, String)],
    ) -> Result<()> {
        let actor = self.actor.to_string();
        let mut tx = self.begin_write().await?;
        let before: Option<String> =
            sqlx::query("SELECT sha256 FROM comparison_scheme WHERE id = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("sha256"))
                .transpose()?;
        sqlx::query("DELETE FROM comparison_assignment WHERE scheme_id = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM comparison_scheme WHERE id = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO comparison_scheme (id, name, file_name, sha256, imported_at, imported_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(name)
        .bind(name)
        .bind(file_name)
        .bind(sha256)
        .bind(now())
        .bind(&actor)
        .execute(&mut *tx)
        .await?;
        for (region, code, group) in assignments {
            sqlx::query(
                "INSERT INTO comparison_assignment (scheme_id, region_id, group_code, group_name)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(name)
            .bind(region.as_str())
            .bind(code)
            .bind(group)
            .execute(&mut *tx)
            .await?;
        }
        let mut change = Change::new("grouping.import", format!("Vergleichsgruppen „{name}“"))
            .after(json!({
                "datei": file_name,
                "sha256": sha256,
                "kreise": assignments.len(),
            }));
        if let Some(sha256) = before {
            change = change.before(json!({ "sha256": sha256 }));
        }
        record(&mut tx, &actor, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every stored scheme, the latest import first.
    pub async fn groupings(&self) -> Result<Vec<StoredGrouping>> {
        let rows = sqlx::query(
            "SELECT s.name, s.file_name, s.sha256, s.imported_at, s.imported_by,
                    COUNT(a.region_id) AS regions, COUNT(DISTINCT a.group_code) AS groups
             FROM comparison_scheme s LEFT JOIN comparison_assignment a ON a.scheme_id = s.id
             GROUP BY s.id, s.name, s.file_name, s.sha256, s.imported_at, s.imported_by
             ORDER BY s.imported_at DESC, s.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(grouping).collect()
    }

    /// The group of `region` in the latest imported scheme that assigns it one.
    pub async fn assigned_group(&self, region: &RegionId) -> Result<Option<AssignedGroup>> {
        for scheme in self.groupings().await? {
            let found = sqlx::query(
                "SELECT group_code, group_name FROM comparison_assignment
                 WHERE scheme_id = $1 AND region_id = $2",
            )
            .bind(&scheme.name)
            .bind(region.as_str())
            .fetch_optional(&self.pool)
            .await?;
            let Some(found) = found else { continue };
            let code: String = found.try_get("group_code")?;
            let members = sqlx::query(
                "SELECT region_id FROM comparison_assignment
                 WHERE scheme_id = $1 AND group_code = $2 ORDER BY region_id",
            )
            .bind(&scheme.name)
            .bind(&code)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| {
                parse_col(
                    "comparison_assignment",
                    "region_id",
                    r.try_get("region_id")?,
                )
            })
            .collect::<Result<Vec<RegionId>>>()?;
            return Ok(Some(AssignedGroup {
                name: found.try_get("group_name")?,
                code,
                members,
                scheme,
            }));
        }
        Ok(None)
    }
}

fn grouping(r: &sqlx::any::AnyRow) -> Result<StoredGrouping> {
    let count = |c: &str| -> Result<usize> { Ok(r.try_get::<i64, _>(c)?.max(0) as usize) };
    Ok(StoredGrouping {
        name: r.try_get("name")?,
        file_name: r.try_get("file_name")?,
        sha256: r.try_get("sha256")?,
        imported_at: r.try_get("imported_at")?,
        imported_by: r.try_get("imported_by")?,
        regions: count("regions")?,
        groups: count("groups")?,
    })
}
