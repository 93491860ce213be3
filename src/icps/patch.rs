//! Partial updates: given fields replace, `null` clears the nullable ones, the rest stays.

use super::IcpError;
use crate::domain::{validate_draft, FieldError, Icp, IcpDraft, UserId};
use crate::store::StoreError;
use serde_json::Value;

/// Fields a client may read but never write.
const READ_ONLY: [&str; 3] = ["id", "createdAt", "updatedAt"];

/// The draft `current` becomes with `patch` applied, `member` (the editor, when among its users)
/// kept among its members; an admin editing an ICP not shared with them is not added. The merged
/// ICP passes the same validation as a create; read-only fields in the patch are refused.
pub fn apply_patch(
    current: &Icp,
    patch: &Value,
    member: Option<&UserId>,
) -> Result<IcpDraft, IcpError> {
    let Value::Object(changes) = patch else {
        let received = if patch.is_array() {
            "array"
        } else {
            "a non-object"
        };
        return Err(IcpError::Invalid(vec![FieldError::new(
            Vec::new(),
            format!("Expected object, received {received}"),
        )]));
    };
    let read_only: Vec<_> = READ_ONLY
        .iter()
        .filter(|key| changes.contains_key(**key))
        .map(|key| {
            FieldError::new(
                vec![(*key).into()],
                "Read-only field; leave it out of updates",
            )
        })
        .collect();
    // Only a stored ICP that no longer fits its own type could fail to turn back into JSON.
    let mut merged = serde_json::to_value(current.to_draft()).map_err(StoreError::from)?;
    if let Value::Object(fields) = &mut merged {
        for (key, value) in changes
            .iter()
            .filter(|(key, _)| !READ_ONLY.contains(&key.as_str()))
        {
            fields.insert(key.clone(), value.clone());
        }
    }
    match (validate_draft(&merged), read_only.is_empty()) {
        (Ok(draft), true) => Ok(match member {
            Some(member) => draft.with_member(member),
            None => draft,
        }),
        (Ok(_), false) => Err(IcpError::Invalid(read_only)),
        (Err(mut errors), _) => {
            errors.extend(read_only);
            Err(IcpError::Invalid(errors))
        }
    }
}
