//! Jackson-compatible leniency: Conductor reads JSON with `FAIL_ON_NULL_FOR_PRIMITIVES=false`,
//! so an explicit `null` for a number, boolean, list or map means its zero value.

use serde::{Deserialize, Deserializer};

pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
