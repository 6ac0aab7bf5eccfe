//! A script's value as JSON text, written directly so objects keep their properties' order
//! (the guest's `serde_json::Map` would sort them). What has no JSON form becomes null:
//! undefined, functions, symbols, NaN and the infinities. Numbers that are whole and fit in an
//! i64 are written as integers (`5`, not `5.0`), as Conductor turns them into Java integers.

use boa_engine::value::JsVariant;
use boa_engine::{Context, JsNativeError, JsObject, JsResult, JsValue, js_string};

/// How deep a result may nest: the host refuses outputs deeper than 64 levels, and the
/// output wraps the result in one. Also keeps the recursion below within the stack.
pub const MAX_DEPTH: usize = 63;

/// `keys` is the original `Object.keys`: it lists an object's own enumerable string keys in
/// the language's order (integer keys ascending, then the rest in creation order).
pub fn write(value: &JsValue, keys: &JsObject, context: &mut Context) -> JsResult<String> {
    let mut writer = Writer {
        keys,
        open: Vec::new(),
        out: String::new(),
    };
    writer.value(value, context)?;
    Ok(writer.out)
}

struct Writer<'a> {
    keys: &'a JsObject,
    /// The objects being written, outermost first: one met again is a cycle.
    open: Vec<JsObject>,
    out: String,
}

impl Writer<'_> {
    fn value(&mut self, value: &JsValue, context: &mut Context) -> JsResult<()> {
        match value.variant() {
            JsVariant::Null | JsVariant::Undefined | JsVariant::Symbol(_) => self.raw("null"),
            JsVariant::Boolean(b) => self.raw(if b { "true" } else { "false" }),
            JsVariant::Integer32(i) => self.raw(&i.to_string()),
            JsVariant::Float64(f) => self.raw(&number(f)),
            // Exact when it fits an i64, else the nearest double.
            JsVariant::BigInt(b) => {
                let text = b.to_string();
                match text.parse::<i64>() {
                    Ok(_) => self.raw(&text),
                    Err(_) => self.raw(&number(text.parse().unwrap_or(f64::NAN))),
                }
            }
            JsVariant::String(s) => self.string(&s.to_std_string_lossy()),
            JsVariant::Object(o) if o.is_callable() => self.raw("null"),
            JsVariant::Object(o) => self.container(&o, context)?,
        }
        Ok(())
    }

    /// An array or an object, unless it is already open (a cycle) or nests too deep.
    fn container(&mut self, o: &JsObject, context: &mut Context) -> JsResult<()> {
        if self.open.iter().any(|open| JsObject::equals(open, o)) {
            return Err(JsNativeError::typ()
                .with_message("cyclic object value")
                .into());
        }
        if self.open.len() == MAX_DEPTH {
            return Err(JsNativeError::range()
                .with_message(format!("result nests deeper than {MAX_DEPTH} levels"))
                .into());
        }
        self.open.push(o.clone());
        let written = if o.is_array() {
            self.array(o, context)
        } else {
            self.object(o, context)
        };
        self.open.pop();
        written
    }

    fn array(&mut self, array: &JsObject, context: &mut Context) -> JsResult<()> {
        let len = array
            .get(js_string!("length"), context)?
            .to_length(context)?;
        self.out.push('[');
        for i in 0..len {
            if i > 0 {
                self.out.push(',');
            }
            // A hole reads as undefined, so it is written as null.
            let item = array.get(i, context)?;
            self.value(&item, context)?;
        }
        self.out.push(']');
        Ok(())
    }

    fn object(&mut self, object: &JsObject, context: &mut Context) -> JsResult<()> {
        let keys = self
            .keys
            .call(&JsValue::undefined(), &[object.clone().into()], context)?;
        let keys = keys
            .as_object()
            .ok_or_else(|| JsNativeError::typ().with_message("Object.keys gave no array"))?;
        let len = keys
            .get(js_string!("length"), context)?
            .to_length(context)?;
        self.out.push('{');
        for i in 0..len {
            if i > 0 {
                self.out.push(',');
            }
            let key = keys.get(i, context)?.to_string(context)?;
            self.string(&key.to_std_string_lossy());
            self.out.push(':');
            // A getter runs here, and may throw: that is the script's error.
            let item = object.get(key, context)?;
            self.value(&item, context)?;
        }
        self.out.push('}');
        Ok(())
    }

    fn string(&mut self, s: &str) {
        // serde_json escapes exactly as JSON requires; a &str always serializes.
        self.out
            .push_str(&fermata_plugin::serde_json::to_string(s).unwrap_or_default());
    }

    fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }
}

/// A JS number as JSON (see [`fermata_plugin::float_json`]).
pub fn number(f: f64) -> String {
    fermata_plugin::float_json(f)
}
