//! Workspaces: who belongs to which, invitations, and a user's move between workspaces.
//!
//! Size: the one `Workspaces` implementation for both databases — membership, roles, invitations
//! and moves, each writing its audit record in its transaction — kept together as the trait is.

use super::super::{id_list, where_is, SQL};
use super::audit::{commit_recorded, record};
use super::Db;
use crate::domain::{Timestamp, UserId};
use crate::store::{
    Acting, AuditKind, Destination, Invitation, Member, Membership, Record, Role, StoreError,
    StoreResult, User, Workspace, WorkspaceId, Workspaces,
};
use async_trait::async_trait;
use serde_json::{json, Value};
use sqlx::Transaction;
use uuid::Uuid;

/// The condition that an invitation is still open at the time bound to `$now` (a placeholder such
/// as `"$1"`): neither accepted nor revoked, and not expired. `$table` is `""`, or the alias of the
/// invitations table with its dot (`"i."`).
macro_rules! still_open {
    ($table:literal, $now:literal) => {
        concat!(
            $table,
            "accepted_at IS NULL AND ",
            $table,
            "revoked_at IS NULL AND ",
            $table,
            "expires_at > ",
            $now
        )
    };
}

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
fn everyone_icps() -> String {
    let everyone = SQL.everyone;
    format!(
        "SELECT i.id FROM icps i WHERE {everyone} AND i.owner_id IN (\
         SELECT user_id FROM workspace_members WHERE workspace_id = $2 AND user_id <> $1) \
         AND NOT EXISTS (SELECT 1 FROM icp_members m WHERE m.icp_id = i.id AND m.user_id = $1)"
    )
}

const INVITATION: &str = "SELECT i.id, i.workspace_id, w.name, i.email, u.name, i.role, \
     i.created_at, i.expires_at, i.accepted_at IS NOT NULL, i.revoked_at IS NOT NULL \
     FROM invitations i JOIN workspaces w ON w.id = i.workspace_id JOIN users u ON u.id = i.invited_by";

type InvitationRow = (
    Uuid,
    WorkspaceId,
    String,
    String,
    String,
    Role,
    Timestamp,
    Timestamp,
    bool,
    bool,
);

fn invitation(row: InvitationRow) -> Invitation {
    let (id, workspace, name, email, invited_by, role, created_at, expires_at, accepted, revoked) =
        row;
    Invitation {
        id,
        workspace: Workspace {
            id: workspace,
            name,
        },
        email,
        invited_by,
        role,
        created_at,
        expires_at,
        accepted,
        revoked,
    }
}

/// Inserts `workspace` with `owner` as its owner, inside the caller's transaction.
pub(in crate::store) async fn create_workspace(
    tx: &mut Transaction<'_, Db>,
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
    tx: &mut Transaction<'_, Db>,
    user: &UserId,
    workspace: &WorkspaceId,
    role: Role,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO workspace_members (user_id, workspace_id, role, joined_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET workspace_id = excluded.workspace_id, \
         role = excluded.role, joined_at = excluded.joined_at",
    )
    .bind(user)
    .bind(workspace)
    .bind(role)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// `user`'s email, read in `tx` (for the audit log's target).
async fn email_of(tx: &mut Transaction<'_, Db>, user: &UserId) -> StoreResult<String> {
    Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user)
        .fetch_one(&mut **tx)
        .await?)
}

/// `{"role": role}`, as records hold a role.
fn role_json(role: Role) -> Value {
    json!({ "role": role.as_str() })
}

/// A change of one user's (`$1`) memberships of the ICPs `icps` selects in a workspace (`$2`).
struct MemberChange<'a> {
    /// The ICPs it changes (a `SELECT` of ids).
    icps: &'a str,
    /// What else changes in them with their `updated_at` (an assignment), if anything.
    also: Option<&'a str>,
    /// The statement on `icp_members` (`$1`, `$2`) up to where it names the ICPs (`IN (…)`).
    members: &'a str,
}

impl MemberChange<'_> {
    /// Runs it in `tx` for `user` and `workspace` at `now`: first moves the ICPs' `updated_at` on
    /// (`icps` selects by membership, which the members' statement then changes).
    async fn run(
        &self,
        tx: &mut Transaction<'_, Db>,
        user: &UserId,
        workspace: &WorkspaceId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (later, icps, members) = (SQL.later, self.icps, self.members);
        let also = self.also.map(|set| format!(", {set}")).unwrap_or_default();
        sqlx::query(&format!(
            "UPDATE icps SET updated_at = {later}{also} WHERE id IN ({icps})"
        ))
        .bind(user)
        .bind(workspace)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(&format!("{members} IN ({icps})"))
            .bind(user)
            .bind(workspace)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Workspaces for super::SqlStore {
    async fn membership(&self, user: &UserId) -> StoreResult<Option<Membership>> {
        let row: Option<(WorkspaceId, String, Role)> = sqlx::query_as(
            "SELECT w.id, w.name, m.role FROM workspace_members m \
             JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = $1",
        )
        .bind(user)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(id, name, role)| Membership {
            workspace: Workspace { id, name },
            role,
        }))
    }

    async fn members(&self, workspace: &WorkspaceId) -> StoreResult<Vec<Member>> {
        let rows: Vec<(UserId, String, String, Role, Timestamp)> = sqlx::query_as(
            "SELECT u.id, u.email, u.name, m.role, m.joined_at FROM workspace_members m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.joined_at, u.id",
        )
        .bind(workspace)
        .fetch_all(&self.reader)
        .await?;
        let member = |(id, email, name, role, joined_at)| Member {
            user: User { id, email, name },
            role,
            joined_at,
        };
        Ok(rows.into_iter().map(member).collect())
    }

    async fn rename_workspace(&self, by: Acting<'_>, name: &str) -> StoreResult<()> {
        let Acting { workspace, actor } = by;
        let mut tx = self.writer.begin().await?;
        let before: String = sqlx::query_scalar(&format!(
            "SELECT name FROM workspaces WHERE id = $1{}",
            SQL.locking("", false)
        ))
        .bind(workspace)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE workspaces SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(workspace)
            .execute(&mut *tx)
            .await?;
        let change = Record::new(
            AuditKind::Renamed,
            name,
            json!({ "name": before }),
            json!({ "name": name }),
        );
        record(&mut tx, actor, &change).await?;
        Ok(tx.commit().await?)
    }

    async fn set_role(
        &self,
        by: Acting<'_>,
        member: &UserId,
        role: Role,
    ) -> StoreResult<Option<Role>> {
        let Acting { workspace, actor } = by;
        let mut tx = self.writer.begin().await?;
        // The member's row and the owner's, locked in one order (a hand-over changes both).
        let rows: Vec<(UserId, Role)> = sqlx::query_as(&format!(
            "SELECT user_id, role FROM workspace_members WHERE workspace_id = $1 \
             AND (user_id = $2 OR role = 'owner') ORDER BY user_id{}",
            SQL.locking("", false)
        ))
        .bind(workspace)
        .bind(member)
        .fetch_all(&mut *tx)
        .await?;
        let Some(before) = rows.iter().find(|(id, _)| id == member).map(|row| row.1) else {
            return Ok(None);
        };
        if before == role {
            return Ok(Some(before));
        }
        let email = email_of(&mut tx, member).await?;
        let change = if role == Role::Owner {
            let owner = rows
                .iter()
                .find(|row| row.1 == Role::Owner)
                .map(|row| &row.0);
            let Some(owner) = owner else {
                return Err(StoreError::Corrupt(format!("{workspace} has no owner")));
            };
            // The owner steps down to admin first: one owner at any moment.
            sqlx::query("UPDATE workspace_members SET role = 'admin' WHERE user_id = $1")
                .bind(owner)
                .execute(&mut *tx)
                .await?;
            let previous = email_of(&mut tx, owner).await?;
            Record::new(
                AuditKind::OwnerChanged,
                email.as_str(),
                json!({ "owner": previous, "role": before.as_str() }),
                json!({ "owner": email, "previousOwnerRole": Role::Admin.as_str() }),
            )
        } else if before == Role::Owner {
            // The owner's role changes only by handing the workspace over.
            return Ok(Some(before));
        } else {
            Record::new(
                AuditKind::RoleChanged,
                email.as_str(),
                role_json(before),
                role_json(role),
            )
        };
        sqlx::query("UPDATE workspace_members SET role = $1 WHERE user_id = $2")
            .bind(role)
            .bind(member)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, actor, &change).await?;
        tx.commit().await?;
        Ok(Some(before))
    }

    async fn outsiders(&self, workspace: &WorkspaceId, ids: &[UserId]) -> StoreResult<Vec<UserId>> {
        let sql = format!(
            "SELECT u.id FROM users u LEFT JOIN workspace_members m ON m.user_id = u.id \
             WHERE u.id {} AND (m.workspace_id IS NULL OR m.workspace_id <> $2)",
            SQL.in_list("$1")
        );
        Ok(sqlx::query_scalar(&sql)
            .bind(id_list(ids)?)
            .bind(workspace)
            .fetch_all(&self.reader)
            .await?)
    }

    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        invited_by: &UserId,
        token_hash: &[u8],
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO invitations (id, workspace_id, email, token_hash, invited_by, role, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(invitation.id)
        .bind(&invitation.workspace.id)
        .bind(&invitation.email)
        .bind(token_hash)
        .bind(invited_by)
        .bind(invitation.role)
        .bind(invitation.created_at)
        .bind(invitation.expires_at)
        .execute(&mut *tx)
        .await?;
        let change = Record::new(
            AuditKind::InvitationCreated,
            invitation.email.as_str(),
            Value::Null,
            role_json(invitation.role),
        );
        record(&mut tx, invited_by, &change).await?;
        Ok(tx.commit().await?)
    }

    async fn invitation_by_hash(&self, token_hash: &[u8]) -> StoreResult<Option<Invitation>> {
        let row: Option<InvitationRow> =
            sqlx::query_as(&format!("{INVITATION} WHERE i.token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(&self.reader)
                .await?;
        Ok(row.map(invitation))
    }

    async fn open_invitations(
        &self,
        workspace: &WorkspaceId,
        now: Timestamp,
    ) -> StoreResult<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
            "{INVITATION} WHERE i.workspace_id = $1 AND {} ORDER BY i.created_at DESC, i.id DESC",
            still_open!("i.", "$2")
        ))
        .bind(workspace)
        .bind(now)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(invitation).collect())
    }

    async fn revoke_invitation(
        &self,
        by: Acting<'_>,
        id: Uuid,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let Acting { workspace, actor } = by;
        let mut tx = self.writer.begin().await?;
        let revoked: Option<(String, Role)> = sqlx::query_as(concat!(
            "UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND ",
            still_open!("", "$1"),
            " RETURNING email, role"
        ))
        .bind(now)
        .bind(id)
        .bind(workspace)
        .fetch_optional(&mut *tx)
        .await?;
        commit_recorded(tx, actor, revoked, |(email, role): (String, Role)| {
            Record::new(
                AuditKind::InvitationRevoked,
                email,
                role_json(role),
                Value::Null,
            )
        })
        .await
    }

    async fn move_user(
        &self,
        user: &UserId,
        expected: Option<&WorkspaceId>,
        to: &Destination,
        actor: &UserId,
    ) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        let Some((from, old_role)) = where_is(&mut tx, user, to).await? else {
            return Ok(false);
        };
        if expected.is_some_and(|expected| *expected != from) {
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
                let invited: Option<(WorkspaceId, Role)> = sqlx::query_as(concat!(
                    "UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE id = $3 AND ",
                    still_open!("", "$1"),
                    " RETURNING workspace_id, role"
                ))
                .bind(now)
                .bind(user)
                .bind(invitation)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((workspace, role)) = invited else {
                    return Ok(false);
                };
                (workspace, role, *now)
            }
        };
        if to != from {
            let email = email_of(&mut tx, user).await?;
            let kind = if actor == user {
                AuditKind::MemberLeft
            } else {
                AuditKind::MemberRemoved
            };
            let parting = Record::new(kind, email.as_str(), role_json(old_role), Value::Null);
            record(&mut tx, actor, &parting).await?;
            // The ICPs shared with someone who stays stay with the team; so does their ownership.
            let leave = MemberChange {
                icps: TEAM_ICPS,
                also: Some(NEXT_OWNER),
                members: "DELETE FROM icp_members WHERE user_id = $1 AND icp_id",
            };
            leave.run(&mut tx, user, &from, now).await?;
            join(&mut tx, user, &to, new_role, now).await?;
            if new_role != Role::Owner {
                let joined = Record::new(
                    AuditKind::MemberJoined,
                    email.as_str(),
                    Value::Null,
                    role_json(new_role),
                );
                record(&mut tx, user, &joined).await?;
                // Joining: the ICPs shared with everyone in the workspace take the newcomer in.
                let take_in = MemberChange {
                    icps: &everyone_icps(),
                    also: None,
                    members: "INSERT INTO icp_members (icp_id, user_id, position, created_at) \
                     SELECT i.id, $1, (SELECT coalesce(max(m.position), -1) + 1 FROM icp_members m \
                     WHERE m.icp_id = i.id), i.created_at FROM icps i WHERE i.id",
                };
                take_in.run(&mut tx, user, &to, now).await?;
            }
            if old_role == Role::Owner {
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
