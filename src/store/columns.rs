//! The domain's column types as each database stores them, written once: a `Timestamp` is integer
//! milliseconds on SQLite and a `timestamptz` on Postgres; a `UserId`, a `WorkspaceId`, a `Role` and a `RefusalReason` are text on both,
//! checked when read. Statements bind and read these types directly, so one row type serves both databases.

use super::{RefusalReason, Role, WorkspaceId};
use crate::domain::{Timestamp, UserId};
use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.millis(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let millis = <i64 as Decode<Sqlite>>::decode(value)?;
        Timestamp::from_millis(millis).ok_or_else(|| format!("bad instant {millis}").into())
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Timestamp(<DateTime<Utc> as Decode<Postgres>>::decode(
            value,
        )?))
    }
}

/// Text on both databases: the same `Type`, `Encode` and `Decode` as `&str`/`String`, the value
/// checked on the way out (`parse`).
macro_rules! as_text {
    ($type:ty, $db:ty) => {
        impl Type<$db> for $type {
            fn type_info() -> <$db as sqlx::Database>::TypeInfo {
                <String as Type<$db>>::type_info()
            }

            fn compatible(ty: &<$db as sqlx::Database>::TypeInfo) -> bool {
                <String as Type<$db>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, $db> for $type {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<$db>>::encode(self.as_str().to_owned(), buf)
            }
        }

        impl<'r> Decode<'r, $db> for $type {
            fn decode(value: <$db as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let raw = <&str as Decode<$db>>::decode(value)?;
                <$type>::parse(raw).ok_or_else(|| format!("unreadable {raw:?}").into())
            }
        }
    };
}

as_text!(UserId, Sqlite);
as_text!(UserId, Postgres);
as_text!(Role, Sqlite);
as_text!(Role, Postgres);
as_text!(WorkspaceId, Sqlite);
as_text!(WorkspaceId, Postgres);
as_text!(RefusalReason, Sqlite);
as_text!(RefusalReason, Postgres);

/// An ICP's members read as one `text[]` (`ARRAY(SELECT user_id …)`).
impl sqlx::postgres::PgHasArrayType for UserId {
    fn array_type_info() -> PgTypeInfo {
        <String as sqlx::postgres::PgHasArrayType>::array_type_info()
    }

    fn array_compatible(ty: &PgTypeInfo) -> bool {
        <String as sqlx::postgres::PgHasArrayType>::array_compatible(ty)
    }
}
