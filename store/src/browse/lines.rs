//! Turning stored rows of each source into [`Line`]s, names fetched once per page.

use super::*;

/// Names of the organisation's records, fetched once per page.
#[derive(Default)]
pub(crate) struct Names {
    pub(crate) halls: HashMap<i32, (String, String, i32)>,
    pub(crate) windows: HashMap<i32, (String, String, i32, i32)>,
    pub(crate) units: HashMap<i32, (String, String)>,
    pub(crate) items: HashMap<i32, (String, String, i32)>,
    pub(crate) staff: HashMap<i32, (String, String)>,
    pub(crate) regions: HashMap<i32, String>,
}

impl Names {
    pub(crate) async fn load(db: &Db, windows: Vec<i32>, halls: Vec<i32>, items: Vec<i32>, staff_ids: Vec<i32>) -> Result<Names> {
        let mut n = Names::default();
        for w in service_window::Entity::find()
            .filter(service_window::Column::Id.is_in(windows))
            .all(db)
            .await?
        {
            n.windows.insert(w.id, (w.code, w.name, w.hall_id, w.unit_id));
        }
        let mut hall_ids = halls;
        hall_ids.extend(n.windows.values().map(|w| w.2));
        for h in hall::Entity::find().filter(hall::Column::Id.is_in(hall_ids)).all(db).await? {
            n.halls.insert(h.id, (h.code, h.name, h.region_id));
        }
        for i in item::Entity::find().filter(item::Column::Id.is_in(items)).all(db).await? {
            n.items.insert(i.id, (i.code, i.name, i.unit_id));
        }
        let mut unit_ids: Vec<i32> = n.windows.values().map(|w| w.3).collect();
        unit_ids.extend(n.items.values().map(|i| i.2));
        for u in unit::Entity::find().filter(unit::Column::Id.is_in(unit_ids)).all(db).await? {
            n.units.insert(u.id, (u.code, u.name));
        }
        for s in staff::Entity::find().filter(staff::Column::Id.is_in(staff_ids)).all(db).await? {
            n.staff.insert(s.id, (s.number, s.name));
        }
        let region_ids: Vec<i32> = n.halls.values().map(|h| h.2).collect();
        for r in region::Entity::find().filter(region::Column::Id.is_in(region_ids)).all(db).await? {
            n.regions.insert(r.id, r.code);
        }
        Ok(n)
    }

    pub(crate) fn window(&self, id: i32) -> Option<(String, String)> {
        self.windows.get(&id).map(|w| (w.0.clone(), w.1.clone()))
    }

    pub(crate) fn hall_of_window(&self, id: i32) -> Option<(String, String)> {
        let w = self.windows.get(&id)?;
        self.halls.get(&w.2).map(|h| (h.0.clone(), h.1.clone()))
    }

    pub(crate) fn unit(&self, id: i32) -> Option<(String, String)> {
        self.units.get(&id).cloned()
    }
}

pub(crate) async fn cases_of(db: &Db, ids: Vec<i32>) -> Result<HashMap<i32, service_case::Model>> {
    Ok(service_case::Entity::find()
        .filter(service_case::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect())
}

pub(crate) fn phone(dk: &DataKey, sealed: Option<&str>) -> Option<String> {
    sealed.map(|s| dk.open(s).map(|p| mask_phone(&p)).unwrap_or_else(|| "***".into()))
}

pub(crate) fn case_place(names: &Names, case: &service_case::Model) -> [Option<(String, String)>; 5] {
    let unit_id = names.items.get(&case.item_id).map(|i| i.2);
    [
        names.hall_of_window(case.window_id),
        names.window(case.window_id),
        unit_id.and_then(|u| names.unit(u)),
        names.items.get(&case.item_id).map(|i| (i.0.clone(), i.1.clone())),
        case.staff_id.and_then(|s| names.staff.get(&s).cloned()),
    ]
}

pub(crate) async fn case_lines(db: &Db, dk: &DataKey, rows: Vec<rating::Model>) -> Result<Vec<Line>> {
    let cases = cases_of(db, rows.iter().map(|r| r.case_id).collect()).await?;
    let names = Names::load(
        db,
        cases.values().map(|c| c.window_id).collect(),
        Vec::new(),
        cases.values().map(|c| c.item_id).collect(),
        cases.values().filter_map(|c| c.staff_id).collect(),
    )
    .await?;
    let orders: HashMap<i32, i32> = work_order::Entity::find()
        .select_only()
        .column(work_order::Column::RatingId)
        .column(work_order::Column::Id)
        .filter(work_order::Column::RatingId.is_in(rows.iter().map(|r| r.id).collect::<Vec<_>>()))
        .into_tuple::<(Option<i32>, i32)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(r, o)| r.map(|r| (r, o)))
        .collect();
    rows.into_iter()
        .map(|r| {
            let case = cases.get(&r.case_id).ok_or(Error::NotFound("case"))?;
            let [hall, window, unit, item, staff] = case_place(&names, case);
            Ok(Line {
                source: Source::Case,
                id: r.id,
                case_number: Some(case.case_number.clone()),
                region_code: case.region_code.clone(),
                hall,
                window,
                unit,
                item,
                staff,
                level: crate::columns::level(&r.level)?,
                score: r.score,
                channel: r.channel,
                target: r.target,
                tags: crate::columns::tags_list(&r.tags),
                comment: r.comment,
                rating_count: r.rating_count,
                catalog_version: Some(r.catalog_version),
                phone_masked: phone(dk, case.phone_sealed.as_deref()),
                real_name: case.real_name,
                transactions: Some(case.transactions),
                completed_at: Some(case.completed_at),
                rated_at: r.created_at,
                created_at: r.created_at,
                flagged: None,
                excluded: r.excluded_at.is_some(),
                superseded: false,
                work_order_id: orders.get(&r.id).copied(),
            })
        })
        .collect()
}

pub(crate) async fn place_lines(db: &Db, dk: &DataKey, rows: Vec<place_rating::Model>) -> Result<Vec<Line>> {
    let names = Names::load(
        db,
        rows.iter().filter_map(|r| r.window_id).collect(),
        rows.iter().map(|r| r.hall_id).collect(),
        Vec::new(),
        Vec::new(),
    )
    .await?;
    let orders: HashMap<i32, i32> = work_order::Entity::find()
        .select_only()
        .column(work_order::Column::PlaceRatingId)
        .column(work_order::Column::Id)
        .filter(work_order::Column::PlaceRatingId.is_in(rows.iter().map(|r| r.id).collect::<Vec<_>>()))
        .into_tuple::<(Option<i32>, i32)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(r, o)| r.map(|r| (r, o)))
        .collect();
    rows.into_iter()
        .map(|r| {
            let hall = names.halls.get(&r.hall_id);
            let unit = r.window_id.and_then(|w| names.windows.get(&w)).and_then(|w| names.unit(w.3));
            Ok(Line {
                source: Source::Place,
                id: r.id,
                case_number: None,
                region_code: hall.and_then(|h| names.regions.get(&h.2)).cloned().unwrap_or_default(),
                hall: hall.map(|h| (h.0.clone(), h.1.clone())),
                window: r.window_id.and_then(|w| names.window(w)),
                unit,
                item: None,
                staff: None,
                level: crate::columns::level(&r.level)?,
                score: r.score,
                channel: r.channel,
                target: r.target,
                tags: crate::columns::tags_list(&r.tags),
                comment: r.comment,
                rating_count: 1,
                catalog_version: Some(r.catalog_version),
                phone_masked: phone(dk, r.phone_sealed.as_deref()),
                real_name: r.phone_sealed.is_some(),
                transactions: None,
                completed_at: None,
                rated_at: r.rated_at.unwrap_or(r.created_at),
                created_at: r.created_at,
                flagged: if r.counted {
                    None
                } else {
                    r.repeat_reason.clone().or(Some("repeat".into()))
                },
                excluded: r.excluded_at.is_some(),
                superseded: false,
                work_order_id: orders.get(&r.id).copied(),
            })
        })
        .collect()
}

pub(crate) async fn default_lines(db: &Db, rows: Vec<default_rating::Model>) -> Result<Vec<Line>> {
    let cases = cases_of(db, rows.iter().map(|r| r.case_id).collect()).await?;
    let names = Names::load(
        db,
        cases.values().map(|c| c.window_id).collect(),
        Vec::new(),
        cases.values().map(|c| c.item_id).collect(),
        cases.values().filter_map(|c| c.staff_id).collect(),
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            let case = cases.get(&r.case_id).ok_or(Error::NotFound("case"))?;
            let [hall, window, unit, item, staff] = case_place(&names, case);
            Ok(Line {
                source: Source::Default,
                id: r.id,
                case_number: Some(case.case_number.clone()),
                region_code: case.region_code.clone(),
                hall,
                window,
                unit,
                item,
                staff,
                level: crate::columns::level(&r.level)?,
                score: r.score,
                channel: domain::Channel::Default.code().to_string(),
                target: domain::Target::Item.code().to_string(),
                tags: Vec::new(),
                comment: None,
                rating_count: 1,
                catalog_version: None,
                phone_masked: None,
                real_name: case.real_name,
                transactions: Some(case.transactions),
                completed_at: Some(case.completed_at),
                rated_at: r.created_at,
                created_at: r.created_at,
                flagged: None,
                excluded: false,
                superseded: r.superseded_by.is_some(),
                work_order_id: None,
            })
        })
        .collect()
}
