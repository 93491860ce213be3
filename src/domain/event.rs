//! Events: what an integration learns about a change to an ICP, read in order from
//! `GET /api/v1/events` and (later) delivered to webhooks. One event per change, written in the
//! change's own transaction, so a committed change always has its event.

use super::{Icp, Timestamp, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// What happened to an ICP. A version restore is an `icp.updated` (the ICP changed, and `previous`
/// says from what); `icp.restored` is a deleted ICP brought back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "icp.created")]
    Created,
    #[serde(rename = "icp.updated")]
    Updated,
    #[serde(rename = "icp.deleted")]
    Deleted,
    #[serde(rename = "icp.restored")]
    Restored,
    /// Handed over to another owner (`data.ownerId`; `previous.ownerId` was the owner).
    #[serde(rename = "icp.owner_changed")]
    OwnerChanged,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::Created,
        EventType::Updated,
        EventType::Deleted,
        EventType::Restored,
        EventType::OwnerChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Created => "icp.created",
            EventType::Updated => "icp.updated",
            EventType::Deleted => "icp.deleted",
            EventType::Restored => "icp.restored",
            EventType::OwnerChanged => "icp.owner_changed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// One event, as `GET /api/v1/events` lists it and a webhook receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Event {
    /// Unique; a webhook delivery's `webhook-id`, the same on every retry.
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When the change was made.
    pub timestamp: Timestamp,
    pub data: EventData,
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventData {
    /// The ICP as the API returns it after the change (as it was, for `icp.deleted`).
    pub icp: Icp,
    /// Its owner after the change (only they delete it or remove members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<UserId>,
    /// On `icp.updated` and `icp.owner_changed`: each field that changed, as it was before
    /// (`null` where it was absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub previous: Option<Map<String, Value>>,
}

/// The fields of `after` that differ from `before`, each with its value in `before` (`null` where
/// absent), and the owner's when it changed: an update's `previous`.
pub fn previous_fields(before: &Icp, after: &Icp) -> serde_json::Result<Map<String, Value>> {
    let Value::Object(old) = serde_json::to_value(before)? else {
        return Ok(Map::new());
    };
    let Value::Object(new) = serde_json::to_value(after)? else {
        return Ok(Map::new());
    };
    let mut previous = Map::new();
    for (key, value) in &new {
        if old.get(key) != Some(value) {
            previous.insert(key.clone(), old.get(key).cloned().unwrap_or(Value::Null));
        }
    }
    for (key, value) in old {
        if !new.contains_key(&key) {
            previous.insert(key, value);
        }
    }
    if before.owner != after.owner {
        previous.insert("ownerId".into(), serde_json::to_value(&before.owner)?);
    }
    Ok(previous)
}

/// An event's JSON text, borrowing the ICP (so it is not copied to be written).
#[derive(Serialize)]
struct EventRef<'a, I: Serialize + ?Sized> {
    id: Uuid,
    #[serde(rename = "type")]
    kind: EventType,
    timestamp: Timestamp,
    data: DataRef<'a, I>,
}

/// `icp`: the ICP, or (`event_json_spliced`) its JSON text as `serde_json` writes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DataRef<'a, I: Serialize + ?Sized> {
    icp: &'a I,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_id: Option<&'a UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<&'a Map<String, Value>>,
}

/// The JSON text of the event `id` of type `kind` at `timestamp` about `icp`: exactly what
/// `Event` serializes to.
pub fn event_json(
    id: Uuid,
    kind: EventType,
    timestamp: Timestamp,
    icp: &Icp,
    previous: Option<&Map<String, Value>>,
) -> serde_json::Result<String> {
    written(id, kind, timestamp, icp, icp.owner.as_ref(), previous)
}

/// The event's JSON text with `icp` (the ICP, or its JSON text) as its `data.icp`.
fn written<I: Serialize + ?Sized>(
    id: Uuid,
    kind: EventType,
    timestamp: Timestamp,
    icp: &I,
    owner_id: Option<&UserId>,
    previous: Option<&Map<String, Value>>,
) -> serde_json::Result<String> {
    serde_json::to_string(&EventRef {
        id,
        kind,
        timestamp,
        data: DataRef {
            icp,
            owner_id,
            previous,
        },
    })
}

/// `event_json` with the ICP already written (`icp_json`, its text as `serde_json` writes `icp`,
/// spliced in as it is): the same text, without serializing the ICP again.
#[cfg(feature = "ssr")]
pub fn event_json_spliced(
    id: Uuid,
    kind: EventType,
    timestamp: Timestamp,
    icp: &Icp,
    icp_json: &serde_json::value::RawValue,
    previous: Option<&Map<String, Value>>,
) -> serde_json::Result<String> {
    written(id, kind, timestamp, icp_json, icp.owner.as_ref(), previous)
}

/// `event_json_spliced` in the two parts around the ICP's text: `head + icp_json + tail` is that
/// event's JSON, for a database that holds the ICP's text already and joins them itself.
#[cfg(feature = "ssr")]
pub fn event_json_around(
    id: Uuid,
    kind: EventType,
    timestamp: Timestamp,
    icp: &Icp,
    previous: Option<&Map<String, Value>>,
) -> serde_json::Result<(String, String)> {
    use serde::ser::Error;
    const MARK: &str = "0";
    const BEFORE: &str = "\"data\":{\"icp\":";
    let mark = serde_json::value::RawValue::from_string(MARK.to_owned())?;
    let whole = event_json_spliced(id, kind, timestamp, icp, &mark, previous)?;
    // The ICP is `data`'s first member, after the id, type and timestamp (none of which can hold
    // this text).
    let at = whole
        .find(BEFORE)
        .map(|start| start + BEFORE.len())
        .ok_or_else(|| serde_json::Error::custom("an event without its ICP"))?;
    Ok((whole[..at].to_owned(), whole[at + MARK.len()..].to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn icp() -> Icp {
        serde_json::from_value(serde_json::json!({
            "id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff",
            "name": "DACH Tech Leaders",
            "createdAt": "2024-01-15T10:30:00.000Z",
            "updatedAt": "2024-01-15T10:30:00.000Z",
            "leadProviderCriteria": [],
            "customFilterCriteria": [],
            "userIds": ["user_8fK2mQ7xR4tN1vB6cL9pZ3wY"],
            "leadsPerList": 50
        }))
        .unwrap()
    }

    #[test]
    fn types_read_back_as_written() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(EventType::parse("icp.exploded"), None);
    }

    #[test]
    fn previous_holds_each_changed_field_as_it_was() {
        let before = icp();
        let mut after = before.clone();
        after.name = "Nordics".into();
        after.description = Some("new".into());
        after.leads_per_list = 60;
        let previous = previous_fields(&before, &after).unwrap();
        assert_eq!(
            Value::Object(previous),
            serde_json::json!({"name": "DACH Tech Leaders", "description": null, "leadsPerList": 50})
        );
        after.description = None;
        let back = previous_fields(&after, &before).unwrap();
        assert_eq!(back.get("name"), Some(&Value::from("Nordics")));
        assert_eq!(back.get("leadsPerList"), Some(&Value::from(60)));
        assert!(!back.contains_key("userIds"));
    }

    #[test]
    fn the_written_text_reads_back_as_an_event() {
        let mut icp = icp();
        icp.owner = UserId::parse("user_8fK2mQ7xR4tN1vB6cL9pZ3wY");
        let mut before = icp.clone();
        before.owner = UserId::parse("user_0aaaaaaaaaaaaaaaaaaaaaaa");
        let previous = previous_fields(&before, &icp).unwrap();
        let kind = EventType::OwnerChanged;
        let id = Uuid::now_v7();
        let at = icp.updated_at;
        let text = event_json(id, kind, at, &icp, Some(&previous)).unwrap();
        let event: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(event.id, id);
        assert_eq!(event.kind, EventType::OwnerChanged);
        assert_eq!(event.data.icp, {
            let mut plain = icp.clone();
            plain.owner = None;
            plain
        });
        assert_eq!(event.data.owner_id, icp.owner);
        assert_eq!(
            event.data.previous.as_ref().unwrap().get("ownerId"),
            Some(&Value::from("user_0aaaaaaaaaaaaaaaaaaaaaaa"))
        );
        assert_eq!(serde_json::to_string(&event).unwrap().len(), text.len());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_spliced_text_is_the_serialized_one() {
        let mut icp = icp();
        icp.owner = UserId::parse("user_8fK2mQ7xR4tN1vB6cL9pZ3wY");
        let mut before = icp.clone();
        before.name = "Before".into();
        let previous = previous_fields(&before, &icp).unwrap();
        let json = serde_json::value::to_raw_value(&icp).unwrap();
        let (id, at) = (Uuid::now_v7(), icp.updated_at);
        for (kind, previous) in [
            (EventType::Created, None),
            (EventType::Updated, Some(&previous)),
        ] {
            assert_eq!(
                event_json_spliced(id, kind, at, &icp, &json, previous).unwrap(),
                event_json(id, kind, at, &icp, previous).unwrap()
            );
        }
    }

    #[test]
    fn the_parts_around_the_icp_make_the_event() {
        let icp = icp();
        let json = serde_json::value::to_raw_value(&icp).unwrap();
        let previous = previous_fields(&icp, &icp).unwrap();
        let at = Timestamp::now();
        for (kind, previous) in [
            (EventType::Created, None),
            (EventType::Updated, Some(&previous)),
        ] {
            let id = Uuid::now_v7();
            let (head, tail) = event_json_around(id, kind, at, &icp, previous).unwrap();
            let whole = event_json_spliced(id, kind, at, &icp, &json, previous).unwrap();
            assert_eq!(format!("{head}{}{tail}", json.get()), whole);
        }
    }
}
