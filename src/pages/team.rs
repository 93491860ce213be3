//! The team page (`/settings/team`): the workspace, its members and open invitations. Its forms
//! post to `crate::forms::team`.

#[cfg(feature = "ssr")]
use super::account::ssr;
use super::account::{Field, FormAlert, Notice, Query};
use super::confirm::{Confirm, CopyButton};
use super::describe::Day;
use super::layout::{ActionTable, ButtonForm, Panel, PostForm};
use super::loaded::SecretPage;
use crate::account::{OpenInvitationRow, Role, TeamMemberRow, TeamView};
use leptos::prelude::*;

#[server(prefix = "/fn", output = crate::page_error::JsonText)]
pub async fn team_data() -> Result<TeamView, crate::page_error::PageError> {
    use crate::auth::session::{pad_cookie, take_secrets, Secret};
    use crate::workspaces;
    let (state, session, me) = ssr::session_account().await?;
    let me = me.ok_or(crate::page_error::PageError::Unauthorized)?;
    let store = state.store.as_ref();
    let membership = workspaces::membership(store, &me.id)
        .await
        .map_err(ssr::failed)?;
    let members = store
        .members(&membership.workspace.id)
        .await
        .map_err(ssr::failed)?;
    let invitations = workspaces::open_invitations(store, &me.id)
        .await
        .map_err(ssr::failed)?;
    // A link just created: its pad is in the browser's cookie, the sealed link in the session.
    let headers: axum::http::HeaderMap = leptos_axum::extract().await.map_err(ssr::failed)?;
    let pad = pad_cookie(&headers, Secret::InvitationLink);
    let base = crate::mail::site_base(state.config.public_url.as_ref(), &headers);
    let new_links = take_secrets(&session, Secret::InvitationLink, pad.as_deref())
        .await
        .into_iter()
        .map(|held| (held.label, format!("{base}/invite/{}", held.token)))
        .collect();
    Ok(TeamView {
        workspace: membership.workspace.name,
        my_role: membership.role,
        members: members
            .into_iter()
            .map(|member| TeamMemberRow {
                id: member.user.id,
                name: member.user.name,
                email: member.user.email,
                role: member.role,
                joined_at: member.joined_at,
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|invitation| OpenInvitationRow {
                id: invitation.id,
                email: invitation.email,
                invited_by: invitation.invited_by,
                role: invitation.role,
                expires_at: invitation.expires_at,
            })
            .collect(),
        new_links,
        me,
    })
}

#[component]
pub fn TeamSettings() -> impl IntoView {
    view! { <SecretPage title="Team" load=team_data body=|data| view! { <TeamBody data /> } /> }
}

fn notice_text(notice: &str) -> Option<&'static str> {
    Some(match notice {
        "renamed" => "The workspace was renamed.",
        "invited" => "The invitation was created.",
        "invited-mailed" => "The invitation was created and mailed.",
        "invited-unmailed" => {
            "The invitation was created, but it could not be mailed: send the link yourself."
        }
        "revoked" => "The invitation was revoked.",
        "removed" => "The member was removed from the workspace.",
        "role" => "The member's role was changed.",
        "owner" => "You handed the workspace over; you are an admin of it now.",
        "left" => "You left the workspace; this is your own workspace now.",
        "joined" => "You joined the workspace.",
        _ => return None,
    })
}

#[component]
fn TeamBody(data: TeamView) -> impl IntoView {
    let query = Query::read();
    let message = query.form_problem_text();
    let notice = notice_text(&query.value("notice"));
    let TeamView {
        me,
        workspace,
        my_role,
        members,
        invitations,
        new_links,
    } = data;
    let alone = members.len() < 2;
    let manages = my_role.manages();
    // Each panel takes what it shows of the query.
    let name_error = query.error_for("workspace-name");
    let (email, email_error) = (query.value("email"), query.error_for("email"));
    let name_value = if query.value("workspace-name").is_empty() {
        workspace.clone()
    } else {
        query.value("workspace-name")
    };
    view! {
        <Notice text=notice />
        <FormAlert id="team-error" message />
        <Panel id="workspace-title" title=workspace.clone()>
            <p>
                "Everyone in this workspace can be added to your ICPs. "
                {match my_role {
                    Role::Owner => {
                        "You own it: you can rename it, invite people, set roles, remove members and hand it over."
                    }
                    Role::Admin => {
                        "You are an admin: you can rename it, invite people, set roles and remove members, and read and change every ICP of the workspace."
                    }
                    Role::Member => {
                        "Its owner and admins can rename it, invite people, set roles and remove members."
                    }
                    Role::Viewer => {
                        "You are a viewer: you read the ICPs shared with you and change none. Its owner and admins manage the workspace."
                    }
                }}
            </p>
            {manages
                .then(|| {
                    view! {
                        <p>
                            <a href="/settings/audit">"Audit log"</a>
                            ": who invited, joined, left, changed roles and tokens, and when."
                        </p>
                        <PostForm action="/settings/team/name" submit="Rename">
                            <Field
                                id="workspace-name"
                                label="Workspace name"
                                kind="text"
                                autocomplete="organization"
                                value=name_value
                                error=name_error
                                maxlength=Some("100")
                            />
                        </PostForm>
                    }
                })}
        </Panel>
        <Panel id="members-title" title="Members">
            <ActionTable
                caption="Members of the workspace"
                columns=&["Name", "Email", "Role", "Joined"]
            >
                {members
                    .into_iter()
                    .map(|member| {
                        let managed = manages && member.id != me.id && member.role != Role::Owner;
                        let hand_over = my_role == Role::Owner && member.id != me.id;
                        view! { <MemberLine member managed hand_over /> }
                    })
                    .collect_view()}
            </ActionTable>
            {(!alone)
                .then(|| {
                    view! {
                        <Confirm
                            summary="Leave the workspace…"
                            yes="Yes, leave"
                            action="/settings/team/leave".to_owned()
                            about="the workspace".to_owned()
                        >
                            {if my_role == Role::Owner {
                                "Leaving hands the workspace to its longest-standing member. "
                            } else {
                                ""
                            }}
                            "You keep the ICPs only you can read; shared ones stay with the team, and you start a workspace of your own."
                        </Confirm>
                    }
                })}
        </Panel>
        <Panel id="invitations-title" title="Invitations">
            {(!new_links.is_empty())
                .then(|| {
                    view! {
                        <div class="alert alert-success" role="status">
                            <p>
                                "Send each person their link. It works once, for that email, for 7 days. Copy it now: it will not be shown again."
                            </p>
                            <ul class="new-links">
                                {new_links
                                    .into_iter()
                                    .map(|(email, link)| {
                                        let label = format!("Copy the link for {email}");
                                        view! {
                                            <li>
                                                <span class="new-link-email">{email}</span>
                                                <code class="token">{link.clone()}</code>
                                                <CopyButton text=link label />
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </div>
                    }
                })}
            {manages
                .then(|| {
                    view! {
                        <PostForm
                            action="/settings/team/invitations"
                            submit="Create invitation links"
                            class="button button-primary"
                        >
                            <Field
                                id="email"
                                label="Invite by email"
                                kind="text"
                                autocomplete="off"
                                value=email
                                hint=Some(
                                    if super::recovery::mail_enabled() {
                                        "One address or several, apart by commas (up to 20). Each person is mailed their link, which is also shown to you."
                                    } else {
                                        "One address or several, apart by commas (up to 20). You get a link per person to pass on; no email is sent."
                                    },
                                )
                                error=email_error
                            />
                            <RoleChoice
                                id="invite-role".to_owned()
                                label="Role".to_owned()
                                chosen=Role::Member
                            />
                        </PostForm>
                    }
                })}
            <ActionTable
                caption="Open invitations"
                columns=&["Email", "Role", "Invited by", "Expires"]
                empty=invitations.is_empty().then_some("No open invitations.")
            >
                {invitations
                    .into_iter()
                    .map(|invitation| view! { <InvitationLine invitation manages /> })
                    .collect_view()}
            </ActionTable>
        </Panel>
    }
}

/// A choice of the roles an invitation or a role change gives (never the owner's); `quiet`: its
/// label is for screen readers only.
#[component]
fn RoleChoice(
    id: String,
    label: String,
    chosen: Role,
    #[prop(optional)] quiet: bool,
) -> impl IntoView {
    view! {
        <label for=id.clone() class:visually-hidden=quiet>
            {label}
        </label>
        <select id=id name="role">
            {[Role::Admin, Role::Member, Role::Viewer]
                .into_iter()
                .map(|role| {
                    view! {
                        <option value=role.as_str() selected=role == chosen>
                            {role.describe()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// A member's line: what a manager may change of them (`managed`: role and removal) and, for the
/// owner, handing the workspace over to them.
#[component]
fn MemberLine(member: TeamMemberRow, managed: bool, hand_over: bool) -> impl IntoView {
    let remove = format!("/settings/team/members/{}/remove", member.id);
    let set_role = format!("/settings/team/members/{}/role", member.id);
    let choice_id = format!("role-{}", member.id);
    view! {
        <tr>
            <td data-label="Name">{member.name.clone()}</td>
            <td data-label="Email">{member.email.clone()}</td>
            <td data-label="Role">
                {if managed {
                    let label = format!("Role of {}", member.name);
                    view! {
                        <form method="post" action=set_role.clone() class="inline-form">
                            <RoleChoice id=choice_id label chosen=member.role quiet=true />
                            <button type="submit" class="button">
                                "Set"
                                <span class="visually-hidden">" the role of " {member.email}</span>
                            </button>
                        </form>
                    }
                        .into_any()
                } else {
                    member.role.describe().into_any()
                }}
            </td>
            <td data-label="Joined">
                <Day at=member.joined_at />
            </td>
            <td>
                {hand_over
                    .then(|| {
                        view! {
                            <Confirm
                                summary="Make owner…"
                                yes="Yes, hand it over"
                                action=set_role
                                about=member.name.clone()
                                ask=(
                                    "Make ",
                                    " the owner of the workspace? You become an admin, and only they can hand it back.",
                                )
                                field=("role", "owner")
                            />
                        }
                    })}
                {managed
                    .then(|| {
                        view! {
                            <Confirm
                                summary="Remove…"
                                yes="Yes, remove"
                                action=remove
                                about=member.name
                                ask=(
                                    "Remove ",
                                    " from the workspace? They leave the ICPs they share with the team (those stay with the team) and keep the ones only they can read.",
                                )
                            />
                        }
                    })}
            </td>
        </tr>
    }
}

#[component]
fn InvitationLine(invitation: OpenInvitationRow, manages: bool) -> impl IntoView {
    let revoke = format!("/settings/team/invitations/{}/revoke", invitation.id);
    view! {
        <tr>
            <td data-label="Email">{invitation.email.clone()}</td>
            <td data-label="Role">{invitation.role.describe()}</td>
            <td data-label="Invited by">{invitation.invited_by}</td>
            <td data-label="Expires">
                <Day at=invitation.expires_at />
            </td>
            <td>
                {manages
                    .then(|| {
                        view! {
                            <ButtonForm action=revoke class="button button-danger">
                                "Revoke"
                                <span class="visually-hidden">
                                    " the invitation for " {invitation.email}
                                </span>
                            </ButtonForm>
                        }
                    })}
            </td>
        </tr>
    }
}
