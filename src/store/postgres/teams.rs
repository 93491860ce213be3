//! Workspaces on Postgres (the same statements as on SQLite, in Postgres's types).

use super::PgStore;
use crate::domain::{Timestamp, UserId};
use crate::store::{
    user_id, Destination, Invitation, Member, Membership, Role, StoreError, StoreResult, Teams,
    User, Workspace,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// The ICPs `$1` shares with someone in workspace `$2` other than themselves.
const TEAM_ICPS: &str = "SELECT m.icp_id FROM icp_members m WHERE m.user_id = $1 AND EXISTS (\
     SELECT 1 FROM icp_members o JOIN workspace_members w ON w.user_id = o.user_id \
     WHERE o.icp_id = m.icp_id AND o.user_id <> $1 AND w.workspace_id = $2)";

/// An ICP `$1` owned that stays with the team passes to its first member who stays in `$2`.
const NEXT_OWNER: &str = "owner_id = CASE WHEN owner_id = $1 THEN (\
     SELECT m.user_id FROM icp_members m JOIN workspace_members w ON w.user_id = m.user_id \
     WHERE m.icp_id = icps.id AND m.user_id <> $1 AND w.workspace_id = $2 \
     ORDER BY m.position LIMIT 1) ELSE owner_id END";

/// The ICPs shared with everyone in workspace `$2` (owned by one of its other members) that `$1`
/// is not in yet.
const EVERYONE_ICPS: &str = "SELECT i.id FROM icps i WHERE i.everyone AND i.owner_id IN (\
     SELECT user_id FROM workspace_members WHERE workspace_id = $2 AND user_id <> $1) \
     AND NOT EXISTS (SELECT 1 FROM icp_members m WHERE m.icp_id = i.id AND m.user_id = $1)";

const INVITATION: &str = "SELECT i.id, i.workspace_id, w.name, i.email, u.name, i.created_at, \
     i.expires_at, i.accepted_at IS NOT NULL, i.revoked_at IS NOT NULL \
     FROM invitations i JOIN workspaces w ON w.id = i.workspace_id JOIN users u ON u.id = i.invited_by";

type InvitationRow = (
    Uuid,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    bool,
    bool,
);

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
        created_at: Timestamp(created),
        expires_at: Timestamp(expires),
        accepted,
        revoked,
    })
}

fn role(raw: &str) -> StoreResult<Role> {
    Role::parse(raw).ok_or_else(|| StoreError::Corrupt(format!("bad role {raw:?}")))
}

/// Replaces `user`'s password hash; false when there is no such user.
pub(super) async fn set_password(pool: &PgPool, user: &UserId, hash: &str) -> StoreResult<bool> {
    let update = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2");
    let done = update.bind(hash).bind(user.as_str()).execute(pool).await?;
    Ok(done.rows_affected() == 1)
}

/// Inserts the user and their workspace, which they own, in one transaction.
pub(super) async fn create_user(
    pool: &PgPool,
    user: &User,
    password_hash: &str,
    workspace: &Workspace,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;
    let inserted =
        sqlx::query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)")
            .bind(user.id.as_str())
            .bind(&user.email)
            .bind(&user.name)
            .bind(password_hash)
            .execute(&mut *tx)
            .await;
    match inserted {
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            return Err(StoreError::Conflict("a user with this email"))
        }
        other => other?,
    };
    create_workspace(&mut tx, workspace, &user.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Inserts `workspace` with `owner` as its owner, inside the caller's transaction.
async fn create_workspace(
    tx: &mut Transaction<'_, Postgres>,
    workspace: &Workspace,
    owner: &UserId,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO workspaces (id, name) VALUES ($1, $2)")
        .bind(&workspace.id)
        .bind(&workspace.name)
        .execute(&mut **tx)
        .await?;
    join(tx, owner, &workspace.id, Role::Owner, Timestamp::now()).await
}

async fn join(
    conn: &mut PgConnection,
    user: &UserId,
    workspace: &str,
    role: Role,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO workspace_members (user_id, workspace_id, role, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET workspace_id = excluded.workspace_id, \
         role = excluded.role, joined_at = excluded.joined_at",
    )
    .bind(user.as_str())
    .bind(workspace)
    .bind(role.as_str())
    .bind(now.0)
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Teams for PgStore {
    async fn membership(&self, user: &UserId) -> StoreResult<Option<Membership>> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT w.id, w.name, m.role FROM workspace_members m \
             JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1",
        )
        .bind(user.as_str())
        .fetch_optional(&self.pool)
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
        let rows: Vec<(String, String, String, String, DateTime<Utc>)> = sqlx::query_as(
            "SELECT u.id, u.email, u.name, m.role, m.joined_at FROM workspace_members m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.joined_at, u.id",
        )
        .bind(workspace)
        .fetch_all(&self.pool)
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
                    joined_at: Timestamp(joined),
                })
            })
            .collect()
    }

    async fn rename_workspace(&self, workspace: &str, name: &str) -> StoreResult<()> {
        sqlx::query("UPDATE workspaces SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(workspace)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn outsiders(&self, workspace: &str, ids: &[UserId]) -> StoreResult<Vec<UserId>> {
        let ids: Vec<&str> = ids.iter().map(UserId::as_str).collect();
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT u.id FROM users u LEFT JOIN workspace_members m ON m.user_id = u.id \
             WHERE u.id = ANY($1) \
             AND (m.workspace_id IS NULL OR m.workspace_id <> $2)",
        )
        .bind(ids)
        .bind(workspace)
        .fetch_all(&self.pool)
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
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(invitation.id)
        .bind(&invitation.workspace.id)
        .bind(&invitation.email)
        .bind(token_hash)
        .bind(invited_by.as_str())
        .bind(invitation.created_at.0)
        .bind(invitation.expires_at.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn invitation_by_hash(&self, token_hash: &[u8]) -> StoreResult<Option<Invitation>> {
        let row: Option<InvitationRow> =
            sqlx::query_as(&format!("{INVITATION} WHERE i.token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(invitation).transpose()
    }

    async fn open_invitations(
        &self,
        workspace: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
            "{INVITATION} WHERE i.workspace_id = $1 AND i.accepted_at IS NULL \
             AND i.revoked_at IS NULL AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id DESC"
        ))
        .bind(workspace)
        .bind(now.0)
        .fetch_all(&self.pool)
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
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 \
             AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now.0)
        .bind(id)
        .bind(workspace)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn move_user(
        &self,
        user: &UserId,
        expected: Option<&str>,
        to: &Destination,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        // The workspaces the move changes, locked in a fixed order (their ids') for the rest of
        // the transaction: moves into or out of one workspace happen one at a time, and two
        // moves that touch the same two workspaces cannot wait for each other.
        let target: Option<String> = match to {
            Destination::OwnWorkspace(_) => None,
            Destination::Invited { invitation, .. } => {
                sqlx::query_scalar("SELECT workspace_id FROM invitations WHERE id = $1")
                    .bind(invitation)
                    .fetch_optional(&mut *tx)
                    .await?
            }
        };
        let mut from = None;
        for _ in 0..3 {
            let current: Option<String> =
                sqlx::query_scalar("SELECT workspace_id FROM workspace_members WHERE user_id = $1")
                    .bind(user.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(current) = current else {
                return Ok(false);
            };
            let mut workspaces: Vec<&str> = [Some(current.as_str()), target.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            workspaces.sort_unstable();
            workspaces.dedup();
            for workspace in workspaces {
                sqlx::query(
                    "SELECT pg_advisory_xact_lock(hashtextextended('icp-builder workspace ' || $1, 0))",
                )
                .bind(workspace)
                .execute(&mut *tx)
                .await?;
            }
            let locked: Option<(String, String)> = sqlx::query_as(
                "SELECT workspace_id, role FROM workspace_members WHERE user_id = $1 FOR UPDATE",
            )
            .bind(user.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match locked {
                None => return Ok(false),
                // Still where it was when its workspace was locked.
                Some((now_in, role)) if now_in == current => {
                    from = Some((now_in, role));
                    break;
                }
                // Moved meanwhile (its own move held the lock): lock where it is now.
                Some(_) => continue,
            }
        }
        let Some((from, old_role)) = from else {
            return Err(StoreError::Stale);
        };
        if expected.is_some_and(|expected| expected != from) {
            return Ok(false);
        }
        let (to, new_role, now) = match to {
            Destination::OwnWorkspace(workspace) => {
                sqlx::query("INSERT INTO workspaces (id, name) VALUES ($1, $2)")
                    .bind(&workspace.id)
                    .bind(&workspace.name)
                    .execute(&mut *tx)
                    .await?;
                (workspace.id.clone(), Role::Owner, Timestamp::now())
            }
            Destination::Invited { invitation, now } => {
                let workspace: Option<String> = sqlx::query_scalar(
                    "UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE id = $3 \
                     AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1 \
                     RETURNING workspace_id",
                )
                .bind(now.0)
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
                "UPDATE icps SET updated_at = GREATEST(updated_at + interval '1 millisecond', $3), {NEXT_OWNER} \
                 WHERE id IN ({TEAM_ICPS})"
            ))
            .bind(user.as_str())
            .bind(&from)
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "DELETE FROM icp_members WHERE user_id = $1 AND icp_id IN ({TEAM_ICPS})"
            ))
            .bind(user.as_str())
            .bind(&from)
            .execute(&mut *tx)
            .await?;
            join(&mut tx, user, &to, new_role, now).await?;
            if new_role == Role::Member {
                // Joining: the ICPs shared with everyone in the workspace take the newcomer in.
                sqlx::query(&format!("UPDATE icps SET updated_at = GREATEST(updated_at + interval '1 millisecond', $3) WHERE id IN ({EVERYONE_ICPS})"))
                    .bind(user.as_str())
                    .bind(&to)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&format!(
                    "INSERT INTO icp_members (icp_id, user_id, position, created_at) \
                 SELECT i.id, $1, (SELECT coalesce(max(m.position), -1) + 1 FROM icp_members m \
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
                     SELECT user_id FROM workspace_members WHERE workspace_id = $1 \
                     ORDER BY joined_at, user_id LIMIT 1)",
                )
                .bind(&from)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "DELETE FROM workspaces WHERE id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM workspace_members WHERE workspace_id = $1)",
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
