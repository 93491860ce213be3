//! Workspaces on SQLite: written through the one writer connection, read through the readers.

use super::{instant, SqliteStore};
use crate::domain::{Timestamp, UserId};
use crate::store::{
    user_id, Destination, Invitation, Member, Membership, Role, StoreError, StoreResult, Teams,
    User, Workspace,
};
use async_trait::async_trait;
use sqlx::{Sqlite, SqliteConnection, Transaction};
use uuid::Uuid;

/// The ICPs `?1` shares with someone in workspace `?2` other than themselves.
const TEAM_ICPS: &str = "SELECT m.icp_id FROM icp_members m WHERE m.user_id = ?1 AND EXISTS (\
     SELECT 1 FROM icp_members o JOIN workspace_members w ON w.user_id = o.user_id \
     WHERE o.icp_id = m.icp_id AND o.user_id <> ?1 AND w.workspace_id = ?2)";

/// An ICP `?1` owned that stays with the team passes to its first member who stays in `?2`.
const NEXT_OWNER: &str = "owner_id = CASE WHEN owner_id = ?1 THEN (\
     SELECT m.user_id FROM icp_members m JOIN workspace_members w ON w.user_id = m.user_id \
     WHERE m.icp_id = icps.id AND m.user_id <> ?1 AND w.workspace_id = ?2 \
     ORDER BY m.position LIMIT 1) ELSE owner_id END";

/// The ICPs shared with everyone in workspace `?2` (owned by one of its other members) that `?1`
/// is not in yet.
const EVERYONE_ICPS: &str = "SELECT i.id FROM icps i WHERE i.everyone = 1 AND i.owner_id IN (\
     SELECT user_id FROM workspace_members WHERE workspace_id = ?2 AND user_id <> ?1) \
     AND NOT EXISTS (SELECT 1 FROM icp_members m WHERE m.icp_id = i.id AND m.user_id = ?1)";

const INVITATION: &str = "SELECT i.id, i.workspace_id, w.name, i.email, u.name, i.created_at, \
     i.expires_at, i.accepted_at IS NOT NULL, i.revoked_at IS NOT NULL \
     FROM invitations i JOIN workspaces w ON w.id = i.workspace_id JOIN users u ON u.id = i.invited_by";

type InvitationRow = (Uuid, String, String, String, String, i64, i64, bool, bool);

fn invitation(row: InvitationRow) -> StoreResult<Invitation> {
    let (id, workspace, name, email, invited_by, created, expires, accepted, revoked) = row;
    Ok(Invitation {
        id,
        workspace: Workspace {
            id: workspace,
            name,
        },
        email,
        invited_by,
        created_at: instant(created)?,
        expires_at: instant(expires)?,
        accepted,
        revoked,
    })
}

fn role(raw: &str) -> StoreResult<Role> {
    Role::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("bad role {raw:?}")))
}

/// Inserts `workspace` with `owner` as its owner, inside the caller's transaction.
pub(super) async fn create_workspace(
    tx: &mut Transaction<'_, Sqlite>,
    workspace: &Workspace,
    owner: &UserId,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO workspaces (id, name) VALUES (?, ?)")
        .bind(&workspace.id)
        .bind(&workspace.name)
        .execute(&mut **tx)
        .await?;
    join(tx, owner, &workspace.id, Role::Owner, Timestamp::now()).await
}

async fn join(
    conn: &mut SqliteConnection,
    user: &UserId,
    workspace: &str,
    role: Role,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO workspace_members (user_id, workspace_id, role, joined_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (user_id) DO UPDATE SET workspace_id = excluded.workspace_id, \
         role = excluded.role, joined_at = excluded.joined_at",
    )
    .bind(user.as_str())
    .bind(workspace)
    .bind(role.as_str())
    .bind(now.millis())
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Teams for SqliteStore {
    async fn membership(&self, user: &UserId) -> StoreResult<Option<Membership>> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT w.id, w.name, m.role FROM workspace_members m \
             JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ?",
        )
        .bind(user.as_str())
        .fetch_optional(&self.readers)
        .await?;
        row.map(|(id, name, raw)| {
            Ok(Membership {
                workspace: Workspace { id, name },
                role: role(&raw)?,
            })
        })
        .transpose()
    }

    async fn members(&self, workspace: &str) -> StoreResult<Vec<Member>> {
        let rows: Vec<(String, String, String, String, i64)> = sqlx::query_as(
            "SELECT u.id, u.email, u.name, m.role, m.joined_at FROM workspace_members m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? ORDER BY m.joined_at, u.id",
        )
        .bind(workspace)
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter()
            .map(|(id, email, name, raw, joined)| {
                Ok(Member {
                    user: User {
                        id: user_id(&id)?,
                        email,
                        name,
                    },
                    role: role(&raw)?,
                    joined_at: instant(joined)?,
                })
            })
            .collect()
    }

    async fn rename_workspace(&self, workspace: &str, name: &str) -> StoreResult<()> {
        sqlx::query("UPDATE workspaces SET name = ? WHERE id = ?")
            .bind(name)
            .bind(workspace)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn outsiders(&self, workspace: &str, ids: &[UserId]) -> StoreResult<Vec<UserId>> {
        let ids = serde_json::to_string(ids)?;
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT u.id FROM users u LEFT JOIN workspace_members m ON m.user_id = u.id \
             WHERE u.id IN (SELECT value FROM json_each(?)) \
             AND (m.workspace_id IS NULL OR m.workspace_id <> ?)",
        )
        .bind(ids)
        .bind(workspace)
        .fetch_all(&self.readers)
        .await?;
        rows.iter().map(|id| user_id(id)).collect()
    }

    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        invited_by: &UserId,
        token_hash: &[u8],
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO invitations (id, workspace_id, email, token_hash, invited_by, created_at, \
             expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(invitation.id)
        .bind(&invitation.workspace.id)
        .bind(&invitation.email)
        .bind(token_hash)
        .bind(invited_by.as_str())
        .bind(invitation.created_at.millis())
        .bind(invitation.expires_at.millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn invitation_by_hash(&self, token_hash: &[u8]) -> StoreResult<Option<Invitation>> {
        let row: Option<InvitationRow> =
            sqlx::query_as(&format!("{INVITATION} WHERE i.token_hash = ?"))
                .bind(token_hash)
                .fetch_optional(&self.readers)
                .await?;
        row.map(invitation).transpose()
    }

    async fn open_invitations(
        &self,
        workspace: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
            "{INVITATION} WHERE i.workspace_id = ? AND i.accepted_at IS NULL \
             AND i.revoked_at IS NULL AND i.expires_at > ? ORDER BY i.created_at DESC, i.id DESC"
        ))
        .bind(workspace)
        .bind(now.millis())
        .fetch_all(&self.readers)
        .await?;
        rows.into_iter().map(invitation).collect()
    }

    async fn revoke_invitation(
        &self,
        workspace: &str,
        id: Uuid,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET revoked_at = ?1 WHERE id = ?2 AND workspace_id = ?3 \
             AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?1",
        )
        .bind(now.millis())
        .bind(id)
        .bind(workspace)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn move_user(
        &self,
        user: &UserId,
        expected: Option<&str>,
        to: &Destination,
    ) -> StoreResult<bool> {
        // One writer connection: moves (and every other write) happen one at a time.
        let mut tx = self.writer.begin().await?;
        let from: Option<(String, String)> =
            sqlx::query_as("SELECT workspace_id, role FROM workspace_members WHERE user_id = ?")
                .bind(user.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let Some((from, old_role)) = from else {
            return Ok(false);
        };
        if expected.is_some_and(|expected| expected != from) {
            return Ok(false);
        }
        let (to, new_role, now) = match to {
            Destination::OwnWorkspace(workspace) => {
                sqlx::query("INSERT INTO workspaces (id, name) VALUES (?, ?)")
                    .bind(&workspace.id)
                    .bind(&workspace.name)
                    .execute(&mut *tx)
                    .await?;
                (workspace.id.clone(), Role::Owner, Timestamp::now())
            }
            Destination::Invited { invitation, now } => {
                let workspace: Option<String> = sqlx::query_scalar(
                    "UPDATE invitations SET accepted_at = ?1, accepted_by = ?2 WHERE id = ?3 \
                     AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?1 \
                     RETURNING workspace_id",
                )
                .bind(now.millis())
                .bind(user.as_str())
                .bind(invitation)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(workspace) = workspace else {
                    return Ok(false);
                };
                (workspace, Role::Member, *now)
            }
        };
        if to != from {
            sqlx::query(&format!(
                "UPDATE icps SET updated_at = max(updated_at + 1, ?3), {NEXT_OWNER} WHERE id IN ({TEAM_ICPS})"
            ))
            .bind(user.as_str())
            .bind(&from)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "DELETE FROM icp_members WHERE user_id = ?1 AND icp_id IN ({TEAM_ICPS})"
            ))
            .bind(user.as_str())
            .bind(&from)
            .execute(&mut *tx)
            .await?;
            join(&mut tx, user, &to, new_role, now).await?;
            if new_role == Role::Member {
                // Joining: the ICPs shared with everyone in the workspace take the newcomer in.
                sqlx::query(&format!("UPDATE icps SET updated_at = max(updated_at + 1, ?3) WHERE id IN ({EVERYONE_ICPS})"))
                    .bind(user.as_str())
                    .bind(&to)
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&format!(
                    "INSERT INTO icp_members (icp_id, user_id, position, created_at) \
                 SELECT i.id, ?1, (SELECT coalesce(max(m.position), -1) + 1 FROM icp_members m \
                 WHERE m.icp_id = i.id), i.created_at FROM icps i WHERE i.id IN ({EVERYONE_ICPS})"
                ))
                .bind(user.as_str())
                .bind(&to)
                .execute(&mut *tx)
                .await?;
            }
            if role(&old_role)? == Role::Owner {
                sqlx::query(
                    "UPDATE workspace_members SET role = 'owner' WHERE user_id = (\
                     SELECT user_id FROM workspace_members WHERE workspace_id = ? \
                     ORDER BY joined_at, user_id LIMIT 1)",
                )
                .bind(&from)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "DELETE FROM workspaces WHERE id = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM workspace_members WHERE workspace_id = ?1)",
            )
            .bind(&from)
            .execute(&mut *tx)
            .await?;
        }
        // Members (and owners) of ICPs changed: whatever was read of any ICP may be out of date.
        let committed = tx.commit().await;
        self.reads.changed_all();
        committed?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    /// A database with the schema and data as they were before workspaces, then migrated.
    #[tokio::test]
    async fn people_who_share_icps_end_up_in_one_workspace() {
        let (_dir, pool) = super::super::empty_database().await;
        for sql in [
            include_str!("../../../migrations/sqlite/0001_init.sql"),
            include_str!("../../../migrations/sqlite/0002_member_created_at.sql"),
            // a-b share ICP 1, b-c share ICP 2 (a chain), d is alone, e shares only with an id
            // that names no account.
            "INSERT INTO users (id, email, name, password_hash, created_at) VALUES \
             ('user_a', 'a@acme.io', 'A', 'x', 3), ('user_b', 'b@acme.io', 'B', 'x', 1), \
             ('user_c', 'c@gmail.com', 'C', 'x', 2), ('user_d', 'd@gmail.com', 'Dee', 'x', 4), \
             ('user_e', 'e@solo.io', 'E', 'x', 5); \
             INSERT INTO icps (id, name, lead_provider_criteria, custom_filter_criteria, \
             leads_per_list, created_at, updated_at) VALUES (x'01', 'one', '[]', '[]', 20, 1, 1), \
             (x'02', 'two', '[]', '[]', 20, 2, 2), (x'03', 'three', '[]', '[]', 20, 3, 3); \
             INSERT INTO icp_members (icp_id, user_id, position, created_at) VALUES \
             (x'01', 'user_a', 0, 1), (x'01', 'user_b', 1, 1), (x'02', 'user_c', 0, 2), \
             (x'02', 'user_b', 1, 2), (x'03', 'user_e', 0, 3), (x'03', 'user_ghost', 1, 3);",
            include_str!("../../../migrations/sqlite/0003_workspaces.sql"),
        ] {
            sqlx::raw_sql(sql).execute(&pool).await.unwrap();
        }
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT m.user_id, m.workspace_id, w.name, m.role FROM workspace_members m \
             JOIN workspaces w ON w.id = m.workspace_id ORDER BY m.user_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let team = |user: &str, role: &str| {
            (
                user.to_owned(),
                "ws_a".to_owned(),
                "acme.io".to_owned(),
                role.to_owned(),
            )
        };
        assert_eq!(
            rows,
            vec![
                // The earliest user of the chain (b) owns it; it is named after b's domain.
                team("user_a", "member"),
                team("user_b", "owner"),
                team("user_c", "member"),
                (
                    "user_d".into(),
                    "ws_d".into(),
                    "Dee's workspace".into(),
                    "owner".into()
                ),
                (
                    "user_e".into(),
                    "ws_e".into(),
                    "solo.io".into(),
                    "owner".into()
                ),
            ]
        );
        // Nothing else changed: every ICP is read by exactly the users it was before.
        let (members,): (i64,) = sqlx::query_as("SELECT count(*) FROM icp_members")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(members, 6);
    }
}
