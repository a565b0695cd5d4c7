//! The members of a workspace as the index knows them: their names, and the member a typed
//! name means.

use rusqlite::Connection;

use crate::base::error::{Error, Result};
use crate::storage::workspace::Ws;

/// The members of a workspace, for resolving a typed name.
pub(crate) struct MemberLookup(Vec<(String, String)>);

impl MemberLookup {
    pub(crate) fn load(c: &Connection, ws: &Ws) -> Result<MemberLookup> {
        let mut st = c.prepare("SELECT id, name FROM members WHERE ws = ?1 ORDER BY name, id")?;
        let rows = st.query_map([ws.id.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(MemberLookup(rows.collect::<rusqlite::Result<_>>()?))
    }

    /// The name of a member, if the workspace document has reached this device.
    pub(crate) fn name_of(&self, id: &str) -> Option<String> {
        self.0.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone())
    }

    /// The member id named (case-insensitive, or a prefix of name or id) by `q`.
    pub(crate) fn resolve_member(&self, q: &str) -> Result<String> {
        let ql = q.trim().to_lowercase();
        let exact: Vec<_> = self
            .0
            .iter()
            .filter(|(_, n)| n.to_lowercase() == ql)
            .collect();
        let hits: Vec<_> = if exact.len() == 1 {
            exact
        } else {
            self.0
                .iter()
                .filter(|(id, n)| n.to_lowercase().starts_with(&ql) || id.starts_with(&ql))
                .collect()
        };
        match hits.as_slice() {
            [one] => Ok(one.0.clone()),
            [] => Err(Error::NotFound {
                what: "member",
                query: q.into(),
                candidates: self.0.iter().map(|(_, n)| n.clone()).collect(),
            }),
            many => Err(Error::Ambiguous {
                what: "member",
                query: q.into(),
                candidates: many.iter().map(|(_, n)| n.clone()).collect(),
            }),
        }
    }
}
