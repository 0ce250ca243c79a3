//! Statements prepared once per session and used again: a prepared
//! statement costs one round trip to run, where statement text costs two
//! (parse and describe, then bind and execute). The hot requests (a
//! move's lock, load and write, a page, the board's counts) go through
//! here. A new session starts an empty cache.

use crate::Result;
use postgres::{GenericClient, Statement};
use std::cell::RefCell;
use std::collections::HashMap;

/// Beyond this many, the cache starts again (queue filters make new text).
const MOST: usize = 64;

#[derive(Default)]
pub struct Prepared(RefCell<HashMap<String, Statement>>);

impl Prepared {
    /// `sql` prepared on `c`'s session, from the cache when it has it.
    pub fn get(&self, c: &mut impl GenericClient, sql: &str) -> Result<Statement> {
        if let Some(st) = self.0.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = c.prepare(sql)?;
        let mut cache = self.0.borrow_mut();
        if cache.len() >= MOST {
            cache.clear();
        }
        cache.insert(sql.to_string(), st.clone());
        Ok(st)
    }

    /// Forgets every statement: the session they were prepared on is gone.
    pub fn clear(&self) {
        self.0.borrow_mut().clear();
    }
}
