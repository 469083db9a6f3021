//! What is selected on the Products tab (R8, R23), as plain data: rows picked by hand, kept across
//! pages with the version each was shown at, or every serial matching a filter. The tab keeps one
//! `Picker` in a signal and hands it the rows of the page on screen; nothing here knows Leptos.

use shared::products::{Selection, SerialFilter, ShownRow};
use std::collections::BTreeMap;
use uuid::Uuid;

/// "Select all N matching": the filter itself is the selection, as counted when the page was read.
#[derive(Debug, Clone, PartialEq)]
pub struct AllMatching {
    pub filter: SerialFilter,
    pub total: u64,
    pub as_of_micros: i64,
}

/// A move of the keyboard from one row's box to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Up,
    Down,
}

impl Step {
    /// The step an arrow key makes, if it is one.
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "ArrowDown" => Some(Self::Down),
            "ArrowUp" => Some(Self::Up),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Picker {
    /// Rows picked by hand: id -> the version it was shown at.
    picked: BTreeMap<Uuid, i64>,
    all_matching: Option<AllMatching>,
    /// The row (of the page on screen) the last click or Shift+arrow left off at.
    anchor: Option<usize>,
}

impl Picker {
    /// How many serials the selection covers.
    pub fn count(&self) -> u64 {
        self.all_matching.as_ref().map(|a| a.total).unwrap_or(self.picked.len() as u64)
    }

    pub fn is_picked(&self, id: Uuid) -> bool {
        self.all_matching.is_some() || self.picked.contains_key(&id)
    }

    pub fn is_all_matching(&self) -> bool {
        self.all_matching.is_some()
    }

    /// Whether the header box of a page showing `rows` is ticked.
    pub fn covers_page(&self, rows: &[ShownRow]) -> bool {
        self.all_matching.is_some() || (!rows.is_empty() && rows.iter().all(|r| self.picked.contains_key(&r.id)))
    }

    /// A click on the box of row `index` of `rows` (the page on screen): it turns that row over, and
    /// with Shift every row from the last one clicked to it, the same way.
    pub fn click(&mut self, rows: &[ShownRow], index: usize, shift: bool) {
        let Some(row) = rows.get(index) else { return };
        self.materialise(rows);
        let turn_on = !self.picked.contains_key(&row.id);
        let from = if shift { self.anchor.unwrap_or(index).min(rows.len() - 1) } else { index };
        for row in &rows[from.min(index)..=from.max(index)] {
            if turn_on {
                self.picked.insert(row.id, row.version);
            } else {
                self.picked.remove(&row.id);
            }
        }
        self.anchor = Some(index);
    }

    /// An arrow key on the box of row `index`: the row the keyboard moves to, if there is one. With
    /// Shift, the selection grows over both rows.
    pub fn step(&mut self, rows: &[ShownRow], index: usize, step: Step, shift: bool) -> Option<usize> {
        let target = match step {
            Step::Down => index.checked_add(1),
            Step::Up => index.checked_sub(1),
        }
        .filter(|t| *t < rows.len())?;
        if shift && index < rows.len() {
            self.materialise(rows);
            for row in [rows[index], rows[target]] {
                self.picked.insert(row.id, row.version);
            }
            self.anchor = Some(target);
        }
        Some(target)
    }

    /// The header box: picks every row of the page, or drops them all when all were picked.
    pub fn toggle_page(&mut self, rows: &[ShownRow]) {
        self.materialise(rows);
        let all_on = rows.iter().all(|r| self.picked.contains_key(&r.id));
        for row in rows {
            if all_on {
                self.picked.remove(&row.id);
            } else {
                self.picked.insert(row.id, row.version);
            }
        }
    }

    pub fn select_all_matching(&mut self, all: AllMatching) {
        self.all_matching = Some(all);
    }

    /// The view now shows `filter`: "select all matching" ends if it selected another filter's
    /// serials. Rows picked by hand stay. Returns whether anything changed.
    pub fn filter_shown(&mut self, filter: &SerialFilter) -> bool {
        if self.all_matching.as_ref().is_some_and(|a| &a.filter != filter) {
            self.all_matching = None;
            return true;
        }
        false
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// What the bulk action is asked to act on.
    pub fn selection(&self) -> Selection {
        match &self.all_matching {
            Some(a) => Selection::AllMatching { filter: a.filter.clone(), expected: a.total, as_of_micros: a.as_of_micros },
            None => Selection::Rows(self.picked.iter().map(|(id, version)| ShownRow { id: *id, version: *version }).collect()),
        }
    }

    /// Leaving "all matching" by touching one row keeps what is visible, as the user sees it.
    fn materialise(&mut self, rows: &[ShownRow]) {
        if self.all_matching.take().is_some() {
            self.picked.extend(rows.iter().map(|r| (r.id, r.version)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: u128) -> Vec<ShownRow> {
        (0..n).map(|i| ShownRow { id: Uuid::from_u128(i + 1), version: (i as i64) * 10 }).collect()
    }

    fn other_page() -> Vec<ShownRow> {
        (100..105).map(|i| ShownRow { id: Uuid::from_u128(i), version: 1 }).collect()
    }

    fn picked(picker: &Picker, rows: &[ShownRow]) -> Vec<usize> {
        rows.iter().enumerate().filter(|(_, r)| picker.is_picked(r.id)).map(|(i, _)| i).collect()
    }

    fn all_of(filter: &str, total: u64) -> AllMatching {
        AllMatching { filter: SerialFilter { text: filter.into(), ..SerialFilter::default() }, total, as_of_micros: 42 }
    }

    #[test]
    fn a_click_picks_a_row_and_a_second_click_drops_it() {
        let rows = page(10);
        let mut picker = Picker::default();
        picker.click(&rows, 3, false);
        assert_eq!(picked(&picker, &rows), [3]);
        assert_eq!(picker.count(), 1);
        picker.click(&rows, 3, false);
        assert_eq!(picker.count(), 0);
    }

    #[test]
    fn shift_click_picks_every_row_from_the_last_click_to_this_one() {
        let rows = page(10);
        let mut picker = Picker::default();
        picker.click(&rows, 1, false);
        picker.click(&rows, 5, true);
        assert_eq!(picked(&picker, &rows), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn shift_click_upwards_picks_the_range_too() {
        let rows = page(10);
        let mut picker = Picker::default();
        picker.click(&rows, 7, false);
        picker.click(&rows, 4, true);
        assert_eq!(picked(&picker, &rows), [4, 5, 6, 7]);
    }

    #[test]
    fn shift_click_on_a_picked_row_drops_the_whole_range() {
        let rows = page(10);
        let mut picker = Picker::default();
        picker.click(&rows, 0, false);
        picker.click(&rows, 6, true);
        picker.click(&rows, 3, false);
        picker.click(&rows, 3, false);
        picker.click(&rows, 6, true);
        assert_eq!(picked(&picker, &rows), [0, 1, 2]);
    }

    #[test]
    fn shift_click_without_an_earlier_click_picks_only_that_row() {
        let rows = page(10);
        let mut picker = Picker::default();
        picker.click(&rows, 4, true);
        assert_eq!(picked(&picker, &rows), [4]);
    }

    #[test]
    fn an_anchor_left_from_a_longer_page_stays_within_the_rows_shown() {
        let mut picker = Picker::default();
        picker.click(&page(10), 9, false);
        let short = page(4);
        picker.click(&short, 1, true);
        assert_eq!(picked(&picker, &short), [1, 2, 3]);
    }

    #[test]
    fn a_click_outside_the_rows_changes_nothing() {
        let rows = page(3);
        let mut picker = Picker::default();
        picker.click(&rows, 3, false);
        assert_eq!(picker, Picker::default());
    }

    #[test]
    fn shift_and_arrow_down_twice_picks_three_rows_and_the_keyboard_follows() {
        let rows = page(10);
        let mut picker = Picker::default();
        picker.click(&rows, 0, false);
        assert_eq!(picker.step(&rows, 0, Step::Down, true), Some(1));
        assert_eq!(picker.step(&rows, 1, Step::Down, true), Some(2));
        assert_eq!(picked(&picker, &rows), [0, 1, 2]);
    }

    #[test]
    fn an_arrow_without_shift_moves_the_keyboard_and_picks_nothing() {
        let rows = page(10);
        let mut picker = Picker::default();
        assert_eq!(picker.step(&rows, 2, Step::Down, false), Some(3));
        assert_eq!(picker.step(&rows, 2, Step::Up, false), Some(1));
        assert_eq!(picker.count(), 0);
    }

    #[test]
    fn an_arrow_past_either_end_goes_nowhere_and_picks_nothing() {
        let rows = page(3);
        let mut picker = Picker::default();
        assert_eq!(picker.step(&rows, 0, Step::Up, true), None);
        assert_eq!(picker.step(&rows, 2, Step::Down, true), None);
        assert_eq!(picker.count(), 0);
    }

    #[test]
    fn arrow_keys_are_the_only_steps() {
        assert_eq!(Step::from_key("ArrowDown"), Some(Step::Down));
        assert_eq!(Step::from_key("ArrowUp"), Some(Step::Up));
        assert_eq!(Step::from_key(" "), None);
        assert_eq!(Step::from_key("ArrowLeft"), None);
    }

    #[test]
    fn the_header_box_picks_the_page_then_drops_it() {
        let rows = page(5);
        let mut picker = Picker::default();
        picker.click(&rows, 2, false);
        assert!(!picker.covers_page(&rows));
        picker.toggle_page(&rows);
        assert!(picker.covers_page(&rows));
        assert_eq!(picker.count(), 5);
        picker.toggle_page(&rows);
        assert_eq!(picker.count(), 0);
    }

    #[test]
    fn an_empty_page_is_never_covered() {
        assert!(!Picker::default().covers_page(&[]));
    }

    #[test]
    fn rows_picked_on_one_page_stay_picked_on_another() {
        let (first, second) = (page(5), other_page());
        let mut picker = Picker::default();
        picker.click(&first, 0, false);
        picker.click(&first, 1, false);
        picker.click(&second, 0, false);
        assert_eq!(picker.count(), 3);
        assert_eq!(picked(&picker, &first), [0, 1]);
        picker.toggle_page(&second);
        assert_eq!(picker.count(), 7);
        picker.toggle_page(&second);
        assert_eq!(picked(&picker, &first), [0, 1]);
    }

    #[test]
    fn select_all_matching_covers_every_row_and_counts_the_total() {
        let rows = page(5);
        let mut picker = Picker::default();
        picker.select_all_matching(all_of("-100002", 100));
        assert_eq!(picker.count(), 100);
        assert!(picker.is_all_matching());
        assert!(picker.covers_page(&rows));
        assert!(picker.is_picked(other_page()[0].id));
    }

    #[test]
    fn select_all_matching_sends_the_filter_the_count_and_when_it_was_read() {
        let mut picker = Picker::default();
        picker.select_all_matching(all_of("-100002", 100));
        assert_eq!(
            picker.selection(),
            Selection::AllMatching { filter: all_of("-100002", 100).filter, expected: 100, as_of_micros: 42 }
        );
    }

    #[test]
    fn touching_a_row_while_all_matching_keeps_the_visible_rows_but_that_one() {
        let rows = page(5);
        let mut picker = Picker::default();
        picker.select_all_matching(all_of("x", 100));
        picker.click(&rows, 2, false);
        assert!(!picker.is_all_matching());
        assert_eq!(picked(&picker, &rows), [0, 1, 3, 4]);
    }

    #[test]
    fn the_header_box_while_all_matching_drops_the_page() {
        let rows = page(5);
        let mut picker = Picker::default();
        picker.select_all_matching(all_of("x", 100));
        picker.toggle_page(&rows);
        assert_eq!(picker.count(), 0);
    }

    #[test]
    fn another_filter_ends_select_all_matching_and_keeps_rows_picked_by_hand() {
        let rows = page(5);
        let mut picker = Picker::default();
        picker.click(&rows, 1, false);
        assert!(!picker.filter_shown(&all_of("y", 0).filter));
        picker.select_all_matching(all_of("x", 100));
        assert!(!picker.filter_shown(&all_of("x", 0).filter));
        assert!(picker.is_all_matching());
        assert!(picker.filter_shown(&all_of("y", 0).filter));
        assert!(!picker.is_all_matching());
        assert_eq!(picked(&picker, &rows), [1]);
    }

    #[test]
    fn clearing_forgets_the_rows_all_matching_and_the_last_click() {
        let rows = page(10);
        let mut picker = Picker::default();
        picker.click(&rows, 2, false);
        picker.select_all_matching(all_of("x", 100));
        picker.clear();
        assert_eq!(picker.count(), 0);
        picker.click(&rows, 5, true);
        assert_eq!(picked(&picker, &rows), [5]);
    }

    #[test]
    fn rows_are_sent_with_the_version_each_was_shown_at() {
        let rows = page(3);
        let mut picker = Picker::default();
        picker.click(&rows, 2, false);
        picker.click(&rows, 0, false);
        let Selection::Rows(mut sent) = picker.selection() else { panic!("rows expected") };
        sent.sort_by_key(|r| r.id);
        assert_eq!(sent, vec![rows[0], rows[2]]);
    }
}
