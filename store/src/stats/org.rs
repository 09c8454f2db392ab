//! The organisation and what a fact belongs to: attributes, row keys, buckets.

use super::*;

/// The organisation, loaded once per count (a few thousand rows at most).
#[derive(Default)]
pub(crate) struct Org {
    /// id → (code, name, hall, unit)
    pub(crate) windows: HashMap<i32, (String, String, i32, i32)>,
    /// id → (code, name, region)
    pub(crate) halls: HashMap<i32, (String, String, i32)>,
    /// id → (code, name, unit)
    pub(crate) items: HashMap<i32, (String, String, i32)>,
    pub(crate) staff: HashMap<i32, (String, String)>,
    pub(crate) units: HashMap<i32, (String, String)>,
    /// id → (code, name, parent)
    pub(crate) regions: HashMap<i32, (String, String, Option<i32>)>,
    pub(crate) region_by_code: HashMap<String, i32>,
}

impl Org {
    pub(crate) async fn load<C: ConnectionTrait>(db: &C) -> Result<Org> {
        let mut o = Org::default();
        for w in service_window::Entity::find().all(db).await? {
            o.windows.insert(w.id, (w.code, w.name, w.hall_id, w.unit_id));
        }
        for h in hall::Entity::find().all(db).await? {
            o.halls.insert(h.id, (h.code, h.name, h.region_id));
        }
        for i in item::Entity::find().all(db).await? {
            o.items.insert(i.id, (i.code, i.name, i.unit_id));
        }
        for s in staff::Entity::find().all(db).await? {
            o.staff.insert(s.id, (s.number, s.name));
        }
        for u in unit::Entity::find().all(db).await? {
            o.units.insert(u.id, (u.code, u.name));
        }
        for r in region::Entity::find().all(db).await? {
            o.region_by_code.insert(r.code.clone(), r.id);
            o.regions.insert(r.id, (r.code, r.name, r.parent_id));
        }
        Ok(o)
    }

    /// What a case belongs to.
    pub(crate) fn case(&self, window: i32, item: i32, staff: Option<i32>, region_code: &str, client: i32) -> Attrs {
        let hall = self.windows.get(&window).map(|w| w.2);
        Attrs {
            kind: b'c',
            owner_unit: None,
            client: Some(client),
            window: Some(window),
            hall,
            region: self
                .region_by_code
                .get(region_code)
                .copied()
                .or_else(|| hall.and_then(|h| self.halls.get(&h)).map(|h| h.2)),
            unit: self
                .items
                .get(&item)
                .map(|i| i.2)
                .or_else(|| self.windows.get(&window).map(|w| w.3)),
            item: Some(item),
            staff,
        }
    }

    /// What a static-code or kiosk rating belongs to.
    pub(crate) fn place(&self, hall: i32, window: Option<i32>) -> Attrs {
        Attrs {
            kind: b'p',
            owner_unit: None,
            client: None,
            window,
            hall: Some(hall),
            region: self.halls.get(&hall).map(|h| h.2),
            unit: window.and_then(|w| self.windows.get(&w)).map(|w| w.3),
            item: None,
            staff: None,
        }
    }

    /// The (key, name) a row of `dim` has, for one id.
    pub(crate) fn named(&self, dim: Dimension, id: i32) -> Option<(String, String)> {
        let pick = |v: Option<(&String, &String)>| v.map(|(c, n)| (c.clone(), n.clone()));
        match dim {
            Dimension::Unit => pick(self.units.get(&id).map(|u| (&u.0, &u.1))),
            Dimension::Item => pick(self.items.get(&id).map(|i| (&i.0, &i.1))),
            Dimension::Window => pick(self.windows.get(&id).map(|w| (&w.0, &w.1))),
            Dimension::Staff => pick(self.staff.get(&id).map(|s| (&s.0, &s.1))),
            Dimension::Hall => pick(self.halls.get(&id).map(|h| (&h.0, &h.1))),
            Dimension::Region => pick(self.regions.get(&id).map(|r| (&r.0, &r.1))),
            Dimension::Channel => None,
        }
    }
}

/// Joins the keys of two dimensions inside a row key.
pub(crate) const SEP: char = '\u{1f}';

/// What one fact belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Attrs {
    /// `c` case facts, `p` static-code/kiosk ratings, `o` work orders.
    pub(crate) kind: u8,
    pub(crate) owner_unit: Option<i32>,
    pub(crate) client: Option<i32>,
    pub(crate) window: Option<i32>,
    pub(crate) hall: Option<i32>,
    pub(crate) region: Option<i32>,
    pub(crate) unit: Option<i32>,
    pub(crate) item: Option<i32>,
    pub(crate) staff: Option<i32>,
}

/// How facts are split: by nothing (one row), or by a dimension.
pub(crate) struct Split<'a> {
    /// None, one, or two dimensions (the second splits each row of the first).
    pub(crate) dims: Vec<Dimension>,
    pub(crate) period: Option<Period>,
    pub(crate) org: &'a Org,
    pub(crate) regions: Option<&'a HashSet<i32>>,
    pub(crate) rows: BTreeMap<(String, String), Tally>,
}

impl Split<'_> {
    /// The row keys of a fact (none: the fact has no such thing, e.g. a
    /// static-code rating has no item).
    pub(crate) fn keys(&self, a: &Attrs, channel: Option<&str>) -> Vec<String> {
        let mut out = vec![String::new()];
        for (i, d) in self.dims.iter().enumerate() {
            let mine = self.keys_of(*d, a, channel);
            out = out
                .iter()
                .flat_map(|k| mine.iter().map(move |m| if i == 0 { m.clone() } else { format!("{k}{SEP}{m}") }))
                .collect();
        }
        out
    }

    /// The keys of one dimension (none: the fact has no such thing, e.g. a
    /// static-code rating has no item).
    pub(crate) fn keys_of(&self, dim: Dimension, a: &Attrs, channel: Option<&str>) -> Vec<String> {
        let one = |id: Option<i32>| id.map(|i| vec![i.to_string()]).unwrap_or_default();
        match dim {
            Dimension::Unit => one(a.unit),
            Dimension::Item => one(a.item),
            Dimension::Window => one(a.window),
            Dimension::Staff => one(a.staff),
            Dimension::Hall => one(a.hall),
            Dimension::Channel => channel.map(|c| vec![c.to_string()]).unwrap_or_default(),
            Dimension::Region => {
                // The region and every region above it (within the reader's scope).
                let mut out = Vec::new();
                let mut at = a.region;
                for _ in 0..32 {
                    let Some(r) = at else { break };
                    if self.regions.is_none_or(|s| s.contains(&r)) {
                        out.push(r.to_string());
                    }
                    at = self.org.regions.get(&r).and_then(|x| x.2);
                }
                out
            }
        }
    }

    pub(crate) fn bucket(&self, at: DateTime<Utc>) -> String {
        match self.period {
            None => String::new(),
            Some(p) => p.bucket(day_of(at)),
        }
    }

    /// Adds one fact to every row it belongs to.
    pub(crate) fn add(&mut self, a: &Attrs, channel: Option<&str>, at: DateTime<Utc>, f: impl Fn(&mut Tally)) {
        let bucket = self.bucket(at);
        for k in self.keys(a, channel) {
            f(self.rows.entry((k, bucket.clone())).or_default());
        }
    }

    /// Adds counts already bucketed (from the rollups).
    pub(crate) fn add_bucket(&mut self, a: &Attrs, channel: Option<&str>, bucket: String, t: Tally) {
        for k in self.keys(a, channel) {
            *self.rows.entry((k, bucket.clone())).or_default() += t;
        }
    }
}

pub(crate) fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&crate::console::china()).date_naive()
}

pub(crate) fn level(code: &str) -> Result<Level> {
    crate::columns::level(code)
}

/// Cases by id, in chunks (the attributes of the facts that name them).
/// (window, item, staff, region code, reporting system) of a case.
pub(crate) type CaseAttrs = (i32, i32, Option<i32>, String, i32);

pub(crate) async fn cases_by_id<C: ConnectionTrait>(db: &C, ids: HashSet<i32>) -> Result<HashMap<i32, CaseAttrs>> {
    let ids: Vec<i32> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i32, i32, i32, Option<i32>, String, i32)> = service_case::Entity::find()
            .select_only()
            .column(service_case::Column::Id)
            .column(service_case::Column::WindowId)
            .column(service_case::Column::ItemId)
            .column(service_case::Column::StaffId)
            .column(service_case::Column::RegionCode)
            .column(service_case::Column::ApiClientId)
            .filter(service_case::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, w, i, s, r, c) in rows {
            out.insert(id, (w, i, s, r, c));
        }
    }
    Ok(out)
}
